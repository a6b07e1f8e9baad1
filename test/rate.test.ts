/**
 * The rate controller on virtual time: simulated servers (fixed-window and token-bucket limits)
 * answer through a FakeClock, so the learned limit, the achieved rate and the share of rate-limit
 * answers are exact functions of the algorithm, not of the machine's speed.
 */
import { describe, expect, it } from "vitest";
import { NetworkError } from "../src/core/errors.js";
import { RateController } from "../src/core/rate.js";
import { RateLimits, rateHeaders } from "../src/core/rate-limits.js";
import { withRetry } from "../src/core/retry.js";
import { FakeClock } from "./helpers/clock.js";
import { type Server, busiestSecond, fixedWindow, simulate, tokenBucket } from "./helpers/rate-sim.js";

describe("rate controller: learning a limit it was never told", () => {
  it.each([8, 16, 64])(
    "finds and holds a fixed-window limit of 100/s at concurrency %i",
    async (concurrency) => {
      const r = await simulate({ server: fixedWindow(100), total: 3000, concurrency });
      expect(r.failed).toBe(0);
      const stats = r.controller.stats();
      expect(stats.learnedLimit).toBeGreaterThanOrEqual(95);
      expect(stats.learnedLimit).toBeLessThanOrEqual(105);
      // 3000 products at 100/s take 30 s: the achieved product rate is at least 95% of the limit.
      expect(3000 / (r.elapsedMs / 1000)).toBeGreaterThanOrEqual(95);
      expect(r.limited / r.requests).toBeLessThanOrEqual(0.05);
    },
  );

  it("converges on a token bucket's refill rate after its burst", async () => {
    const r = await simulate({ server: tokenBucket(50, 40), total: 2000, concurrency: 32 });
    expect(r.failed).toBe(0);
    expect(2000 / (r.elapsedMs / 1000)).toBeGreaterThanOrEqual(50 * 0.9);
    expect(r.limited / r.requests).toBeLessThanOrEqual(0.08);
    expect(r.controller.stats().learnedLimit).toBeLessThanOrEqual(60);
  });

  it("follows a limit that is raised during the run (additive increase)", async () => {
    const r = await simulate({
      server: fixedWindow((t) => (t < 20_000 ? 50 : 100)),
      total: 8000,
      concurrency: 32,
    });
    expect(r.failed).toBe(0);
    expect(r.controller.stats().learnedLimit).toBeGreaterThan(70);
  });

  it("never fails a request when concurrency is far above a tiny limit", async () => {
    const r = await simulate({ server: fixedWindow(3), total: 60, concurrency: 64, latencyMs: 10 });
    expect(r.failed).toBe(0);
    expect(busiestSecond(r.sends)).toBeGreaterThanOrEqual(3);
    expect(r.controller.stats().learnedLimit).toBeLessThanOrEqual(3.3);
  });
});

describe("rate controller: pacing", () => {
  it("--rate caps requests per second from the first request", async () => {
    const clock = new FakeClock();
    const controller = new RateController("api.test", { clock, maxRate: 20 });
    const r = await simulate({ server: () => "ok", total: 200, concurrency: 16, controller, clock });
    expect(r.limited).toBe(0);
    expect(busiestSecond(r.sends)).toBeLessThanOrEqual(21);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(9_900);
    expect(controller.stats().currentRate).toBe(20);
  });

  it("does not pace at all while the server never said no", async () => {
    const r = await simulate({ server: () => "ok", total: 640, concurrency: 64, latencyMs: 40 });
    // 10 round trips at 64 in flight, plus the slow start (4, 8, 16, 32 in flight: 4 round trips).
    expect(r.elapsedMs).toBeLessThanOrEqual(14 * 40);
    expect(r.controller.stats().currentRate).toBeUndefined();
  });

  it("honours Retry-After: nothing is sent to the host before it has passed", async () => {
    const clock = new FakeClock();
    let refusedAt: number | undefined;
    const server: Server = (t) => {
      if (refusedAt === undefined && t >= 1000) {
        refusedAt = t;
        return { limited: true, retryAfterMs: 5000 };
      }
      return "ok";
    };
    const r = await simulate({ server, total: 300, concurrency: 4, latencyMs: 20, clock });
    expect(r.failed).toBe(0);
    const answeredAt = refusedAt! + 10;
    const during = r.sends.filter((t) => t > answeredAt && t < answeredAt + 5000);
    // Only requests already on their way when the answer arrived (sent before it) may land.
    expect(during.every((t) => t <= answeredAt + 10)).toBe(true);
    expect(r.sends.some((t) => t >= answeredAt + 5000)).toBe(true);
    expect(r.controller.stats().pausedMs).toBeGreaterThanOrEqual(5000);
  });

  it("reads a reset given as a Unix time, and the IETF RateLimit-* names", () => {
    const now = Date.UTC(2026, 11, 2, 4, 0, 0);
    const epoch = rateHeaders(
      (n) => ({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 7) })[n],
      now,
    );
    expect(epoch).toMatchObject({ remaining: 0, resetMs: 7000 });
    // A Unix time already past is no wait at all, never a negative or huge one.
    expect(rateHeaders((n) => ({ "x-ratelimit-reset": String(now / 1000 - 5) })[n], now)?.resetMs).toBe(0);
    const ietf = rateHeaders(
      (n) => ({ "ratelimit-limit": "50", "ratelimit-remaining": "0", "ratelimit-reset": "1" })[n],
      now,
    );
    expect(ietf).toEqual({ limit: 50, remaining: 0, resetMs: 1000, retryAfterMs: undefined });
    // The X- form wins where both are sent.
    const both = rateHeaders((n) => ({ "x-ratelimit-limit": "20", "ratelimit-limit": "50" })[n], now);
    expect(both?.limit).toBe(20);
    expect(rateHeaders(() => undefined, now)).toBeUndefined();
  });

  it("X-RateLimit-Remaining: 0 waits for the reset before the next request", async () => {
    const clock = new FakeClock();
    const c = new RateController("api.test", { clock });
    const t1 = await c.acquire();
    c.observe(rateHeaders((n) => ({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" })[n])!);
    c.settle(t1, { kind: "passed" });
    const t2 = await clock.run(c.acquire());
    expect(t2.sentAt).toBe(3000);
  });

  it("reads X-RateLimit-Limit with a one-second reset as the limit per second", () => {
    const c = new RateController("api.test", { clock: new FakeClock() });
    c.observe({ limit: 10, remaining: 9, resetMs: 1000 });
    expect(c.stats().learnedLimit).toBe(10);
    expect(c.stats().currentRate).toBeCloseTo(9.75);
  });
});

describe("rate controller: max-wait", () => {
  it("stops with NET_RATE_LIMITED once the host said nothing but no for --max-wait", async () => {
    const clock = new FakeClock();
    const controller = new RateController("api.test", { clock, maxWaitMs: 60_000 });
    const p = simulate({ server: () => ({ limited: true }), total: 10, concurrency: 4, controller, clock });
    const r = await p;
    expect(r.failed).toBe(10);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(60_000);
    expect(r.elapsedMs).toBeLessThan(62_000);
    const err = await controller.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe("NET_RATE_LIMITED");
    expect((err as NetworkError).retryable).toBe(false);
    expect((err as NetworkError).message).toMatch(/--max-wait 1 min/);
  });

  it("stops at once when Retry-After asks for longer than --max-wait allows", async () => {
    const clock = new FakeClock();
    const controller = new RateController("api.test", { clock, maxWaitMs: 10_000 });
    const r = await simulate({
      server: () => ({ limited: true, retryAfterMs: 3600_000 }),
      total: 3,
      concurrency: 1,
      controller,
      clock,
    });
    expect(r.failed).toBe(3);
    expect(r.elapsedMs).toBeLessThan(1000);
  });

  it("Retry-After: 0 refused again and again backs off instead of looping as fast as the server answers", async () => {
    const clock = new FakeClock();
    const controller = new RateController("api.test", { clock, maxWaitMs: 60_000 });
    const r = await simulate({
      server: () => ({ limited: true, retryAfterMs: 0 }),
      total: 4,
      concurrency: 4,
      latencyMs: 1,
      controller,
      clock,
    });
    expect(r.failed).toBe(4);
    // 60 s at our own backoff (50 ms doubling to 400 ms): about 150 probes, not tens of thousands.
    expect(r.requests).toBeLessThan(300);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(60_000);
  });

  it("X-RateLimit-Remaining: 0 on a good answer with a reset beyond --max-wait stops the run at once", async () => {
    const clock = new FakeClock();
    const pauses: number[] = [];
    const c = new RateController("api.test", {
      clock,
      maxWaitMs: 60_000,
      onPause: (e) => pauses.push(e.pauseMs),
    });
    const t1 = await c.acquire();
    c.observe(rateHeaders((n) => ({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3600" })[n])!);
    c.settle(t1, { kind: "passed" });
    const err = await c.acquire().catch((e: unknown) => e);
    expect((err as NetworkError).code).toBe("NET_RATE_LIMITED");
    expect((err as NetworkError).message).toMatch(
      /no requests left and asks to wait 60 min more, beyond --max-wait 1 min/,
    );
    expect(clock.now()).toBe(0);
    expect(pauses).toEqual([3600_000]);
  });

  it("a success resets the stall: a long run of short limits is never stopped", async () => {
    const clock = new FakeClock();
    const controller = new RateController("api.test", { clock, maxWaitMs: 2000 });
    const r = await simulate({ server: fixedWindow(5), total: 100, concurrency: 8, controller, clock });
    expect(r.failed).toBe(0);
    expect(r.elapsedMs).toBeGreaterThan(10_000);
  });
});

describe("rate controller: bookkeeping", () => {
  it("an aborted wait rejects with ABORTED and leaves the queue", async () => {
    const clock = new FakeClock();
    const c = new RateController("api.test", { clock, maxRate: 1 });
    const first = await c.acquire();
    expect(first.sentAt).toBe(0);
    const ac = new AbortController();
    const waiting = c.acquire(ac.signal);
    expect(c.waiting).toBe(1);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
    expect(c.waiting).toBe(0);
  });

  it("keeps one controller per host for the whole run", () => {
    const rates = new RateLimits();
    expect(rates.for("https://a.example/api/brand")).toBe(rates.for("https://a.example/api.php?x=1"));
    expect(rates.for("https://a.example/")).not.toBe(rates.for("https://b.example/"));
    expect(rates.stats().map((s) => s.host)).toEqual(["a.example", "b.example"]);
  });

  it("rate-limit answers do not use up the error retry budget", async () => {
    const clock = new FakeClock();
    const c = new RateController("api.test", { clock });
    let calls = 0;
    const value = await clock.run(
      withRetry(
        async () => {
          calls++;
          if (calls <= 10) throw new NetworkError("NET_RATE_LIMITED", "slow down", { retryable: true });
          return "done";
        },
        { rate: c, policy: { attempts: 1 } },
      ),
    );
    expect(value).toBe("done");
    expect(c.stats()).toMatchObject({ requests: 11, rateLimited: 10, retries: 0 });
  });

  it("without a known transient code an error is not retried", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new NetworkError("NET_API_ERROR", "odd answer");
      },
      { policy: { attempts: 5, baseDelayMs: 1 } },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as NetworkError).code).toBe("NET_API_ERROR");
  });
});
