import { describe, expect, it } from "vitest";
import { alignRight, padCell, truncateWords } from "../src/cli/columns.js";

describe("listing columns", () => {
  it("keeps text that fits", () => {
    expect(truncateWords("Compact Wool Dining Table", 38)).toBe("Compact Wool Dining Table");
    expect(truncateWords("", 5)).toBe("");
  });

  it("cuts on a word boundary with an ellipsis, never inside an opened bracket", () => {
    expect(truncateWords("Heritage Cotton Overshirt, Grey Marl (Organic Cotton)", 38)).toBe(
      "Heritage Cotton Overshirt, Grey Marl…",
    );
    expect(truncateWords("Trail Runner Pro Waterproof Shoe", 20)).toBe("Trail Runner Pro…");
    expect(truncateWords("Bag (large, waterproof, black)", 20)).toBe("Bag…");
    expect(truncateWords("Knife - stainless steel", 10)).toBe("Knife…");
    for (const max of [5, 10, 20, 38]) {
      const cut = truncateWords("Heritage Cotton Overshirt, Grey Marl (Organic Cotton) extra words", max);
      expect([...cut].length).toBeLessThanOrEqual(max);
      expect(cut.endsWith("…")).toBe(true);
    }
  });

  it("cuts a single over-long word rather than leaving the cell empty", () => {
    expect(truncateWords("Supercalifragilistic", 8)).toBe("Superca…");
  });

  it("pads and right-aligns by characters", () => {
    expect(padCell("Tōkyō", 7)).toBe("Tōkyō  ");
    expect(alignRight(["53.81", "1115.54", "7.00"])).toEqual(["  53.81", "1115.54", "   7.00"]);
  });
});
