/**
 * How the rate controller reacts to rate-limit episodes, on virtual time against fixed-window
 * servers (test/helpers/rate-sim.ts): a refusal episode is reacted to once, not once per request
 * in flight; the first overshoot is one slow-start round; a run that begins late in a server
 * window is corrected by the next episode; after a Retry-After pause the host is paced below the
 * limit, not sent the burst that caused it; probing above a limit that costs a whole second per
 * refusal is rare; our own backoff never stops a run before --max-wait.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "./helpers/clock.js";
import { busiestSecond, busiestSpan, fixedWindow, simulate, watchedController } from "./helpers/rate-sim.js";

describe("rate controller: one reaction per episode", () => {
  it.each([16, 64])(
    "at concurrency %i, the requests in flight when the first refusal came do not cut the rate again",
    async (concurrency) => {
      const clock = new FakeClock();
      const { controller, pauses } = watchedController(clock);
      const r = await simulate({
        server: fixedWindow(100, { retryAfterMs: 1000 }),
        total: 1500,
        concurrency,
        controller,
        clock,
      });
      expect(r.failed).toBe(0);
      // One episode (the first overshoot); every other refusal answered a request already sent.
      expect(pauses).toHaveLength(1);
      expect(r.limited).toBeGreaterThan(1);
      expect(controller.stats().learnedLimit).toBe(100);
      expect(controller.stats().currentRate).toBeCloseTo(97.5);
    },
  );
});

describe("rate controller: slow start", () => {
  it("the first overshoot is at most one round, far below the concurrency", async () => {
    const clock = new FakeClock();
    const { controller, pauses } = watchedController(clock);
    // Rounds of 4 and 8 reach a limit of 10: the second round overshoots by 2; nothing else
    // is sent until that round is answered, and after it the host is paced.
    const r = await simulate({ server: fixedWindow(10), total: 100, concurrency: 64, controller, clock });
    expect(r.failed).toBe(0);
    expect(r.limited).toBe(2);
    expect(pauses).toHaveLength(1);
    expect(controller.stats().learnedLimit).toBe(10);
  });
});

describe("rate controller: window edges", () => {
  it("a first count over two of the server's windows is corrected by the next episode", async () => {
    // The run begins 100 ms before a window ends: the slow start's first two rounds (12) land in
    // that window and the limit's worth in the next, so the first episode counts 37. Paced at
    // 97.5% of that after the pause, the window it resumes in refuses after 25: believed.
    const clock = new FakeClock();
    const { controller, pauses } = watchedController(clock);
    const r = await simulate({
      server: fixedWindow(25, { phaseMs: 900, retryAfterMs: 1000 }),
      total: 500,
      concurrency: 16,
      controller,
      clock,
    });
    expect(r.failed).toBe(0);
    expect(pauses).toHaveLength(2);
    expect(controller.stats().learnedLimit).toBe(25);
    expect(controller.stats().currentRate).toBeCloseTo(24.375);
    // After the correction no server window saw more than its limit.
    const later = r.sends.filter((t) => t >= pauses[1]!.at + 1000).map((t) => t + 900);
    expect(busiestSecond(later)).toBeLessThanOrEqual(25);
  });

  it.each([0, 250, 500, 750])(
    "paced to a steady interval, no server window sees more than the limit (phase %i ms)",
    async (phaseMs) => {
      const clock = new FakeClock();
      const { controller, pauses } = watchedController(clock);
      const r = await simulate({
        server: fixedWindow(50, { phaseMs, retryAfterMs: 1000 }),
        total: 1500,
        concurrency: 32,
        controller,
        clock,
      });
      expect(r.failed).toBe(0);
      expect(pauses.length).toBeLessThanOrEqual(2);
      const later = r.sends.filter((t) => t >= pauses.at(-1)!.at + 1000).map((t) => t + phaseMs);
      expect(busiestSecond(later)).toBeLessThanOrEqual(50);
      expect(r.limited / r.requests).toBeLessThanOrEqual(0.05);
    },
  );
});

describe("rate controller: after a Retry-After pause", () => {
  it("resumes below the learned limit, one request first, never the burst that caused the pause", async () => {
    const clock = new FakeClock();
    const { controller, pauses } = watchedController(clock);
    const r = await simulate({
      server: fixedWindow(40, { retryAfterMs: 1000 }),
      total: 600,
      concurrency: 64,
      controller,
      clock,
    });
    expect(r.failed).toBe(0);
    expect(pauses).toHaveLength(1);
    const resumed = pauses[0]!.at + 1000;
    // Paced at 97.5% of 40/s: never more than the limit in any second after the pause (the burst
    // that caused it was 64 at once), so nothing after it is refused.
    expect(busiestSpan(r.sends, resumed)).toBeLessThanOrEqual(40);
    const after = r.sends.filter((t) => t >= resumed).sort((a, b) => a - b);
    expect(after[1]! - after[0]!).toBeGreaterThanOrEqual(1000 / 39 - 1e-6);
  });

  it("probes above the limit at most once per 100 pauses' time (Retry-After 1 s: not within 100 s)", async () => {
    const clock = new FakeClock();
    const { controller, pauses } = watchedController(clock);
    // 60 s at 20/s: with a 5 s hold the rate would have risen above the limit several times.
    const r = await simulate({
      server: fixedWindow(20, { retryAfterMs: 1000 }),
      total: 1200,
      concurrency: 8,
      controller,
      clock,
    });
    expect(r.failed).toBe(0);
    expect(pauses).toHaveLength(1);
    expect(controller.stats().currentRate).toBeCloseTo(19.5);
    expect(1200 / (r.elapsedMs / 1000)).toBeGreaterThanOrEqual(20 * 0.95);
  });
});

describe("rate controller: max-wait and our own backoff", () => {
  it("probe backoff that would end past --max-wait does not stop the run before it", async () => {
    const clock = new FakeClock();
    const { controller } = watchedController(clock, { maxWaitMs: 1000 });
    // 5 pass, then nothing but code 1002: probes back off 50, 100, 200, 400 ms (750 ms in all),
    // and the next 400 ms pause would end past the second: the run still waits the full second.
    let n = 0;
    const r = await simulate({
      server: () => (++n <= 5 ? "ok" : { limited: true }),
      total: 8,
      concurrency: 1,
      controller,
      clock,
      latencyMs: 0,
    });
    expect(r.failed).toBe(3);
    const err = await controller.acquire().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NET_RATE_LIMITED" });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(r.elapsedMs).toBeLessThan(1500);
  });
});
