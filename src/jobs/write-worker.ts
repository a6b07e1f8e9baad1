/**
 * The writer thread (started by ./write-thread.ts): rebuilds each batch of rows from its wire form
 * (src/formats/writers/row-wire.ts), runs the output format's writer on it and encodes the text as
 * UTF-8 into a shared ring buffer. It touches no file: the main thread copies the bytes into its
 * Output, so the atomic-write rules (temporary file, rename on commit) stay where they are.
 *
 * The ring is reused (a fresh 1 MiB buffer per reply, moved to the main thread, measured about as
 * much CPU in page faults and in postMessage as the writer itself). Texts are gathered and one
 * reply (where, how long, how many requests) is posted every REPLY_EVERY requests, after the footer,
 * when the main thread asks (it is about to wait) and before this thread waits for room. The
 * main thread gives room back by moving `released` forward (Atomics, no message). A text larger than
 * half the ring goes in its own buffer, moved to the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createWriter } from "../formats/writers/index.js";
import { unpackRows } from "../formats/writers/row-wire.js";
import {
  REPLY_EVERY,
  RING_MASK,
  type WriteThreadInit,
  type WriteThreadReply,
  type WriteThreadRequest,
} from "./write-thread.js";

const init = workerData as WriteThreadInit;
const writer = createWriter(init.format, init.options);
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
  const msg: WriteThreadReply = { start, skip, length, count };
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
  // of the ring starts at its beginning, and the bytes skipped are released with the reply.
  const max = text.length * 3;
  if (max > size / 2) {
    // Larger than half the ring (products of a megabyte or more): its own buffer, moved.
    send();
    const own = Buffer.allocUnsafeSlow(Buffer.byteLength(text, "utf8"));
    own.write(text, 0, "utf8");
    const msg: WriteThreadReply = {
      start: 0,
      skip: 0,
      length: own.length,
      count: 1,
      bytes: own.buffer as ArrayBuffer,
    };
    port.postMessage(msg, [own.buffer as ArrayBuffer]);
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

port.on("message", (m: WriteThreadRequest) => {
  try {
    if (m.type === "batch") add(writer.batch(unpackRows(m.wire, init.keys)));
    else if (m.type === "flush") send();
    else if (m.type === "header") add(writer.header());
    else {
      add(writer.footer());
      send();
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    port.postMessage({ error: { message } } satisfies WriteThreadReply);
  }
});
