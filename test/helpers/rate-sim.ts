/**
 * Simulated rate-limited servers and a run of requests through one rate controller, on virtual
 * time (FakeClock): what the rate tests assert is an exact function of the algorithm.
 */
import { NetworkError } from "../../src/core/errors.js";
import { RateController } from "../../src/core/rate.js";
import { withRetry } from "../../src/core/retry.js";
import { FakeClock } from "./clock.js";

export type Answer = "ok" | { limited: true; retryAfterMs?: number | undefined };
export type Server = (t: number) => Answer;

/**
 * N per clock second, counted per calendar window (the sandbox's model); its windows start
 * `phaseMs` into a second (a run that begins late in one), refusals say `retryAfterMs`.
 */
export function fixedWindow(
  limit: number | ((t: number) => number),
  { phaseMs = 0, retryAfterMs }: { phaseMs?: number; retryAfterMs?: number } = {},
): Server {
  let second = -Infinity;
  let count = 0;
  return (t) => {
    const s = Math.floor((t + phaseMs) / 1000);
    if (s !== second) {
      second = s;
      count = 0;
    }
    count++;
    const n = typeof limit === "function" ? limit(t) : limit;
    return count <= n ? "ok" : { limited: true, retryAfterMs };
  };
}

export function tokenBucket(rate: number, burst: number): Server {
  let tokens = burst;
  let last = 0;
  return (t) => {
    tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
    last = t;
    if (tokens >= 1) {
      tokens -= 1;
      return "ok";
    }
    return { limited: true };
  };
}

export interface SimResult {
  failed: number;
  limited: number;
  requests: number;
  elapsedMs: number;
  sends: number[];
  controller: RateController;
}

/** `total` jobs through `concurrency` workers, each one request via withRetry + the controller. */
export async function simulate(opts: {
  server: Server;
  total: number;
  concurrency: number;
  latencyMs?: number;
  controller?: RateController;
  clock?: FakeClock;
}): Promise<SimResult> {
  const clock = opts.clock ?? new FakeClock();
  const controller = opts.controller ?? new RateController("api.test", { clock });
  const latency = opts.latencyMs ?? 40;
  let next = 0;
  let failed = 0;
  let limited = 0;
  const sends: number[] = [];
  const worker = async () => {
    while (next < opts.total) {
      next++;
      try {
        await withRetry(
          async () => {
            await clock.sleep(latency / 2);
            sends.push(clock.now());
            const answer = opts.server(clock.now());
            await clock.sleep(latency / 2);
            if (answer !== "ok") {
              limited++;
              throw new NetworkError("NET_RATE_LIMITED", "too many requests", {
                retryable: true,
                retryAfterMs: answer.retryAfterMs,
              });
            }
          },
          { rate: controller, policy: { attempts: 2 } },
        );
      } catch {
        failed++;
      }
    }
  };
  const start = clock.now();
  await clock.run(Promise.all(Array.from({ length: opts.concurrency }, worker)));
  return {
    failed,
    limited,
    requests: controller.stats().requests,
    elapsedMs: clock.now() - start,
    sends,
    controller,
  };
}

/** Most requests the server saw in any calendar second. */
export function busiestSecond(sends: number[]): number {
  const per = new Map<number, number>();
  for (const t of sends) per.set(Math.floor(t / 1000), (per.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(...per.values());
}

/** A controller on `clock` that records when each episode paused the host (and for how long). */
export function watchedController(
  clock: FakeClock,
  options: { maxWaitMs?: number } = {},
): { controller: RateController; pauses: { at: number; ms: number }[] } {
  const pauses: { at: number; ms: number }[] = [];
  const controller = new RateController("api.test", {
    clock,
    maxWaitMs: options.maxWaitMs,
    onPause: (e) => pauses.push({ at: clock.now(), ms: e.pauseMs }),
  });
  return { controller, pauses };
}

/** Most requests the server saw in any one-second span starting at or after `from`. */
export function busiestSpan(sends: number[], from: number): number {
  const after = sends.filter((t) => t >= from).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < after.length; j++) {
    while (after[j]! - after[i]! >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}
