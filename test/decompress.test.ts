/**
 * Decompression keeps everything zlib produced before an error, whatever the consumer's pace. The
 * slow reader lets the event loop turn between chunks (zlib runs ahead up to its buffers); no
 * wall-clock timer is involved.
 */
import { setImmediate as turn } from "node:timers/promises";
import { constants as zlibConstants, gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { decompress } from "../src/io/decompress.js";

async function* chunks(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readAll(buf: Buffer, turnsPerChunk: number): Promise<{ bytes: number; error?: string }> {
  const { chunks: out } = await decompress(chunks(buf, 4096), "feed.csv.gz");
  let bytes = 0;
  try {
    for await (const c of out) {
      bytes += c.length;
      for (let i = 0; i < turnsPerChunk; i++) await turn();
    }
  } catch (err) {
    return { bytes, error: (err as FeedpipeError).code };
  }
  return { bytes };
}

describe("gzip decompression", () => {
  const text = Buffer.from(
    Array.from(
      { length: 20_000 },
      (_, i) => `SKU-${i},Product ${i} with a fairly long name,${i}.99,EUR\n`,
    ).join(""),
  );
  const gz = gzipSync(text);

  it("yields the whole text", async () => {
    expect(await readAll(gz, 0)).toEqual({ bytes: text.length });
  });

  it("a truncated file: the same bytes before FEED_GZIP_TRUNCATED for a fast and a slow reader", async () => {
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const fast = await readAll(cut, 0);
    const slow = await readAll(cut, 50);
    expect(fast.error).toBe("FEED_GZIP_TRUNCATED");
    expect(slow).toEqual(fast);
    expect(fast.bytes).toBeGreaterThan(text.length * 0.5);
  });
});

describe("truncated gzip: every byte zlib could decompress comes before the error", () => {
  const text = Array.from({ length: 60_000 }, (_, i) => `S${i},${(i * 7919) % 10007}.${i % 100}`).join("\n");
  const gz = gzipSync(text);
  const cut = gz.subarray(0, gz.length >> 1);
  // What zlib can make of the first half, flushed as far as it goes.
  const prefix = gunzipSync(cut, { finishFlush: zlibConstants.Z_SYNC_FLUSH });

  async function* pieces(): AsyncIterable<Buffer> {
    for (let i = 0; i < cut.length; i += 4096) yield cut.subarray(i, i + 4096);
  }

  for (const [label, pause] of [
    ["a fast consumer", () => Promise.resolve()],
    ["a slow consumer", () => new Promise<void>((resolve) => setTimeout(resolve, 2))],
  ] as const) {
    it(`with ${label}`, async () => {
      const { chunks } = await decompress(pieces(), "cut.csv.gz");
      const got: Buffer[] = [];
      let error: unknown;
      try {
        for await (const chunk of chunks) {
          got.push(chunk);
          await pause();
        }
      } catch (err) {
        error = err;
      }
      expect((error as FeedpipeError).code).toBe("FEED_GZIP_TRUNCATED");
      expect(prefix.length).toBeGreaterThan(100_000);
      expect(Buffer.concat(got).equals(prefix)).toBe(true);
    });
  }
});
