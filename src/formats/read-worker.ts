/**
 * Reader thread entry (see ./worker-feed.ts): opens the feed as the in-process `openFeed` does, but
 * with its batches packed (./packed-feed.ts: NDJSON is read straight into packed batches, the other
 * formats' batches go through packBatch), and posts them, at most `credit` batches ahead of what
 * the main thread has taken.
 *
 * Messages to the main thread:
 *   { type: "meta", meta, stats }              the feed's format, encoding, ... (before any batch)
 *   { type: "batch", batch, bytes, stats }     a packed batch, raw bytes read since the last one,
 *                                              the reader's counters so far
 *   { type: "end", bytes, stats }              the feed is done
 *   { type: "error", error }                   openFeed or the reader failed (code, message, context)
 * Flow control: the shared `credit` counter (see WorkerInit), no messages from the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { FeedpipeError } from "../core/errors.js";
import type { ReadFeedOptions } from "./index.js";
import { transferList } from "./pack.js";
import { openPackedFeed } from "./packed-feed.js";
import type { WorkerError, WorkerInit, WorkerMessage } from "./worker-feed.js";

const port = parentPort;
if (port === null) throw new Error("read-worker.js runs as a worker thread only");
const init = workerData as WorkerInit;

const credit = new Int32Array(init.credit);

/** Wait until the main thread has room for another batch, and take it. */
async function takeCredit(): Promise<void> {
  while (Atomics.load(credit, 0) <= 0) {
    const w = Atomics.waitAsync(credit, 0, 0);
    if (!w.async) continue;
    // A pending waitAsync does not hold the event loop open; this timer does, for the wait.
    const hold = setInterval(() => undefined, 1 << 30);
    await w.value;
    clearInterval(hold);
  }
  Atomics.sub(credit, 0, 1);
}

const post = (m: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

function describe(err: unknown): WorkerError {
  if (err instanceof FeedpipeError) return { code: err.code, message: err.message, context: err.context };
  return { message: err instanceof Error ? err.message : String(err) };
}

let bytes = 0;

async function main(): Promise<void> {
  const options: ReadFeedOptions = {
    ...init.options,
    worker: false,
    onBytes: (n) => {
      bytes += n;
    },
  };
  const feed = await openPackedFeed(init.spec, options);
  const { batches, stats, close: _close, ...meta } = feed;
  post({ type: "meta", meta, stats });
  for await (const packed of batches) {
    await takeCredit();
    post({ type: "batch", batch: packed, bytes, stats }, transferList(packed));
    bytes = 0;
  }
  post({ type: "end", bytes, stats });
}

main().catch((err: unknown) => {
  post({ type: "error", error: describe(err), bytes });
});
