import { describe, expect, it } from "vitest";
import {
  capYoungGeneration,
  YOUNG_GENERATION_MB,
  youngGenerationOption,
} from "../src/cli/young-generation.js";

describe("CLI young-generation cap", () => {
  it("reads FEEDPIPE_YOUNG_MB (0 = V8's default) and falls back on the default for bad values", () => {
    expect(youngGenerationOption({})).toBe(YOUNG_GENERATION_MB);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "8" })).toBe(8);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "0" })).toBe(0);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "lots" })).toBe(YOUNG_GENERATION_MB);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "-3" })).toBe(YOUNG_GENERATION_MB);
  });

  it("asks whether to pause at every check and can be stopped", () => {
    let asked = 0;
    const stop = capYoungGeneration(1024, () => {
      asked++;
      return true;
    });
    expect(asked).toBe(1); // checked once at once, then after GCs
    stop();
    expect(capYoungGeneration(0)()).toBeUndefined();
  });
});
