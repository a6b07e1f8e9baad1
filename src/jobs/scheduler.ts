/**
 * The in-process scheduler of `feedpipe jobs schedule`: starts each job at the times its cron
 * expression gives (croner computes them; nothing here parses cron), never twice at once, and
 * stops cleanly.
 *
 * - A job whose previous run is still going when its time comes is skipped (`onSkip`), not queued.
 * - `stop()` (or the signal) ends the loop, aborts the running jobs through their signals and waits
 *   for them, so each can record itself as aborted.
 * - `reload(jobs)` replaces the schedule (SIGHUP); running jobs go on.
 * - The clock is injected: tests drive time by hand, nothing waits on the wall clock.
 */
import { Cron } from "croner";
import { FeedpipeError } from "../core/errors.js";

export interface ScheduleEntry {
  name: string;
  cron: string;
  timezone?: string | undefined;
}

export interface SchedulerClock {
  now(): number;
  /** Resolve after `ms` (or earlier when `signal` aborts). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface SchedulerOptions {
  clock?: SchedulerClock | undefined;
  /** Run one job; resolves when it ended (its own errors are its business: record, notify). */
  start(name: string, signal: AbortSignal): Promise<void>;
  onSkip?(name: string, reason: string): void;
  onFire?(name: string, at: Date): void;
}

export interface Scheduler {
  /** Run until stopped; resolves after the running jobs have ended. */
  run(signal?: AbortSignal): Promise<void>;
  reload(entries: readonly ScheduleEntry[]): void;
  /** Next start time per job (undefined: never again). */
  next(): Map<string, Date | undefined>;
  stop(): void;
}

/** The longest single wait: the loop wakes at least this often (clock changes, long timeouts). */
const MAX_SLEEP_MS = 60 * 60 * 1000;

export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
};

/** Check a cron expression (and time zone) now, with a clear error. */
export function compileSchedule(entry: ScheduleEntry): Cron {
  try {
    // croner accepts an unknown zone until it computes a time: check it here, with Intl.
    if (entry.timezone !== undefined) new Intl.DateTimeFormat("en", { timeZone: entry.timezone });
    return new Cron(entry.cron, {
      paused: true,
      mode: "5-or-6-parts",
      ...(entry.timezone === undefined ? {} : { timezone: entry.timezone }),
    });
  } catch (err) {
    throw new FeedpipeError(
      "JOB_FILE_INVALID",
      `jobs.${entry.name}.schedule: "${entry.cron}"${entry.timezone ? ` (${entry.timezone})` : ""} is not a valid schedule: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The next start of `cron` strictly after `fromMs`. */
function nextAfter(cron: Cron, fromMs: number): number | undefined {
  return cron.nextRun(new Date(fromMs))?.getTime();
}

export function createScheduler(initial: readonly ScheduleEntry[], options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const stopper = new AbortController();
  const jobsAbort = new AbortController();
  const running = new Map<string, Promise<void>>();
  let entries = new Map<string, { cron: Cron; next: number | undefined }>();
  let wake = new AbortController();

  const plan = (list: readonly ScheduleEntry[]) => {
    const now = clock.now();
    const next = new Map<string, { cron: Cron; next: number | undefined }>();
    for (const e of list) {
      const cron = compileSchedule(e);
      next.set(e.name, { cron, next: nextAfter(cron, now) });
    }
    entries = next;
  };
  plan(initial);

  const fire = (name: string, at: number) => {
    if (running.has(name)) {
      options.onSkip?.(name, "its previous run is still going");
      return;
    }
    options.onFire?.(name, new Date(at));
    const p = options
      .start(name, jobsAbort.signal)
      .catch(() => undefined)
      .finally(() => running.delete(name));
    running.set(name, p);
  };

  return {
    async run(signal) {
      const onAbort = () => this.stop();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) this.stop();
      try {
        while (!stopper.signal.aborted) {
          const now = clock.now();
          let earliest: number | undefined;
          for (const [name, e] of entries) {
            if (e.next !== undefined && e.next <= now) {
              fire(name, e.next);
              e.next = nextAfter(e.cron, Math.max(now, e.next));
            }
            if (e.next !== undefined && (earliest === undefined || e.next < earliest)) earliest = e.next;
          }
          const wait = earliest === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, earliest - now);
          const both = AbortSignal.any([stopper.signal, wake.signal]);
          await clock.sleep(Math.max(0, wait), both);
          if (wake.signal.aborted) wake = new AbortController();
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        jobsAbort.abort(new FeedpipeError("ABORTED", "The scheduler is stopping"));
        await Promise.allSettled([...running.values()]);
      }
    },
    reload(list) {
      plan(list);
      wake.abort();
    },
    next() {
      return new Map(
        [...entries].map(([name, e]) => [name, e.next === undefined ? undefined : new Date(e.next)]),
      );
    },
    stop() {
      stopper.abort();
    },
  };
}

/** Next start time of one schedule after `from` (for `jobs status`). */
export function nextStart(entry: ScheduleEntry, from: Date = new Date()): Date | undefined {
  return compileSchedule(entry).nextRun(from) ?? undefined;
}
