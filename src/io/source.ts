/**
 * Byte sources: a file path, `-` for stdin, or an http(s) URL streamed with undici.
 * A source is an async iterable of Buffers plus what is known about it (name, size).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { isAborted, toAborted } from "../core/abort.js";
import { FeedpipeError, redactUrl } from "../core/errors.js";
import { expectOk, httpRequest } from "./http.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../core/retry.js";

export interface ByteSource {
  /** Name for messages and record origins (URLs without credentials). */
  name: string;
  /** Total size in bytes when known (file size, Content-Length). */
  size?: number | undefined;
  chunks: AsyncIterable<Buffer>;
  /**
   * Stop reading and release the file or connection; resolves once it is closed (safe to call more
   * than once, or after the end).
   */
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  /** stdin stream to use for `-` (the CLI passes its own; defaults to process.stdin). */
  stdin?: NodeJS.ReadableStream | undefined;
  timeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Name shown for a file source instead of its path (a spooled copy keeps its original's name). */
  name?: string | undefined;
  /** Read size for files (bytes). */
  highWaterMark?: number | undefined;
  /**
   * Retry of a URL's request until its answer starts (5xx, 429 with Retry-After, timeouts, resets;
   * never once bytes were read): the shared policy by default, `false` when the caller retries
   * the whole open itself.
   */
  retry?: Partial<RetryPolicy> | false | undefined;
  /** Each retry of a URL's request (for a progress line). */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/**
 * File chunk size. Each chunk becomes one batch of records, and a batch lives across a whole
 * read → map → validate → write pass; 64 KiB (~170 CSV products) keeps a batch's garbage in V8's
 * young generation. Measured on 200k CSV products: 1 MiB chunks 3.9 s / 257 MB peak RSS, 256 KiB
 * 2.6-3.0 s / 160-180 MB, 64 KiB 2.6 s / 138 MB. 32 KiB: a chunk with any character above U+00FF
 * decodes to a two-byte string, and at 64 KiB that is over V8's 128 KiB large-object size, so
 * every such chunk went to the large-object space, which only a full GC empties (measured on 1M
 * CSV products, in-process validate: 116 → 110 MB peak RSS, CPU time the same). The file is read
 * FILE_READ bytes at a time (fewer thread-pool round trips, and the stream reads ahead while a read
 * is being processed) and each read is passed on in FILE_CHUNK pieces (views, not copies).
 */
const FILE_CHUNK = 1 << 15;
const FILE_READ = 1 << 18;

export function isUrl(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

/** Wrap a Node readable so read errors become coded FeedpipeErrors naming the source. */
async function* guarded(
  stream: AsyncIterable<Buffer | string>,
  name: string,
  piece = Number.POSITIVE_INFINITY,
  signal?: AbortSignal,
): AsyncIterable<Buffer> {
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      if (buf.length <= piece) yield buf;
      else for (let at = 0; at < buf.length; at += piece) yield buf.subarray(at, at + piece);
    }
  } catch (err) {
    if (err instanceof FeedpipeError) throw err;
    if (signal?.aborted || isAborted(err)) {
      throw toAborted(err, signal, `Reading ${name} was interrupted`, { source: name });
    }
    const e = err as { code?: string; message?: string };
    if (e.code?.startsWith("UND_ERR") || e.code === "ECONNRESET") {
      throw new FeedpipeError("NET_DOWNLOAD_FAILED", `Download of ${name} failed: ${e.message ?? e.code}`, {
        cause: err,
        context: { source: name },
      });
    }
    throw new FeedpipeError("IO_READ", `Could not read ${name}: ${e.message ?? String(err)}`, {
      cause: err,
      context: { source: name },
    });
  }
}

/**
 * `https://user:pass@host/feed.csv`: refused, never sent or shown (undici would drop it silently,
 * or a redirect could carry it elsewhere). Credentials for a feed go in a header instead.
 */
function refuseUserinfo(spec: string, shown: string): void {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    return;
  }
  if (u.username === "" && u.password === "") return;
  throw new FeedpipeError(
    "USAGE",
    `The source URL ${shown} holds a user name or password (user:pass@): feedpipe does not send ` +
      "credentials from a URL; remove them (and give the server's credentials another way)",
    { context: { source: shown } },
  );
}

export async function openSource(spec: string, options: OpenSourceOptions = {}): Promise<ByteSource> {
  if (spec === "-") {
    const stdin = options.stdin ?? process.stdin;
    return {
      name: "stdin",
      chunks: guarded(stdin as AsyncIterable<Buffer>, "stdin"),
      close: () => destroy(stdin),
    };
  }
  if (isUrl(spec)) {
    const name = redactUrl(spec);
    refuseUserinfo(spec, name);
    const request = async () =>
      expectOk(
        await httpRequest(spec, {
          headers: { "accept-encoding": "identity", ...(options.headers ?? {}) },
          timeoutMs: options.timeoutMs,
          bodyTimeoutMs: options.bodyTimeoutMs,
          signal: options.signal,
          // A feed may sit behind a CDN: follow it there, but with no credential and no body.
          crossOriginRedirects: "strip",
        }),
      );
    const res =
      options.retry === false
        ? await request()
        : await withRetry(request, {
            policy: options.retry,
            signal: options.signal,
            onRetry: options.onRetry,
          });
    const len = Number(res.headers["content-length"]);
    return {
      name,
      size: Number.isFinite(len) && len > 0 ? len : undefined,
      chunks: guarded(res.body, name, undefined, options.signal),
      close: () => destroy(res.body),
    };
  }
  let size: number;
  try {
    const st = await stat(spec);
    if (st.isDirectory()) {
      throw new FeedpipeError("IO_READ", `${spec} is a directory, not a feed file`, {
        context: { source: spec },
      });
    }
    size = st.size;
  } catch (err) {
    if (err instanceof FeedpipeError) throw err;
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") {
      throw new FeedpipeError("IO_NOT_FOUND", `File not found: ${spec}`, {
        cause: err,
        context: { source: spec },
      });
    }
    throw new FeedpipeError("IO_READ", `Could not open ${spec}: ${(err as Error).message}`, {
      cause: err,
      context: { source: spec },
    });
  }
  const read = options.highWaterMark ?? FILE_READ;
  const stream = createReadStream(spec, { highWaterMark: read });
  const name = options.name ?? spec;
  return {
    name,
    size,
    chunks: guarded(stream, name, Math.min(read, FILE_CHUNK)),
    close: () => destroy(stream),
  };
}

function destroy(stream: NodeJS.ReadableStream): Promise<void> {
  const s = stream as NodeJS.ReadableStream & { destroy?: () => void; closed?: boolean };
  if (s.closed === true || typeof s.destroy !== "function") return Promise.resolve();
  // A file's descriptor is closed asynchronously after destroy(): wait for it (a reader thread
  // that is terminated right after would otherwise never close it).
  return new Promise<void>((resolve) => {
    s.once("close", () => resolve());
    s.destroy!();
  });
}

/**
 * Take the first `min` bytes (or all, if the source is shorter) without losing anything: returns
 * the head and an iterable that yields the head again followed by the rest.
 */
export async function peekBytes(
  chunks: AsyncIterable<Buffer>,
  min: number,
  enough?: (taken: Buffer[], length: number) => boolean,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < min && !(length > 0 && enough?.(taken, length))) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    taken.push(r.value);
    length += r.value.length;
  }
  const head = taken.length === 1 ? taken[0]! : Buffer.concat(taken);
  return { head, all: replay(head.length > 0 ? head : undefined, it, done) };
}

/**
 * What a peek hands back: the `head` it took, then the rest of `it`. A consumer that stops early
 * (or fails) returns `it` too, so the stages below it (file, connection) stop as well.
 */
export async function* replay<T>(
  head: T | undefined,
  it: AsyncIterator<T>,
  done: boolean,
): AsyncGenerator<T> {
  try {
    if (head !== undefined) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) done = true;
      else yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/** Count bytes as they pass (for progress). */
export function counted(chunks: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const c of chunks) {
        onBytes(c.length);
        yield c;
      }
    },
  };
}
