/**
 * Waiting for something asynchronous to have happened (a file handle closed, a socket gone)
 * without a wall-clock budget: each round is a round trip through libuv's thread pool, where
 * fs closes queue too, so the wait follows the work rather than a number of milliseconds. Only
 * the test's own timeout ends a wait for something that never happens (then the test fails).
 */
import { access } from "node:fs/promises";

export async function until(done: () => boolean): Promise<void> {
  while (!done()) {
    await access(".");
    await new Promise((r) => setImmediate(r));
  }
}
