/**
 * Virtual clocks for tests of the rate controller and the sandbox's rate limiter: no test waits
 * for, or depends on, wall-clock seconds.
 *
 * - `FakeClock`: time moves only when `run()` fires the next timer (after letting every pending
 *   promise settle), for in-process simulations where all waiting goes through the clock.
 * - `manualClock`: epoch-millisecond time for the job scheduler (croner needs dates), moved by
 *   `advance()`.
 * - `StepClock`: for runs that also do real I/O (HTTP to the sandbox): a sleeper wakes, in order,
 *   only when `busy()` is zero (no request in flight), so every request happens at the virtual
 *   instant it was let through, however slow the machine is.
 */
import type { Clock } from "../../src/core/clock.js";
import type { SchedulerClock } from "../../src/jobs/scheduler.js";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

class TimerQueue {
  readonly timers: Timer[] = [];
  #seq = 0;
  add(at: number, resolve: () => void, signal?: AbortSignal): void {
    const timer: Timer = { at, seq: this.#seq++, resolve };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    signal?.addEventListener(
      "abort",
      () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
        resolve();
      },
      { once: true },
    );
  }
  pop(): Timer | undefined {
    return this.timers.shift();
  }
}

export class FakeClock implements Clock {
  t = 0;
  readonly #queue = new TimerQueue();

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#queue.add(this.t + Math.max(0, ms), resolve, signal));
  }

  /** Fire timers in order until `done` settles (or no timer is left); returns its value. */
  async run<T>(done: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
    let settled = false;
    const watched = done.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    for (;;) {
      for (let i = 0; i < 3; i++) await tick();
      if (settled) return watched;
      const next = this.#queue.pop();
      if (!next) return watched;
      if (next.at > limitMs) throw new Error(`virtual time ran past ${limitMs} ms`);
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

export class StepClock implements Clock {
  t = 0;
  readonly #queue = new TimerQueue();
  #pumping = false;
  /** Work in flight that must finish before time moves on (e.g. a controller's in-flight count). */
  busy: () => number = () => 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.#queue.add(this.t + Math.max(0, ms), resolve, signal));
    void this.#pump();
    return p;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.timers.length > 0) {
        await tick();
        if (this.busy() > 0) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        const next = this.#queue.pop();
        if (!next) break;
        this.t = Math.max(this.t, next.at);
        next.resolve();
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/** A wall clock (epoch ms) for the job scheduler that tests drive by hand: `sleep` resolves only when `advance` moves time past its end. */
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
