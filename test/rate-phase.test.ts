/**
 * The fit of a fixed window's phase to rate-limit episodes (src/core/rate-phase.ts) and what the
 * controller does with it after `Retry-After` pauses (src/core/rate-learn.ts): episodes at clearly
 * different rates pin the limit down; episodes at one steady rate only bound it (the phase lock).
 */
import { describe, expect, it } from "vitest";
import { FIT_MAX_SPREAD_MS, WindowPhase } from "../src/core/rate-phase.js";
import { FakeClock } from "./helpers/clock.js";
import { fixedWindow, simulate, tokenBucket, watchedController } from "./helpers/rate-sim.js";

/**
 * What a fixed-window server (limit per second, windows starting at `phase` mod 1000) lets pass of
 * a steady stream at `rate` per second from `from`: the arrivals that counted before the first
 * refusal, and when it came.
 */
function episode(limit: number, phase: number, rate: number, from: number, spread = 0) {
  const arrivals: number[] = [];
  let window = Math.floor((from - phase) / 1000);
  let used = 0;
  for (let i = 0; ; i++) {
    const t = from + (i * 1000) / rate;
    const w = Math.floor((t - phase) / 1000);
    if (w !== window) {
      window = w;
      used = 0;
    }
    if (++used > limit) return { at: t, arrivals, spread };
    arrivals.push(t);
  }
}

describe("WindowPhase.fit", () => {
  it("needs two episodes", () => {
    const fit = new WindowPhase();
    fit.add(episode(100, 300, 180, 0));
    expect(fit.fit()).toBeUndefined();
  });

  it.each([
    [100, 300, 180, 140],
    [100, 900, 190, 120],
    [250, 640, 400, 300],
    [30, 450, 55, 38],
  ])("episodes at two rates give the limit (limit %i, phase %i, rates %i and %i)", (limit, phase, r1, r2) => {
    const fit = new WindowPhase();
    const first = episode(limit, phase, r1, 50);
    fit.add(first);
    // The second resumes a second after the first refusal, as after Retry-After: 1.
    fit.add(episode(limit, phase, r2, first.at + 1040));
    const f = fit.fit()!;
    expect(f.lo).toBeLessThanOrEqual(limit);
    expect(f.hi).toBeGreaterThanOrEqual(limit);
    // Sends are discrete, so neighbouring phases fit as well: the lowest of them, a little under.
    expect(f.best).toBeLessThanOrEqual(limit);
    expect(f.best).toBeGreaterThanOrEqual(limit - Math.max(2, limit * 0.02));
  });

  it("two rates can still leave two readings when the run began inside a window", () => {
    // Begun 50 ms into a window that starts at 120: a window from 30 holding 45 fits both episodes
    // as well as the true one from 120 holding 40. The range says so; it does not pick one.
    const fit = new WindowPhase();
    const first = episode(40, 120, 70, 50);
    fit.add(first);
    fit.add(episode(40, 120, 52, first.at + 1040));
    const f = fit.fit()!;
    expect(f.lo).toBeLessThanOrEqual(40);
    expect(f.hi).toBeGreaterThanOrEqual(45);
  });

  it("episodes at one steady rate (the phase lock) only bound the limit", () => {
    const fit = new WindowPhase();
    const first = episode(100, 500, 187, 40);
    fit.add(first);
    const second = episode(100, 500, 187, first.at + 1040);
    fit.add(second);
    const f = fit.fit()!;
    expect(f.lo).toBeLessThanOrEqual(100);
    expect(f.hi).toBeGreaterThanOrEqual(100);
    // Wide: the count alone (about what 187/s sends in a second) would have been believed.
    expect(f.hi - f.lo).toBeGreaterThan(30);
    expect(f.phases).toBeGreaterThan(10);
  });

  it("leaves out episodes taken while round trips spread widely (rough arrival estimates)", () => {
    const fit = new WindowPhase();
    const first = episode(100, 300, 180, 50, FIT_MAX_SPREAD_MS + 1);
    fit.add(first);
    fit.add(episode(100, 300, 140, first.at + 1040));
    expect(fit.fit()).toBeUndefined();
    fit.add(episode(100, 300, 120, first.at + 4040));
    expect(fit.fit()!.best).toBeLessThanOrEqual(100);
  });

  it("keeps the last four episodes", () => {
    const fit = new WindowPhase();
    for (let i = 0; i < 6; i++) fit.add(episode(50, 0, 80, i * 5000));
    expect(fit.episodes).toBe(4);
  });
});

describe("rate controller: fixed windows after Retry-After pauses", () => {
  it.each([500, 750])(
    "a phase-locked start (concurrency 8, window phase %i ms) finds the limit in at most three episodes",
    async (phaseMs) => {
      // Concurrency 8 at 40 ms sends ~190/s unpaced: the first count spans two windows (about 150-190),
      // and every episode after a 1 s pause straddles a window edge at the same place. Counting alone,
      // the limit came down a few percent per episode: 8 and 13 episodes (each a whole second).
      const clock = new FakeClock();
      const { controller, pauses } = watchedController(clock);
      const r = await simulate({
        server: fixedWindow(100, { phaseMs, retryAfterMs: 1000 }),
        total: 3000,
        concurrency: 8,
        controller,
        clock,
      });
      expect(r.failed).toBe(0);
      expect(pauses.length).toBeLessThanOrEqual(3);
      expect(controller.stats().learnedLimit).toBe(100);
      expect(controller.stats().currentRate).toBeCloseTo(97.5);
    },
  );

  it("a server that is not a fixed window (token bucket) is learned by the count as before", async () => {
    const clock = new FakeClock();
    const { controller } = watchedController(clock);
    const r = await simulate({
      server: tokenBucket(50, 10),
      total: 1500,
      concurrency: 16,
      controller,
      clock,
    });
    expect(r.failed).toBe(0);
    const learned = controller.stats().learnedLimit!;
    expect(learned).toBeGreaterThanOrEqual(45);
    expect(learned).toBeLessThanOrEqual(62);
  });
});
