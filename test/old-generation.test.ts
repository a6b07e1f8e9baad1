import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, heapGrowingOption } from "../src/cli/old-generation.js";

const ROOT = resolve(import.meta.dirname, "..");

describe("CLI old-generation bound", () => {
  it("reads FEEDPIPE_HEAP_GROWING (0 = V8's own factor) and falls back on the default for bad values", () => {
    expect(heapGrowingOption({})).toBe(HEAP_GROWING_PERCENT);
    expect(heapGrowingOption({ FEEDPIPE_HEAP_GROWING: "20" })).toBe(20);
    expect(heapGrowingOption({ FEEDPIPE_HEAP_GROWING: "0" })).toBe(0);
    expect(heapGrowingOption({ FEEDPIPE_HEAP_GROWING: "lots" })).toBe(HEAP_GROWING_PERCENT);
    expect(heapGrowingOption({ FEEDPIPE_HEAP_GROWING: "-3" })).toBe(HEAP_GROWING_PERCENT);
  });

  // A V8 flag is process-wide: each case in its own process, on the build.
  const probe = (percent: number) => {
    const script = join(ROOT, "test", "fixtures", "probes", "old-generation.mjs");
    const r = spawnSync(process.execPath, [script, join(ROOT, "dist"), String(percent)], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as { maxOld: number; live: number };
  };

  it("keeps the garbage between full GCs bounded (V8's own factor lets the old space grow to ~120 MiB here)", () => {
    const free = probe(0);
    const bounded = probe(HEAP_GROWING_PERCENT);
    expect(bounded.live).toBe(1e5);
    // Measured: 123 MiB with V8's factor, 50 MiB with the bound.
    expect(free.maxOld).toBeGreaterThan(90);
    expect(bounded.maxOld).toBeLessThan(70);
  });
});
