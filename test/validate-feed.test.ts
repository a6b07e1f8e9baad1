/** `validateFeed`: the library's one-call validate returns the report and always closes the feed. */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { validateFeed } from "../src/index.js";
import { until } from "./helpers/settle.js";

const CATALOG = resolve("test/fixtures/push/catalog.csv");
const fds = () => readdirSync("/proc/self/fd").length;

describe("validateFeed", () => {
  it("maps, validates and reports every record", async () => {
    const seen: number[] = [];
    const { report, feed } = await validateFeed(CATALOG, { onBatch: (b) => void seen.push(b.length) });
    expect(report).toMatchObject({ records: 12, valid: 12, invalid: 0 });
    expect(seen.reduce((a, b) => a + b, 0)).toBe(12);
    expect(feed).toMatchObject({ name: CATALOG, format: "csv" });
  });

  it.skipIf(process.platform !== "linux")("a failing onBatch leaves no file open", async () => {
    const before = fds();
    await expect(
      validateFeed(CATALOG, {
        input: { highWaterMark: 256 },
        onBatch: () => {
          throw new Error("stop");
        },
      }),
    ).rejects.toThrow("stop");
    await until(() => fds() <= before);
    expect(fds()).toBe(before);
  });

  it("a bad preset fails before any I/O, with a code", async () => {
    await expect(validateFeed("/nonexistent.csv", { preset: "nope" })).rejects.toMatchObject({
      code: "PRESET_UNKNOWN",
    });
  });
});
