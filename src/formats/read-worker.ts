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
 * Flow control: the shared `credit` counter (see WorkerInit). One message from the main thread:
 *   { type: "plain", sources }                 from now on, mark each batch's plain text values
 *                                              (./plain-marks.ts)
 */
import { parentPort, workerData } from "node:worker_threads";
import { FeedpipeError } from "../core/errors.js";
import type { ReadFeedOptions } from "./index.js";
import { transferList } from "./pack.js";
import { openPackedFeed } from "./packed-feed.js";
import type { PlainSources } from "../core/plain-text.js";
import { markPlain } from "./plain-marks.js";
import type { MainMessage, WorkerError, WorkerInit, WorkerMessage } from "./worker-feed.js";

const port = parentPort;
if (port === null) throw new Error("read-worker.js runs as a worker thread only");
const init = workerData as WorkerInit;

const credit = new Int32Array(init.credit);

/**
 * Wait until the main thread has room for another batch, and take it. True when the main thread
 * is behind (it has most of the batches it allows queued: see WorkerInit.behindBelow).
 */
async function takeCredit(): Promise<boolean> {
  while (Atomics.load(credit, 0) <= 0) {
    const w = Atomics.waitAsync(credit, 0, 0);
    if (!w.async) continue;
    // A pending waitAsync does not hold the event loop open; this timer does, for the wait.
    const hold = setInterval(() => undefined, 1 << 30);
    await w.value;
    clearInterval(hold);
  }
  return Atomics.sub(credit, 0, 1) - 1 < init.behindBelow;
}

const post = (m: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

function describe(err: unknown): WorkerError {
  if (err instanceof FeedpipeError) return { code: err.code, message: err.message, context: err.context };
  return { message: err instanceof Error ? err.message : String(err) };
}

let bytes = 0;
let plainSources: PlainSources | undefined;
port.on("message", (m: MainMessage) => {
  if (m.type === "plain") plainSources = m.sources;
});
// The thread lives while it reads; a message port alone does not keep it running.
port.unref();

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
    // Marks move work off the main thread: worth it only while the main thread is the slower side
    // (CSV, NDJSON, JSON); a reader the main thread keeps up with (XML, where reading is the
    // heavier half) leaves the test to the validator.
    const behind = await takeCredit();
    if (behind && plainSources !== undefined) markPlain(packed, plainSources);
    post({ type: "batch", batch: packed, bytes, stats }, transferList(packed));
    bytes = 0;
  }
  post({ type: "end", bytes, stats });
}

main().catch((err: unknown) => {
  post({ type: "error", error: describe(err), bytes });
});
