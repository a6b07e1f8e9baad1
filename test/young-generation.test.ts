import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  capYoungGeneration,
  YOUNG_GENERATION_MB,
  youngGenerationOption,
} from "../src/cli/young-generation.js";

const ROOT = resolve(import.meta.dirname, "..");

describe("CLI young-generation cap", () => {
  it("reads FEEDPIPE_YOUNG_MB (0 = V8's default) and falls back on the default for bad values", () => {
    expect(youngGenerationOption({})).toBe(YOUNG_GENERATION_MB);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "8" })).toBe(8);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "0" })).toBe(0);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "lots" })).toBe(YOUNG_GENERATION_MB);
    expect(youngGenerationOption({ FEEDPIPE_YOUNG_MB: "-3" })).toBe(YOUNG_GENERATION_MB);
  });

  // Flags are process-wide, so each case runs in its own process, on the build (a reader thread
  // runs compiled JavaScript).
  const probe = (cap: number) => {
    const dir = mkdtempSync(join(tmpdir(), "fp-young-"));
    try {
      const csv = join(dir, "feed.csv");
      writeFileSync(csv, `sku,name\n${Array.from({ length: 1000 }, (_, i) => `S${i},n${i}`).join("\n")}\n`);
      const script = join(ROOT, "test", "fixtures", "probes", "young-generation.mjs");
      const r = spawnSync(process.execPath, [script, join(ROOT, "dist"), String(cap), csv], {
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout) as { before: number; after: number; records: number };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("keeps the young generation at the cap, also after a reader thread started (which resets V8's growth factor)", () => {
    const free = probe(0);
    expect(free.before).toBeGreaterThan(16); // V8 alone grows it to 32 MiB
    const capped = probe(4);
    expect(capped.records).toBe(1000);
    // The cap is checked after GCs, so a busy machine can let it end a doubling or two above the
    // cap (4 MiB); without the check after a thread starts it grows back to V8's 32 MiB.
    expect(capped.before).toBeLessThanOrEqual(16);
    expect(capped.after).toBeLessThanOrEqual(16);
  });

  it("is also checked on every tick (a batch taken), where GC observer callbacks cannot run in time", () => {
    const run = (mode: string) => {
      const script = join(ROOT, "test", "fixtures", "probes", "young-generation.mjs");
      const r = spawnSync(process.execPath, [script, join(ROOT, "dist"), "4", "-", mode], {
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      return (JSON.parse(r.stdout) as { size: number }).size;
    };
    // One synchronous stretch: the observer never runs, V8 grows the young generation past the cap.
    expect(run("sync")).toBeGreaterThan(8);
    // The same stretch with a tick per round stops at the cap (a doubling above at most).
    expect(run("sync-tick")).toBeLessThanOrEqual(8);
  });

  it("stops watching when asked", () => {
    expect(capYoungGeneration(0)()).toBeUndefined();
  });
});
