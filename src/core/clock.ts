/**
 * An injectable clock: the rate controller and the sandbox's rate limiter read time and wait
 * through one, so tests can run them on virtual time instead of wall-clock seconds.
 */
import { setTimeout as sleepTimer } from "node:timers/promises";

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  /** Resolve after `ms` (or at once when `signal` aborts; never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  async sleep(ms, signal) {
    if (signal?.aborted) return;
    try {
      await sleepTimer(Math.max(0, ms), undefined, signal ? { signal } : undefined);
    } catch {
      // aborted: wake early
    }
  },
};
