/** A clock tests drive by hand: `sleep` resolves only when `advance` moves time past its end. */
import type { SchedulerClock } from "../../src/jobs/scheduler.js";

export interface ManualClock extends SchedulerClock {
  /** Move time forward, waking every sleeper whose time has come, and let them run. */
  advance(ms: number): Promise<void>;
  /** Sleepers waiting now. */
  readonly waiting: number;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

export function manualClock(start = Date.parse("2026-12-01T00:00:00Z")): ManualClock {
  let now = start;
  const sleepers = new Set<{ at: number; wake: () => void }>();
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        const s = {
          at: now + ms,
          wake: () => {
            sleepers.delete(s);
            signal.removeEventListener("abort", s.wake);
            resolve();
          },
        };
        sleepers.add(s);
        signal.addEventListener("abort", s.wake, { once: true });
        if (signal.aborted) s.wake();
      });
    },
    async advance(ms) {
      const end = now + ms;
      // Step from one wake-up to the next, so a sleeper started on the way wakes on time too.
      for (;;) {
        await settle();
        const due = [...sleepers].filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        due.wake();
      }
      now = end;
      await settle();
    },
    get waiting() {
      return sleepers.size;
    },
  };
}
