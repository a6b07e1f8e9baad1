/**
 * Read a feed on a second thread.
 *
 * Reading is half of a run's work (decompress, decode, tokenise or JSON.parse, build records) and
 * the rest (map, validate, write) does not depend on it, so on a machine with two cores the reader
 * can run beside the pipeline. The worker (./read-worker.ts) opens the feed as `openFeed` does and
 * posts packed batches (./pack.ts; NDJSON and JSON arrays are scanned straight into them,
 * ./ndjson-scan.ts, ./json-packed.ts); this side unpacks them into the same RecordBatch stream,
 * the same Feed fields and the same coded errors as the in-process reader. It stays a few batches
 * ahead (credit-based), so memory stays flat.
 *
 * Measured on 1M products (bench/, 2 cores; convert-1t vs convert): CSV 111.7k → 133.1k products/s,
 * NDJSON 98.9k → 121.2k products/s.
 *
 * Used for local CSV/TSV, NDJSON, JSON and XML files from WORKER_MIN_BYTES to WORKER_MAX_BYTES when
 * `worker: "auto"` (what the CLI passes), or for any local file with `worker: true`. Without the compiled worker script (running from TypeScript sources),
 * or if the thread cannot start, the feed is read in-process.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type ErrorCode, type ErrorContext, FeedpipeError } from "../core/errors.js";
import type { RecordBatch, RecordStream } from "../core/record.js";
import { closeable, newReaderStats, type ReaderStats } from "./reader.js";
import type { Feed, ReadFeedOptions } from "./index.js";
import { type PackedBatch, unpackBatch } from "./pack.js";
import type { PlainSources } from "../core/plain-text.js";

/** Files smaller than this are read in-process ("auto"): a thread costs ~30 ms to start. */
export const WORKER_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Files larger than this are read in-process ("auto"). The thread's heap costs a fixed ~35 MB
 * while a run's own memory grows with the catalog (the duplicate-SKU set); past this size the
 * two together go over the 200 MB budget for a 1 GB feed, and the gain is small there because
 * reading such a file is bound by the disk (measured on a 1 GB CSV: 100k products/s in-process,
 * 107k/s threaded, peak RSS 164 MB vs 206-231 MB). `worker: true` uses the thread at any size.
 */
export const WORKER_MAX_BYTES = 768 * 1024 * 1024;

/**
 * Formats that "auto" reads on the thread. For CSV/TSV and NDJSON, reading costs less than the
 * rest of the run, so the thread takes it off the critical path. Since the one-pass XML reader,
 * reading XML costs about what mapping, validating and writing it cost, so it gains too (1M Google
 * RSS products, convert: 16.6 s in-process, 13.3 s threaded).
 *
 * JSON arrays, since they are scanned straight into packed batches on the thread as NDJSON is
 * (./json-packed.ts): 1M products (bench/thread-cpu.mjs, A = JSON.parse + packBatch on the thread,
 * B = scanned, alternating, 3 runs each, medians) took 7.65 → 6.4 s reader CPU and 156 → 135 MB
 * peak RSS on convert, 7.27 → 5.55 s and 160 → 139 MB on validate (within the 150 MB budget; before,
 * 175-193 MB kept JSON in-process). Threaded against in-process (B, --modes off,on alternating, load
 * 1.7-2.4 on 2 shared cores): convert 71-93k products/s (median 82k) against 67-88k (72k) in six
 * pairs, validate 102-110k (107k) against 82-103k (100k) in four; the main thread's CPU, the
 * critical path, 25-30% lower. A threaded run costs 25-40% more CPU in all, so when the machine
 * has no spare core it loses: at load 4.3-7.6, 56-127k (58.5k) against 61-108k (77.5k) products/s
 * in four validate pairs, and NDJSON measured in turn lost the same way (59k against 66.5k).
 */
const AUTO_FORMATS: ReadonlySet<string> = new Set(["csv", "ndjson", "json", "xml"]);

/** Batches the reader may run ahead of the consumer (each about 64 KiB of text). */
const CREDIT = 8;
const WAKE_AT = CREDIT / 2;

/**
 * The reader's young generation (MiB). V8's default lets it grow to 48 MiB; the reader's garbage
 * is short-lived and 16 MiB reads as fast (measured 8, 16, 32: 8 doubled the thread's GC time).
 */
export const READER_YOUNG_MB = 16;

export type WorkerOption = boolean | "auto" | undefined;

/** The options that travel to the worker (plain data; callbacks stay here). */
export type WorkerReadOptions = Pick<
  ReadFeedOptions,
  "format" | "encoding" | "delimiter" | "recordTag" | "jsonPath" | "maxRecordBytes" | "highWaterMark" | "name"
>;

export interface WorkerInit {
  spec: string;
  options: WorkerReadOptions;
  /**
   * Int32 [0]: batches the reader may still post. The reader takes one per batch and waits at 0;
   * this side gives one back per batch it takes (Atomics, no message: posting one per batch cost
   * ~35 µs each on the main thread).
   */
  credit: SharedArrayBuffer;
  /**
   * Fewer credits than this left after taking one: the main thread has that many batches queued
   * and is the slower side, so the reader spends its spare time on plain-text marks.
   */
  behindBelow: number;
}

export interface WorkerError {
  code?: ErrorCode | undefined;
  message: string;
  context?: ErrorContext | undefined;
}

export type FeedMeta = Omit<Feed, "records" | "stats" | "close" | typeof Symbol.asyncDispose>;

export type WorkerMessage =
  | { type: "meta"; meta: FeedMeta; stats: ReaderStats | undefined }
  | { type: "batch"; batch: PackedBatch; bytes: number; stats: ReaderStats | undefined }
  | { type: "end"; bytes: number; stats: ReaderStats | undefined }
  | { type: "error"; error: WorkerError; bytes: number };

/** Messages to the reader thread: the keys to mark plain text for (./plain-marks.ts). */
export type MainMessage = { type: "plain"; sources: PlainSources };

const WORKER_URL = new URL("./read-worker.js", import.meta.url);

const threadStartListeners = new Set<() => void>();

/**
 * Call `listener` each time a reader thread has started (its isolate exists and it has sent its
 * first message). The CLI uses it to put its V8 flags back: creating an isolate resets
 * `--semi-space-growth-factor` (see src/cli/young-generation.ts). Returns a function that removes it.
 */
export function onReaderThreadStart(listener: () => void): () => void {
  threadStartListeners.add(listener);
  return () => threadStartListeners.delete(listener);
}

/** The compiled worker script exists (not the case when running from the TypeScript sources). */
export function workerAvailable(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

function isLocalFile(spec: string): boolean {
  return spec !== "-" && !/^https?:\/\//i.test(spec);
}

/** Should this feed be read on a worker thread? */
export async function useWorker(spec: string, option: WorkerOption): Promise<boolean> {
  if (option !== true && option !== "auto") return false;
  if (!isLocalFile(spec) || !workerAvailable()) return false;
  if (option === true) return true;
  try {
    const st = await stat(spec);
    return st.isFile() && st.size >= WORKER_MIN_BYTES && st.size <= WORKER_MAX_BYTES;
  } catch {
    return false; // the in-process path reports a missing file with its usual error
  }
}

function toError(e: WorkerError): Error {
  if (e.code === undefined) return new Error(e.message);
  return new FeedpipeError(e.code, e.message, { context: e.context ?? {} });
}

/**
 * Open `spec` (a local file) on a worker thread. Resolves once the worker has sniffed the feed, or
 * rejects with the error openFeed would have thrown. With `worker: "auto"`, resolves undefined for a
 * format that is better read in-process (the caller then opens it itself).
 */
export async function openFeedInWorker(spec: string, options: ReadFeedOptions): Promise<Feed | undefined> {
  const init: WorkerInit = {
    spec,
    options: {
      format: options.format,
      encoding: options.encoding,
      delimiter: options.delimiter,
      recordTag: options.recordTag,
      jsonPath: options.jsonPath,
      maxRecordBytes: options.maxRecordBytes,
      highWaterMark: options.highWaterMark,
      name: options.name,
    },
    credit: new SharedArrayBuffer(4),
    behindBelow: WAKE_AT,
  };
  const credit = new Int32Array(init.credit);
  credit[0] = CREDIT;
  const worker = new Worker(WORKER_URL, {
    workerData: init,
    resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MB },
  });
  const inbox: WorkerMessage[] = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on("message", (m: WorkerMessage) => {
    inbox.push(m);
    notify();
  });
  worker.on("error", (err: Error) => {
    failure ??= new FeedpipeError("IO_READ", `Could not read ${spec}: ${err.message}`, {
      cause: err,
      context: { source: spec },
    });
    notify();
  });
  worker.on("exit", () => {
    exited = true;
    notify();
  });

  // The worker keeps the process alive only while we are waiting for it.
  worker.unref();
  const receive = async (): Promise<WorkerMessage> => {
    while (inbox.length === 0) {
      if (failure) throw failure;
      if (exited) throw new FeedpipeError("IO_READ", `Reading ${spec} stopped unexpectedly`);
      worker.ref();
      await new Promise<void>((resolve) => (wake = resolve));
      worker.unref();
    }
    return inbox.shift()!;
  };

  const first = await receive().catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  for (const listener of threadStartListeners) listener();
  if (first.type === "error") {
    await worker.terminate();
    if (first.bytes > 0) options.onBytes?.(first.bytes);
    throw toError(first.error);
  }
  if (first.type !== "meta") {
    await worker.terminate();
    throw new FeedpipeError("IO_READ", `Reading ${spec} failed: the reader thread sent no feed description`);
  }
  if (options.worker === "auto" && !AUTO_FORMATS.has(first.meta.format)) {
    await worker.terminate();
    return undefined;
  }

  // The reader's counters, kept up to date from each message (the pipeline reads `columns` after
  // the first batch, and blank rows at the end).
  const stats: ReaderStats = { ...newReaderStats(), ...first.stats };
  const update = (s: ReaderStats | undefined) => {
    if (s !== undefined) Object.assign(stats, s);
  };
  const onBytes = options.onBytes;

  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      while (true) {
        const m = await receive();
        if (m.type === "meta") continue;
        if (m.bytes > 0) onBytes?.(m.bytes);
        if (m.type === "error") throw toError(m.error);
        update(m.stats);
        if (m.type === "end") return;
        // Let the reader go on while this batch is processed. A notify is a system call, so a
        // reader waiting at 0 is woken once WAKE_AT credits are back (they will be: the batches
        // it posted are still in flight), not once per batch.
        if (Atomics.add(credit, 0, 1) === WAKE_AT - 1) Atomics.notify(credit, 0);
        yield unpackBatch(m.batch);
      }
    } finally {
      await worker.terminate();
    }
  }

  const gen = batches();
  // A consumer that stops before its first batch ends the thread too (a generator that has not
  // started does not run its finally block).
  const records: RecordStream = {
    [Symbol.asyncIterator]: () => ({
      next: () => gen.next(),
      return: async (value?: unknown) => {
        await worker.terminate();
        return gen.return(value as undefined);
      },
    }),
  };
  return closeable({
    ...first.meta,
    records,
    stats,
    markPlain: (sources: PlainSources) => {
      const m: MainMessage = { type: "plain", sources };
      worker.postMessage(m);
    },
    close: async () => {
      await worker.terminate();
      await gen.return(undefined);
    },
  });
}
