/** The one "max invalid" allowance (src/core/max-invalid.ts), parsed once, judged the same everywhere. */
import { describe, expect, it } from "vitest";
import { invalidPercent, parseMaxInvalid, withinMaxInvalid } from "../src/core/max-invalid.js";
import { runCli } from "./helpers/cli.js";

describe("max invalid", () => {
  it("parses a count or a percentage, and nothing else", () => {
    expect(parseMaxInvalid("10")).toEqual({ count: 10 });
    expect(parseMaxInvalid(" 2.5% ")).toEqual({ percent: 2.5 });
    for (const bad of ["", "-1", "1.5", "101%", "ten", "5%%"])
      expect(() => parseMaxInvalid(bad)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("judges counts and percentages, with a fallback when none is given", () => {
    const r = { invalid: 3, records: 100 };
    expect(withinMaxInvalid(r, { count: 3 })).toBe(true);
    expect(withinMaxInvalid(r, { count: 2 })).toBe(false);
    expect(withinMaxInvalid(r, { percent: 3 })).toBe(true);
    expect(withinMaxInvalid(r, { percent: 2.9 })).toBe(false);
    expect(withinMaxInvalid(r, undefined)).toBe(false);
    expect(withinMaxInvalid(r, undefined, { percent: 50 })).toBe(true);
    expect(withinMaxInvalid({ invalid: 0, records: 0 }, undefined)).toBe(true);
    expect(invalidPercent({ invalid: 1, records: 4 })).toBe(25);
  });

  it("the CLI reports a bad --max-invalid as a usage error with the one message", async () => {
    const r = await runCli(["validate", "x.csv", "--max-invalid", "lots"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('expected a number of records (10) or a percentage (2.5%), got "lots"');
  });
});
