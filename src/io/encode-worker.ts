/**
 * The encoder thread (started by ./encode-thread.ts): encodes each text it is sent as UTF-8 into a
 * shared ring and tells the main thread where the bytes are. It touches no file.
 *
 * Replies (where, how long, how many texts) go every REPLY_EVERY texts, when the main thread asks
 * (it is about to wait) and before this thread waits for room in the ring; the main thread gives
 * room back by moving `released` forward (Atomics, no message). A text larger than half the ring
 * goes in its own buffer, moved to the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type EncodeReply,
  type EncodeRequest,
  type EncodeThreadInit,
  REPLY_EVERY,
  RING_MASK,
} from "./encode-thread.js";

const init = workerData as EncodeThreadInit;
const port = parentPort!;
const ring = Buffer.from(init.ring);
const released = new Int32Array(init.control);
const size = ring.length;

/** Bytes produced so far, modulo 2^31 (`released` counts the same way). */
let head = 0;
/** The reply being gathered: where it starts in the ring, bytes skipped before it, its length. */
let start = 0;
let skip = 0;
let length = 0;
let count = 0;

function send(): void {
  if (count === 0) return;
  const msg: EncodeReply = { start, skip, length, count };
  start = head % size;
  skip = 0;
  length = 0;
  count = 0;
  port.postMessage(msg);
}

const inUse = () => (head - Atomics.load(released, 0)) & RING_MASK;

/** Wait until `need` more bytes fit in the ring (the main thread releases what it has copied). */
function room(need: number): void {
  while (size - inUse() < need) {
    send(); // what is gathered must reach the main thread before it can be released
    const seen = Atomics.load(released, 0);
    if (size - inUse() >= need) break;
    Atomics.wait(released, 0, seen, 1000);
  }
}

function add(text: string): void {
  // At most 3 UTF-8 bytes per UTF-16 unit, written contiguously: a text that would cross the end
  // of the ring starts at its beginning, and the bytes skipped are released with its reply.
  const max = text.length * 3;
  if (max > size / 2) {
    send();
    const own = Buffer.allocUnsafeSlow(Buffer.byteLength(text, "utf8"));
    own.write(text, 0, "utf8");
    const bytes = own.buffer as ArrayBuffer;
    port.postMessage({ start: 0, skip: 0, length: own.length, count: 1, bytes } satisfies EncodeReply, [
      bytes,
    ]);
    return;
  }
  let at = head % size;
  if (at + max > size) {
    send();
    room(size - at + max);
    skip = size - at;
    head = (head + skip) & RING_MASK;
    at = 0;
    start = 0;
  } else room(max);
  const n = ring.write(text, at, "utf8");
  head = (head + n) & RING_MASK;
  length += n;
  count++;
  if (count >= REPLY_EVERY) send();
}

port.on("message", (m: EncodeRequest) => {
  try {
    if (m.type === "text") add(m.text);
    else send();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    port.postMessage({ error: { message } } satisfies EncodeReply);
  }
});
