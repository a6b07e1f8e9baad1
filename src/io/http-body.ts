/**
 * Reading a whole API answer's body, with the guards a hostile or broken server needs:
 *
 * - Content-Encoding: `gzip` / `x-gzip`, `deflate` (zlib or raw) and `br` are decoded (a server may
 *   compress whatever the request asked for); an encoding feedpipe cannot read is NET_BAD_RESPONSE.
 * - Size: at most `maxBytes` on the wire and decoded; beyond it the body is either cut (`truncate`,
 *   for error bodies read only for their message) or refused with NET_BAD_RESPONSE, before it can
 *   fill memory.
 * - Deadline: the whole body within `deadlineMs`, however slowly it trickles (undici's body timeout
 *   only bounds the silence between two chunks): NET_TIMEOUT, retryable.
 *
 * Large feed files do not come this way: they stream through src/io/source.ts.
 */
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { NetworkError, redactUrl } from "../core/errors.js";
import { headerValue, type HttpResponse, requestFailure } from "./http.js";

/** Largest API answer read (decoded): far above any page of products, far below memory trouble. */
export const API_BODY_MAX_BYTES = 64 * 1024 * 1024;

export interface ReadBodyOptions {
  /** Most bytes read, on the wire and decoded. */
  maxBytes: number;
  /** Beyond `maxBytes`, keep the start (an error body's message) instead of refusing the answer. */
  truncate?: boolean | undefined;
  /** The whole body within this many ms (undefined: no deadline). */
  deadlineMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

class DeadlinePassed extends Error {}

function mib(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${Math.round(n / 1024)} KiB`;
}

function tooLarge(url: string, maxBytes: number): NetworkError {
  const shown = redactUrl(url);
  return new NetworkError(
    "NET_BAD_RESPONSE",
    `${shown} answered with more than ${mib(maxBytes)}; an API answer that large was not read`,
    { context: { url: shown, maxBytes } },
  );
}

type Decoder = (buf: Buffer, maxOutputLength: number, partial: boolean) => Buffer;

const flush = (partial: boolean) => (partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {});

const DECODERS: Record<string, Decoder> = {
  gzip: (b, max, partial) => gunzipSync(b, { maxOutputLength: max, ...flush(partial) }),
  "x-gzip": (b, max, partial) => gunzipSync(b, { maxOutputLength: max, ...flush(partial) }),
  // "deflate" is meant to be zlib-wrapped; some servers send raw deflate.
  deflate: (b, max, partial) =>
    (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0
      ? inflateSync(b, { maxOutputLength: max, ...flush(partial) })
      : inflateRawSync(b, { maxOutputLength: max, ...flush(partial) }),
  br: (b, max, partial) =>
    brotliDecompressSync(b, {
      maxOutputLength: max,
      ...(partial ? { finishFlush: constants.BROTLI_OPERATION_FLUSH } : {}),
    }),
};

/** The encodings of a Content-Encoding header, in the order they were applied ("identity" dropped). */
function encodingsOf(res: HttpResponse): string[] {
  const raw = headerValue(res.headers, "content-encoding");
  if (raw === undefined) return [];
  return raw
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "" && e !== "identity");
}

function decode(res: HttpResponse, body: Buffer, options: ReadBodyOptions): Buffer {
  const encodings = encodingsOf(res);
  const shown = redactUrl(res.url);
  let out = body;
  for (const enc of encodings.reverse()) {
    const decoder = DECODERS[enc];
    if (decoder === undefined) {
      if (options.truncate) return Buffer.alloc(0);
      throw new NetworkError(
        "NET_BAD_RESPONSE",
        `${shown} answered in a Content-Encoding feedpipe cannot read (${JSON.stringify(enc.slice(0, 20))})`,
        { context: { url: shown } },
      );
    }
    if (out.length === 0) return out;
    try {
      out = decoder(out, options.maxBytes + 1, options.truncate === true);
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        if (options.truncate) return Buffer.alloc(0);
        throw tooLarge(res.url, options.maxBytes);
      }
      if (options.truncate) return Buffer.alloc(0);
      throw new NetworkError(
        "NET_BAD_RESPONSE",
        `${shown} answered with a ${enc} body that does not decode (${(err as Error).message})`,
        { cause: err, context: { url: shown } },
      );
    }
    if (out.length > options.maxBytes) {
      if (options.truncate) return out.subarray(0, options.maxBytes);
      throw tooLarge(res.url, options.maxBytes);
    }
  }
  return out;
}

/** Read a response body as UTF-8 text within the size, encoding and time guards above. */
export async function readBodyText(res: HttpResponse, options: ReadBodyOptions): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  if (options.deadlineMs !== undefined && Number.isFinite(options.deadlineMs)) {
    timer = setTimeout(() => res.body.destroy(new DeadlinePassed()), options.deadlineMs);
    timer.unref();
  }
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > options.maxBytes) {
        if (!options.truncate) {
          res.body.destroy();
          throw tooLarge(res.url, options.maxBytes);
        }
        parts.push(chunk.subarray(0, chunk.length - (n - options.maxBytes)));
        break; // leaving the loop destroys the body
      }
      parts.push(chunk);
    }
  } catch (err) {
    if (err instanceof NetworkError) throw err;
    if (err instanceof DeadlinePassed) {
      const shown = redactUrl(res.url);
      throw new NetworkError(
        "NET_TIMEOUT",
        `${shown} did not send its whole answer within ${Math.round(options.deadlineMs! / 100) / 10} s`,
        { context: { url: shown }, retryable: true },
      );
    }
    throw requestFailure(err, res.url, options.signal);
  } finally {
    if (timer) clearTimeout(timer);
  }
  return decode(res, Buffer.concat(parts), options).toString("utf8");
}
