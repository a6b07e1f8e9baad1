/**
 * Decompression by magic bytes (whatever the file name says): gzip (also multi-member), and a .zip
 * holding one feed file (its first file entry is read; stored or deflated).
 */
import { Readable } from "node:stream";
import { createGunzip, createInflateRaw } from "node:zlib";
import { FeedpipeError } from "../core/errors.js";
import { peekBytes } from "./source.js";

export type Compression = "none" | "gzip" | "zip";

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return "zip";
  return "none";
}

async function* throughZlib(
  input: AsyncIterable<Buffer>,
  transform: NodeJS.ReadWriteStream,
  name: string,
  kind: "gzip" | "zip",
): AsyncIterable<Buffer> {
  const src = Readable.from(input, { objectMode: false });
  src.on("error", (err) => (transform as unknown as { destroy(e: Error): void }).destroy(err));
  const out = src.pipe(transform as unknown as NodeJS.WritableStream) as unknown as AsyncIterable<Buffer>;
  try {
    for await (const chunk of out) yield chunk;
  } catch (err) {
    if (err instanceof FeedpipeError) throw err;
    const e = err as { code?: string; message?: string };
    if (e.code === "Z_BUF_ERROR" || /unexpected end/i.test(e.message ?? "")) {
      throw new FeedpipeError(
        "FEED_GZIP_TRUNCATED",
        `${name}: the ${kind} data ends early (truncated download or file); records read so far were kept`,
        { cause: err, context: { source: name } },
      );
    }
    throw new FeedpipeError(
      "FEED_GZIP_CORRUPT",
      `${name}: ${kind} data is corrupt (${e.message ?? e.code})`,
      {
        cause: err,
        context: { source: name },
      },
    );
  } finally {
    src.destroy();
  }
}

/** Read the first file entry of a zip stream. */
async function* unzipFirst(input: AsyncIterable<Buffer>, name: string): AsyncIterable<Buffer> {
  // The local header is 30 bytes + name + extra; 64 KiB always covers it.
  const { head, all } = await peekBytes(input, 65_536);
  if (head.length < 30) throw new FeedpipeError("FEED_GZIP_TRUNCATED", `${name}: zip header is truncated`);
  const flags = head.readUInt16LE(6);
  const method = head.readUInt16LE(8);
  const compressedSize = head.readUInt32LE(18);
  const nameLen = head.readUInt16LE(26);
  const extraLen = head.readUInt16LE(28);
  const entryName = head.subarray(30, 30 + nameLen).toString("utf8");
  const dataStart = 30 + nameLen + extraLen;
  if (entryName.endsWith("/")) {
    throw new FeedpipeError(
      "FEED_ZIP_UNSUPPORTED",
      `${name}: the zip's first entry is a folder (${entryName}); put the feed file at the top of the archive`,
    );
  }
  if (flags & 0x1)
    throw new FeedpipeError("FEED_ZIP_UNSUPPORTED", `${name}: encrypted zip entries are not supported`);
  // Skip the header bytes, then hand the rest to the right decoder.
  async function* body(): AsyncIterable<Buffer> {
    let skip = dataStart;
    let remaining = method === 0 && !(flags & 0x8) ? compressedSize : Number.POSITIVE_INFINITY;
    for await (const chunk of all) {
      let c = chunk;
      if (skip > 0) {
        if (c.length <= skip) {
          skip -= c.length;
          continue;
        }
        c = c.subarray(skip);
        skip = 0;
      }
      if (c.length >= remaining) {
        yield c.subarray(0, remaining);
        return;
      }
      remaining -= c.length;
      yield c;
    }
    if (Number.isFinite(remaining) && remaining > 0) {
      throw new FeedpipeError("FEED_GZIP_TRUNCATED", `${name}: zip entry ${entryName} is truncated`);
    }
  }
  if (method === 0) {
    if (flags & 0x8) {
      throw new FeedpipeError(
        "FEED_ZIP_UNSUPPORTED",
        `${name}: stored zip entries with a data descriptor are not supported`,
      );
    }
    yield* body();
    return;
  }
  if (method !== 8) {
    throw new FeedpipeError(
      "FEED_ZIP_UNSUPPORTED",
      `${name}: zip compression method ${method} is not supported (use deflate)`,
    );
  }
  yield* throughZlib(body(), createInflateRaw(), name, "zip");
}

export interface Decompressed {
  compression: Compression;
  chunks: AsyncIterable<Buffer>;
}

/** Sniff the magic bytes and return the decompressed byte stream. */
export async function decompress(chunks: AsyncIterable<Buffer>, name: string): Promise<Decompressed> {
  const { head, all } = await peekBytes(chunks, 4);
  const compression = detectCompression(head);
  if (compression === "gzip") return { compression, chunks: throughZlib(all, createGunzip(), name, "gzip") };
  if (compression === "zip") return { compression, chunks: unzipFirst(all, name) };
  return { compression, chunks: all };
}
