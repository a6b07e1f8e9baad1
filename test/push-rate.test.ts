/**
 * Push at the server's limit: the run's rate controller against the sandbox's rate limiter, both on
 * one virtual clock (StepClock: time moves only while no request is in flight), so what is
 * asserted about limits, pauses and max-wait does not depend on the machine's speed. Then the
 * final pass: transient failures get one more, slower try; refusals never do.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Product } from "../schemas/product.js";
import { FeedpipeError, NetworkError } from "../src/core/errors.js";
import { FINAL_PASS_RETRY } from "../src/jobs/final-pass.js";
import { type PushSummary, pushFeed } from "../src/jobs/push.js";
import { RateLimits } from "../src/core/rate-limits.js";
import { closeHttpAgents } from "../src/io/http.js";
import { type CallOptions, createBrandClient, type ProductSink } from "../src/networks/partnerboost/brand.js";
import type { FaultOptions } from "../src/sandbox/server.js";
import { SyncState } from "../src/sync/state.js";
import {
  type BrandSandbox,
  CREDS,
  FAST_RETRY,
  memoryFeed,
  product,
  startBrandSandbox,
} from "./fixtures/push/helpers.js";
import { StepClock } from "./helpers/clock.js";

let dir: string;
let sb: BrandSandbox | undefined;
const states: SyncState[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "feedpipe-push-rate-"));
});
afterEach(async () => {
  for (const s of states.splice(0)) s.close();
  await sb?.server.close();
  sb = undefined;
  await closeHttpAgents();
  rmSync(dir, { recursive: true, force: true });
});

function openState(): SyncState {
  const s = SyncState.open(join(dir, "state.db"));
  states.push(s);
  return s;
}

const products = (n: number) => Array.from({ length: n }, (_, i) => product(i + 1));

interface Run {
  clock: StepClock;
  rates: RateLimits;
  sink: ProductSink;
}

/** A sandbox, a client and a rate controller on one virtual clock. */
async function virtualRun(
  faults: FaultOptions,
  options: { retryAfterSeconds?: number; maxWaitMs?: number } = {},
): Promise<Run> {
  const clock = new StepClock();
  const rates = new RateLimits({ clock, maxWaitMs: options.maxWaitMs });
  sb = await startBrandSandbox({ retryAfterSeconds: options.retryAfterSeconds ?? 0.02 }, faults, clock);
  clock.busy = () => rates.for(sb!.url).inFlight;
  const sink = createBrandClient(sb.config, { retry: FAST_RETRY, timeoutMs: 5000, rates });
  return { clock, rates, sink };
}

function pushAll(run: Run, list: Product[], state: SyncState | undefined, concurrency: number) {
  return pushFeed({
    source: async () => memoryFeed(list),
    client: run.sink,
    state,
    brandId: CREDS.brandId,
    concurrency,
    rates: run.rates,
    finalPassRetry: { baseDelayMs: 5, maxDelayMs: 40 },
  });
}

function expectStoredAsSent(s: BrandSandbox, list: Product[]): void {
  expect(s.brand.store.products.size).toBe(list.length);
  for (const p of list) expect(s.brand.store.products.get(p.sku)?.product).toMatchObject({ ...p });
}

describe("push at the server's limit (virtual time)", () => {
  it("finds a limit it was never told (20/s, code 1002) and holds it", async () => {
    const run = await virtualRun({ rateLimit: 20, rateLimitStyle: "code" });
    const list = products(400);
    const summary = await pushAll(run, list, openState(), 16);
    expect(summary).toMatchObject({ sent: 400, failed: 0 });
    expectStoredAsSent(sb!, list);
    const n = summary.network!;
    expect(n.learnedLimit).toBeGreaterThanOrEqual(18);
    expect(n.learnedLimit).toBeLessThanOrEqual(21);
    expect(n.rateLimited).toBe(sb!.server.stats.faults.rateLimited);
    expect(n.rateLimited / n.requests).toBeLessThan(0.1);
    // 400 requests at 20/s: 20 s of virtual time, plus at most ~5% lost to learning.
    expect(run.clock.now()).toBeLessThanOrEqual(21_000);
    expect(n.retries).toBe(0);
  });

  it("ends with 0 failed at a concurrency far above the limit (64 against 5/s, HTTP 429)", async () => {
    const run = await virtualRun({ rateLimit: 5, rateLimitStyle: "http" }, { retryAfterSeconds: 1 });
    const list = products(60);
    const summary = await pushAll(run, list, openState(), 64);
    expect(summary).toMatchObject({ sent: 60, failed: 0, status: "ok" });
    expectStoredAsSent(sb!, list);
    expect(summary.network!.rateLimited).toBeGreaterThan(0);
    expect(summary.finalPass.tried).toBe(0);
  });

  it("honours Retry-After: after a 429 nothing new reaches the server before it has passed", async () => {
    const run = await virtualRun({ rateLimit: 10, rateLimitStyle: "http" }, { retryAfterSeconds: 2 });
    const arrivals: { t: number; limited: boolean }[] = [];
    const brand = sb!.brand;
    const handle = brand.handle.bind(brand);
    const limited = brand.rateLimited!.bind(brand);
    brand.handle = (req, reply) => {
      arrivals.push({ t: run.clock.now(), limited: false });
      return handle(req, reply);
    };
    brand.rateLimited = (req, reply, style) => {
      arrivals.push({ t: run.clock.now(), limited: true });
      limited(req, reply, style);
    };
    const summary = await pushAll(run, products(80), undefined, 8);
    expect(summary).toMatchObject({ sent: 80, failed: 0 });
    const refusals = arrivals.filter((a) => a.limited);
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      // Requests at the same instant were already on their way; none may start within 2 s after.
      expect(arrivals.some((a) => a.t > r.t && a.t < r.t + 2000)).toBe(false);
    }
    expect(summary.network!.hosts[0]!.pausedMs).toBeGreaterThanOrEqual(2000 * 1);
  });

  it("stops cleanly at --max-wait, keeping confirmations, and the next run sends only the rest", async () => {
    const run = await virtualRun({}, { maxWaitMs: 30_000 });
    for (let i = 0; i < 25; i++) sb!.script.push({ kind: "pass" });
    for (let i = 0; i < 5000; i++) sb!.script.push({ kind: "code", code: 1002 });
    const list = products(100);
    const state = openState();
    const err = await pushAll(run, list, state, 4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    const e = err as FeedpipeError;
    expect(e.code).toBe("NET_RATE_LIMITED");
    expect(e.message).toMatch(/--max-wait 30 s: stopping the run/);
    const partial = e.context.summary as PushSummary;
    expect(partial).toMatchObject({ sent: 25, failed: 0, status: "aborted" });
    expect(run.clock.now()).toBeGreaterThanOrEqual(30_000);
    expect(state.confirmedCount(CREDS.brandId)).toBe(25);

    // The server recovers: the next run sends exactly the 75 unconfirmed products.
    sb!.script.length = 0;
    const next = await pushAll(await reuse(run), list, state, 4);
    expect(next).toMatchObject({ sent: 75, unchanged: 25, failed: 0, status: "ok" });
    expectStoredAsSent(sb!, list);
  });

  it("under 20% HTTP 500, 10% ambiguous resets and a rate limit: 0 failed, every product stored as sent", async () => {
    const run = await virtualRun({
      rateLimit: 40,
      rateLimitStyle: "code",
      errorRate: 0.2,
      dropAfterRate: 0.1,
      seed: 11,
    });
    const list = products(300);
    const summary = await pushAll(run, list, openState(), 16);
    expect(summary).toMatchObject({ sent: 300, failed: 0, status: "ok" });
    expectStoredAsSent(sb!, list);
    const f = sb!.server.stats.faults;
    expect(f.errors).toBeGreaterThan(0);
    expect(f.dropsAfter).toBeGreaterThan(0);
    expect(f.rateLimited).toBeGreaterThan(0);
    expect(summary.network!.retries).toBeGreaterThanOrEqual(f.errors);
  });
});

/** A fresh run (new controllers and client) against the same sandbox. */
async function reuse(run: Run): Promise<Run> {
  const clock = new StepClock();
  clock.t = run.clock.now();
  const rates = new RateLimits({ clock });
  clock.busy = () => rates.for(sb!.url).inFlight;
  return { clock, rates, sink: createBrandClient(sb!.config, { retry: FAST_RETRY, rates }) };
}

describe("the final pass", () => {
  /** An in-process sink: each SKU fails as scripted, in order, then succeeds. */
  function scriptedSink(script: Record<string, (() => Error)[]>) {
    const calls: { sku: string; retry: CallOptions["retry"] }[] = [];
    const sink: ProductSink = {
      async pushProduct(p, options) {
        calls.push({ sku: p.sku, retry: options?.retry });
        const next = script[p.sku]?.shift();
        if (next) throw next();
      },
    };
    return { sink, calls };
  }
  const http500 = () =>
    new NetworkError("HTTP_STATUS", "HTTP 500", { retryable: true, context: { status: 500, attempts: 6 } });
  const reset = () =>
    new NetworkError("HTTP_CONNECTION", "socket reset", { retryable: true, context: { attempts: 6 } });
  const refused = () =>
    new NetworkError("NET_BAD_REQUEST", "code 1003: invalid input", { context: { apiCode: 1003 } });
  const odd = () => new NetworkError("NET_API_ERROR", "code 4242");

  it("recovers transient failures with a slower policy and never retries permanent ones", async () => {
    const { sink, calls } = scriptedSink({
      "SKU-0002": [http500],
      "SKU-0003": [reset],
      "SKU-0004": [refused],
      "SKU-0005": [odd],
      "SKU-0006": [http500, http500],
    });
    const list = products(8);
    const state = openState();
    const summary = await pushFeed({
      source: async () => memoryFeed(list),
      client: sink,
      state,
      brandId: CREDS.brandId,
      concurrency: 4,
    });
    expect(summary).toMatchObject({ sent: 5, failed: 3, status: "partial" });
    expect(summary.finalPass).toEqual({ tried: 3, recovered: 2 });
    const count = (sku: string) => calls.filter((c) => c.sku === sku).length;
    expect([2, 3, 4, 5, 6].map((i) => count(`SKU-000${i}`))).toEqual([2, 2, 1, 1, 2]);
    // The second try of each is the final pass, with its slower backoff.
    for (const c of calls.filter((x) => x.retry !== undefined)) expect(c.retry).toEqual(FINAL_PASS_RETRY);
    expect(summary.failures.map((f) => [f.sku, f.code, f.attempts])).toEqual([
      ["SKU-0004", "NET_BAD_REQUEST", undefined],
      ["SKU-0005", "NET_API_ERROR", undefined],
      ["SKU-0006", "HTTP_STATUS", 12],
    ]);
    expect(state.confirmedCount(CREDS.brandId)).toBe(5);
    expect(state.confirmedHash(CREDS.brandId, "SKU-0006")).toBeUndefined();
  });

  it("a run stopped before the final pass leaves its products unconfirmed, not failed", async () => {
    const { sink } = scriptedSink({
      "SKU-0001": [http500],
      "SKU-0008": [() => new NetworkError("NET_AUTH_FAILED", "invalid token")],
    });
    const state = openState();
    const err = await pushFeed({
      source: async () => memoryFeed(products(8)),
      client: sink,
      state,
      brandId: CREDS.brandId,
      concurrency: 1,
    }).catch((e: unknown) => e as FeedpipeError);
    expect((err as FeedpipeError).code).toBe("NET_AUTH_FAILED");
    const partial = (err as FeedpipeError).context.summary as PushSummary;
    expect(partial).toMatchObject({ sent: 6, failed: 0 });
    expect(partial.finalPass.tried).toBe(1);
    expect(state.confirmedHash(CREDS.brandId, "SKU-0001")).toBeUndefined();
  });
});
