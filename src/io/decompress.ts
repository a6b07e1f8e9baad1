/**
 * Decompression by magic bytes (whatever the file name says): gzip (also multi-member), and a .zip
 * holding one feed file (stored or deflated). A zip holding several files is refused
 * (FEED_ZIP_UNSUPPORTED, naming them) once its first entry has been read: never read in part.
 */
import type { Transform } from "node:stream";
import { createGunzip, createInflateRaw } from "node:zlib";
import { FeedpipeError } from "../core/errors.js";
import { peekBytes } from "./source.js";

export type Compression = "none" | "gzip" | "zip";

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return "zip";
  return "none";
}

/** Decompressed bytes waiting for the consumer before no more input is written (see throughZlib). */
const ZLIB_QUEUE_BYTES = 1 << 20;
/**
 * Input is written in pieces of at most this size: deflate expands at most ~1,032x, so one piece
 * adds at most ~16 MiB to the queue even for a zip bomb.
 */
const ZLIB_PIECE_BYTES = 16 * 1024;

function zlibError(err: unknown, name: string, kind: "gzip" | "zip"): unknown {
  if (err instanceof FeedpipeError) return err;
  const e = err as { code?: string; message?: string };
  if (e.code === "Z_BUF_ERROR" || /unexpected end/i.test(e.message ?? "")) {
    return new FeedpipeError(
      "FEED_GZIP_TRUNCATED",
      `${name}: the ${kind} data ends early (truncated download or file)`,
      {
        cause: err,
        context: { source: name },
      },
    );
  }
  return new FeedpipeError("FEED_GZIP_CORRUPT", `${name}: ${kind} data is corrupt (${e.message ?? e.code})`, {
    cause: err,
    context: { source: name },
  });
}

/**
 * Run `input` through a zlib stream. Every byte zlib decompressed reaches the consumer before an
 * error does: a stream's async iterator drops what it has buffered when the stream errors, so a
 * truncated file would lose a timing-dependent number of records before FEED_GZIP_TRUNCATED.
 * So the output always flows (never paused) into a queue, and the pace is kept on the input side:
 * the next piece of input is written only while the queue is under ZLIB_QUEUE_BYTES.
 */
async function* throughZlib(
  input: AsyncIterable<Buffer>,
  transform: Transform,
  name: string,
  kind: "gzip" | "zip",
): AsyncIterable<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  transform.on("data", (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    notify();
  });
  transform.on("end", () => {
    ended = true;
    notify();
  });
  transform.on("error", (err: unknown) => {
    failure ??= err;
    notify();
  });
  transform.on("drain", notify);
  const source = input[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  let inputDone = false;
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw zlibError(failure, name, kind);
      if (ended) return;
      if (!inputDone && queued < ZLIB_QUEUE_BYTES && !transform.writableNeedDrain) {
        if (pending === undefined || pending.length === 0) {
          let next: IteratorResult<Buffer>;
          try {
            next = await source.next();
          } catch (err) {
            failure ??= err;
            continue;
          }
          if (next.done) {
            inputDone = true;
            transform.end();
            continue;
          }
          pending = next.value;
        }
        transform.write(pending.subarray(0, ZLIB_PIECE_BYTES));
        pending = pending.subarray(ZLIB_PIECE_BYTES);
        continue;
      }
      await changed();
    }
  } finally {
    transform.destroy();
    if (!inputDone) await source.return?.(undefined);
  }
}

/** Read the first file entry of a zip stream. */
async function* unzipFirst(input: AsyncIterable<Buffer>, name: string): AsyncIterable<Buffer> {
  // The local header is 30 bytes + name + extra; 64 KiB always covers it.
  const { head, all } = await peekBytes(input, 65_536);
  let entry = localHeaderAt(head, 0);
  if (entry === undefined) throw new FeedpipeError("FEED_GZIP_TRUNCATED", `${name}: zip header is truncated`);
  // Entries a desktop's archiver adds (macOS `__MACOSX/._feed.tsv`, `.DS_Store`) before the feed are
  // stepped over while their size is known and the next header is within the head.
  while (!(entry.flags & 0x8) && isArchiverJunk(entry.name)) {
    const next = localHeaderAt(head, entry.end);
    if (next === undefined) break;
    entry = next;
  }
  const { flags, method, compressedSize, name: entryName, dataStart } = entry;
  if (entryName.endsWith("/")) {
    throw new FeedpipeError(
      "FEED_ZIP_UNSUPPORTED",
      `${name}: the zip's first entry is a folder (${entryName}); put the feed file at the top of the archive`,
    );
  }
  if (flags & 0x1)
    throw new FeedpipeError("FEED_ZIP_UNSUPPORTED", `${name}: encrypted zip entries are not supported`);
  // Skip the header bytes, then hand the entry's data to the right decoder. What follows the
  // entry is looked at too: a zip with more than one feed file is refused, never read in part.
  const known = !(flags & 0x8);
  async function* body(): AsyncIterable<Buffer> {
    let skip = dataStart;
    let remaining = known ? compressedSize : Number.POSITIVE_INFINITY;
    const tail = new TailWindow(ZIP_LOOKAHEAD);
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
      if (remaining === 0) {
        tail.add(c);
        if (tail.length >= ZIP_LOOKAHEAD) break; // enough to see the next entry's header
        continue;
      }
      if (c.length >= remaining) {
        yield c.subarray(0, remaining);
        tail.add(c.subarray(remaining));
        remaining = 0;
        continue;
      }
      if (!known) tail.add(c); // the central directory is at the end of a streamed zip
      remaining -= c.length;
      yield c;
    }
    if (Number.isFinite(remaining) && remaining > 0) {
      throw new FeedpipeError("FEED_GZIP_TRUNCATED", `${name}: zip entry ${entryName} is truncated`);
    }
    const others = otherZipFiles(tail.bytes(), entryName, known);
    if (others.length > 0) {
      throw new FeedpipeError(
        "FEED_ZIP_UNSUPPORTED",
        `${name}: the zip holds more than one file (${[entryName, ...others].slice(0, 5).join(", ")}` +
          `${others.length > 4 ? ", …" : ""}); feedpipe reads one feed per zip: unzip it and pass each file`,
        { context: { source: name } },
      );
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

const ZIP_LOOKAHEAD = 1 << 16;

/** Keeps the last bytes added (at least `limit` of them, in whole chunks). */
class TailWindow {
  private parts: Buffer[] = [];
  length = 0;
  constructor(private readonly limit: number) {}
  add(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(b);
    this.length += b.length;
    while (this.parts.length > 1 && this.length - this.parts[0]!.length >= this.limit) {
      this.length -= this.parts.shift()!.length;
    }
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * File entries other than `first` named after the first entry: the local headers that follow it
 * (`next`: the bytes right after the entry's data), else central-directory records seen in the
 * bytes (a streamed zip's first entry has no size, so only its central directory tells).
 */
function otherZipFiles(bytes: Buffer, first: string, next: boolean): string[] {
  const names: string[] = [];
  const isFile = (n: string) => n !== first && !n.endsWith("/") && n !== "" && !isArchiverJunk(n);
  if (next) {
    // Consecutive local headers: directories (no data) may come before the next file.
    for (let h = localHeaderAt(bytes, 0); h !== undefined; h = localHeaderAt(bytes, h.end)) {
      if (isFile(h.name)) return [h.name];
    }
  }
  for (
    let at = bytes.indexOf(CENTRAL);
    at >= 0 && at + 46 <= bytes.length;
    at = bytes.indexOf(CENTRAL, at + 4)
  ) {
    const nameLen = bytes.readUInt16LE(at + 28);
    const n = bytes.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    if (isFile(n) && !names.includes(n)) names.push(n);
  }
  return names;
}

const CENTRAL = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

/** A zip local file header at `at` (undefined when the bytes hold none there). */
interface LocalHeader {
  flags: number;
  method: number;
  /** 0 when the entry is streamed (flag 0x8: the size follows the data). */
  compressedSize: number;
  name: string;
  /** Where the entry's data begins, and where the next header would (data of the stated size). */
  dataStart: number;
  end: number;
}

function localHeaderAt(bytes: Buffer, at: number): LocalHeader | undefined {
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== 0x04034b50) return undefined;
  const nameLen = bytes.readUInt16LE(at + 26);
  const dataStart = at + 30 + nameLen + bytes.readUInt16LE(at + 28);
  const compressedSize = bytes.readUInt32LE(at + 18);
  return {
    flags: bytes.readUInt16LE(at + 6),
    method: bytes.readUInt16LE(at + 8),
    compressedSize,
    name: bytes.subarray(at + 30, at + 30 + nameLen).toString("utf8"),
    dataStart,
    end: dataStart + compressedSize,
  };
}

/** What archivers add beside a file: macOS resource forks (`__MACOSX/`, `._name`), folder metadata. */
function isArchiverJunk(entry: string): boolean {
  if (entry.startsWith("__MACOSX/")) return true;
  const base = entry.slice(entry.lastIndexOf("/") + 1);
  return base.startsWith("._") || base === ".DS_Store" || base === "Thumbs.db" || base === "desktop.ini";
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
