/**
 * Write batches of rows to an Output, encoding them on a second thread (./write-worker.ts) or, when
 * not `threaded`, on this one (the writer's `batch` text, as before).
 *
 * Why: on a threaded `convert` the main thread is the bottleneck (1M CSV products: main thread
 * 8.75 s CPU, reader thread 5.4 s), and building the output text there (cell quoting tests, number
 * printing, one rope per batch, flattening and UTF-8 encoding it) cost ~2.4 µs per product, about a
 * quarter of it. Posting the batch text itself would not pay (V8 flattens and copies it to post it:
 * measured about what encoding it costs); so this side only packs the rows' values
 * (src/formats/writers/row-wire.ts: one rope of the raw strings and two typed arrays, ~0.8 µs per
 * product with the post) and the thread runs the same writer on the rebuilt rows, so the bytes are
 * the same by construction. The thread sends back UTF-8 bytes (moved, gathered in up to 1 MiB
 * chunks) and this side writes them to the Output: temporary file, rename on commit and removal on
 * abort stay in src/io/output.ts, and an error or abort never leaves a complete-looking file.
 *
 * Back-pressure: at most IN_FLIGHT batches are posted and not yet written to the Output (whose own
 * writes wait for the disk), so memory stays flat. The thread is unref'd except while this side
 * waits for it, and `close()` ends it.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { FeedpipeError } from "../core/errors.js";
import type { OutputFormat, Row, WriterOptions } from "../formats/types.js";
import { createWriter } from "../formats/writers/index.js";
import { packRows, type RowWire, wireKeys, wireTransfer } from "../formats/writers/row-wire.js";
import { type Output, writeBatch } from "../io/output.js";

/** Batches posted and not yet written (each ~80 products, ~40 KiB of output). */
const IN_FLIGHT = 16;
/** The writer thread replies once per this many requests (or when asked: see `until`). */
export const REPLY_EVERY = 8;

/** The writer thread's young generation (MiB): its garbage is one batch's rope and rows. */
export const WRITER_YOUNG_MB = 8;

/** Bytes of the ring the writer thread encodes into (shared, reused; see ./write-worker.ts). */
const RING_BYTES = 4 << 20;
/** Byte counters over the ring run modulo 2^31. */
export const RING_MASK = 0x7fffffff;

export interface WriteThreadInit {
  format: OutputFormat;
  options: WriterOptions;
  keys: string[];
  /** The ring (SharedArrayBuffer of RING_BYTES). */
  ring: SharedArrayBuffer;
  /** Int32 [0]: ring bytes the main thread has copied out (modulo 2^31). */
  control: SharedArrayBuffer;
}

/** `flush`: reply now with what is gathered (not a request of its own: no reply counts it). */
export type WriteThreadRequest =
  { type: "header" } | { type: "batch"; wire: RowWire } | { type: "footer" } | { type: "flush" };

/**
 * `count` requests done; their text is `length` bytes at `start` in the ring, after `skip` bytes
 * left unused at its end, or in `bytes` (moved) for a text too large for the ring.
 */
export type WriteThreadReply =
  | { start: number; skip: number; length: number; count: number; bytes?: ArrayBuffer; error?: undefined }
  | { error: { message: string } };

export interface BatchWriter {
  /** True when the text is built on the writer thread. */
  readonly threaded: boolean;
  /** Write one batch of rows. */
  write(rows: Row[]): Promise<void>;
  /** Write the footer and wait until every byte is handed to the Output (which is not committed). */
  finish(): Promise<void>;
  /** Stop the thread, if any (after a failure or an abort; the Output is the caller's). Repeatable. */
  close(): Promise<void>;
}

const WORKER_URL = new URL("./write-worker.js", import.meta.url);

/** The compiled worker script exists (not the case when running from the TypeScript sources). */
export function writeThreadAvailable(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

const startListeners = new Set<() => void>();

/**
 * Call `listener` each time a writer thread has started (its isolate exists): the CLI puts its V8
 * flags back then, as for the reader thread (see src/cli/young-generation.ts).
 */
export function onWriteThreadStart(listener: () => void): () => void {
  startListeners.add(listener);
  return () => startListeners.delete(listener);
}

/**
 * A BatchWriter for `output`; the header is written (or posted) at once. With `threaded`, the text
 * is built on a writer thread when the writer has fixed columns and the compiled worker exists.
 */
export async function openBatchWriter(
  output: Output,
  format: OutputFormat,
  options: WriterOptions,
  threaded: boolean,
): Promise<BatchWriter> {
  const writer = createWriter(format, options); // bad options fail here, on this thread
  const keys = wireKeys(format, options.columns);
  if (!threaded || keys === undefined || !writeThreadAvailable()) {
    await output.write(writer.header());
    return {
      threaded: false,
      write: (rows) => writeBatch(output, writer, rows),
      finish: () => output.write(writer.footer()),
      close: async () => undefined,
    };
  }
  return threadWriter(output, {
    format,
    options: { ...options, columns: [...options.columns] },
    keys,
    ring: new SharedArrayBuffer(RING_BYTES),
    control: new SharedArrayBuffer(4),
  });
}

function threadWriter(output: Output, init: WriteThreadInit): BatchWriter {
  const worker = new Worker(WORKER_URL, {
    workerData: init,
    resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_MB },
  });
  worker.unref();
  const ring = new Uint8Array(init.ring);
  const released = new Int32Array(init.control);
  let sent = 0;
  let done = 0;
  let started = false;
  let closed = false;
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
  // Replies come in request order; their bytes are written one after the other.
  let writing: Promise<void> = Promise.resolve();
  worker.on("message", (m: WriteThreadReply) => {
    if (!started) {
      started = true;
      for (const listener of startListeners) listener();
    }
    if (m.error !== undefined) {
      fail(new FeedpipeError("IO_WRITE", `Could not write ${output.path}: ${m.error.message}`));
      return;
    }
    const data = m.bytes ? new Uint8Array(m.bytes, 0, m.length) : ring.subarray(m.start, m.start + m.length);
    writing = writing.then(async () => {
      if (failure !== undefined || closed) return;
      try {
        await output.writeBytes(data); // copies: the ring space can be given back
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
    if (!closed)
      fail(new FeedpipeError("IO_WRITE", `Writing ${output.path} stopped: the writer thread exited`));
  });

  let asked = -1;
  const until = async (ready: () => boolean): Promise<void> => {
    while (failure === undefined && !ready()) {
      // The thread replies every REPLY_EVERY requests: ask for the rest before waiting for it.
      if (asked !== done) {
        asked = done;
        worker.postMessage({ type: "flush" } satisfies WriteThreadRequest);
      }
      worker.ref();
      await new Promise<void>((resolve) => (wake = resolve));
      worker.unref();
    }
    if (failure !== undefined) throw failure;
  };
  const post = (req: WriteThreadRequest, transfer?: ArrayBuffer[]) => {
    if (failure !== undefined) throw failure;
    if (closed) throw new FeedpipeError("STATE_ERROR", `Output ${output.path} is already closed`);
    worker.postMessage(req, transfer);
    sent++;
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await worker.terminate();
  };
  post({ type: "header" });
  return {
    threaded: true,
    async write(rows) {
      if (rows.length === 0) return;
      const wire = packRows(rows, init.keys);
      post({ type: "batch", wire }, wireTransfer(wire));
      await until(() => sent - done <= IN_FLIGHT);
    },
    async finish() {
      post({ type: "footer" });
      await until(() => done === sent);
      await close();
    },
    close,
  };
}
