/**
 * An Output whose texts are UTF-8 encoded on a second thread (./encode-worker.ts) and then written
 * by the Output it wraps, in order.
 *
 * Why: on a threaded `convert` the main thread is the bottleneck (1M CSV products: main thread
 * 8.75 s CPU, reader thread 5.4 s), and flattening and encoding each batch's text cost it ~0.7 µs
 * per product (the batch text is two-byte as soon as one product has a character above U+00FF, and
 * V8 encodes two-byte text at ~1 ns a character, ASCII at ~0.15). Posting the text instead copies
 * it as it is (flatten + memcpy, measured ~0.3 µs per product on the main thread). Moving the
 * whole writer to the thread measured worse (see README "Main-thread stages").
 *
 * The thread encodes into a shared ring that is reused (a fresh buffer per reply, moved back,
 * measured about as costly in page faults as the encoding) and replies every REPLY_EVERY texts
 * with where the bytes are; this side copies them into the wrapped Output (the ring space is given
 * back with Atomics, no message) — so the temporary file, the rename on commit and the removal on
 * abort stay in ./output.ts, and an error or abort never leaves a complete-looking file.
 *
 * Back-pressure: at most IN_FLIGHT texts are posted and not yet written to the wrapped Output
 * (whose own writes wait for the disk), so memory stays flat. The thread is unref'd except while
 * this side waits for it; commit and abort end it.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { FeedpipeError } from "../core/errors.js";
import type { Output } from "./output.js";

/** Texts posted and not yet written (a batch text is ~80 products, ~40 KiB). */
const IN_FLIGHT = 16;
/** The thread replies once per this many texts (or when asked: see `until`). */
export const REPLY_EVERY = 8;
/** Bytes of the ring the thread encodes into. */
const RING_BYTES = 2 << 20;
/** Byte counters over the ring run modulo 2^31. */
export const RING_MASK = 0x7fffffff;
/** The thread's young generation (MiB): it only holds the texts it is sent. */
const ENCODER_YOUNG_MB = 4;

export interface EncodeThreadInit {
  /** The ring (SharedArrayBuffer of RING_BYTES). */
  ring: SharedArrayBuffer;
  /** Int32 [0]: ring bytes this side has copied out (modulo 2^31). */
  control: SharedArrayBuffer;
}

/** `flush`: reply now with what is gathered (it is not counted as a text). */
export type EncodeRequest = { type: "text"; text: string } | { type: "flush" };

/**
 * `count` texts done; their bytes are `length` bytes at `start` in the ring, after `skip` bytes
 * left unused at its end, or in `bytes` (moved) for a text too large for the ring.
 */
export type EncodeReply =
  | { start: number; skip: number; length: number; count: number; bytes?: ArrayBuffer; error?: undefined }
  | { error: { message: string } };

const WORKER_URL = new URL("./encode-worker.js", import.meta.url);

/** The compiled worker script exists (not the case when running from the TypeScript sources). */
export function encodeThreadAvailable(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

const startListeners = new Set<() => void>();

/**
 * Call `listener` each time an encoder thread has started (its isolate exists): the CLI puts its
 * V8 flags back then, as for the reader thread (see src/cli/young-generation.ts).
 */
export function onEncodeThreadStart(listener: () => void): () => void {
  startListeners.add(listener);
  return () => startListeners.delete(listener);
}

/** `inner` with its texts encoded on a thread; `inner` itself when the worker script is missing. */
export function encodeOnThread(inner: Output): Output {
  if (!encodeThreadAvailable()) return inner;
  const init: EncodeThreadInit = {
    ring: new SharedArrayBuffer(RING_BYTES),
    control: new SharedArrayBuffer(4),
  };
  const worker = new Worker(WORKER_URL, {
    workerData: init,
    resourceLimits: { maxYoungGenerationSizeMb: ENCODER_YOUNG_MB },
  });
  worker.unref();
  const ring = new Uint8Array(init.ring);
  const released = new Int32Array(init.control);
  let sent = 0;
  let done = 0;
  let started = false;
  let stopped = false;
  let state: "open" | "committed" | "aborted" = "open";
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: unknown) => {
    failure ??= err;
    notify();
  };
  // Replies come in the order of the texts; their bytes are written one after the other.
  let writing: Promise<void> = Promise.resolve();
  worker.on("message", (m: EncodeReply) => {
    if (!started) {
      started = true;
      for (const listener of startListeners) listener();
    }
    if (m.error !== undefined) {
      fail(new FeedpipeError("IO_WRITE", `Could not write ${inner.path}: ${m.error.message}`));
      return;
    }
    const data = m.bytes ? new Uint8Array(m.bytes, 0, m.length) : ring.subarray(m.start, m.start + m.length);
    writing = writing.then(async () => {
      if (failure !== undefined || stopped) return;
      try {
        await inner.writeBytes(data); // copies: the ring space can be given back
        if (!m.bytes) {
          Atomics.store(released, 0, (Atomics.load(released, 0) + m.skip + m.length) & RING_MASK);
          Atomics.notify(released, 0);
        }
        done += m.count;
        notify();
      } catch (err) {
        fail(err);
      }
    });
  });
  worker.on("error", fail);
  worker.on("exit", () => {
    if (!stopped)
      fail(new FeedpipeError("IO_WRITE", `Writing ${inner.path} stopped: the encoder thread exited`));
  });

  let asked = -1;
  const until = async (ready: () => boolean): Promise<void> => {
    while (failure === undefined && !ready()) {
      // The thread replies every REPLY_EVERY texts: ask for the rest before waiting for it.
      if (asked !== done) {
        asked = done;
        worker.postMessage({ type: "flush" } satisfies EncodeRequest);
      }
      worker.ref();
      await new Promise<void>((resolve) => (wake = resolve));
      worker.unref();
    }
    if (failure !== undefined) throw failure;
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.terminate();
  };
  const ready = () => {
    if (state !== "open") throw new FeedpipeError("STATE_ERROR", `Output ${inner.path} is already ${state}`);
    if (failure !== undefined) throw failure;
  };

  const output: Output = {
    path: inner.path,
    atomic: inner.atomic,
    get bytes() {
      return inner.bytes;
    },
    async write(text: string) {
      ready();
      if (text.length === 0) return;
      worker.postMessage({ type: "text", text } satisfies EncodeRequest);
      sent++;
      await until(() => sent - done <= IN_FLIGHT);
    },
    writeLines(lines: readonly string[]) {
      return output.write(lines.join(""));
    },
    async writeBytes(data: Uint8Array) {
      // Rare (not what the writers produce): in order, after what is in flight.
      ready();
      await until(() => done === sent);
      await inner.writeBytes(data);
    },
    async commit() {
      ready();
      try {
        await until(() => done === sent);
      } catch (err) {
        await output.abort();
        throw err;
      }
      state = "committed";
      await stop();
      await inner.commit();
    },
    async abort() {
      if (state !== "open") return;
      state = "aborted";
      await stop();
      await writing;
      await inner.abort();
    },
  };
  return output;
}
