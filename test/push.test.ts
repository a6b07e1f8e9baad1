import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Product } from "../schemas/product.js";
import { FeedpipeError } from "../src/core/errors.js";
import type { CheckedRecord, ProcessedFeed } from "../src/jobs/pipeline.js";
import { type PushSummary, pushFeed } from "../src/jobs/push.js";
import { RateLimits } from "../src/core/rate-limits.js";
import type { RetryPolicy } from "../src/core/retry.js";
import { closeHttpAgents } from "../src/io/http.js";
import { type BrandClient, createBrandClient, type ProductSink } from "../src/networks/partnerboost/brand.js";
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
  dir = mkdtempSync(join(tmpdir(), "feedpipe-push-"));
});
afterEach(async () => {
  for (const s of states.splice(0)) s.close();
  await sb?.server.close();
  sb = undefined;
  await closeHttpAgents();
  rmSync(dir, { recursive: true, force: true });
});

function openState(flushEvery?: number): SyncState {
  const s = SyncState.open(join(dir, "state.db"), { flushEvery });
  states.push(s);
  return s;
}

const products = (n: number, from = 1) => Array.from({ length: n }, (_, i) => product(from + i));

function clientFor(s: BrandSandbox, retry: Partial<RetryPolicy> = FAST_RETRY): BrandClient {
  return createBrandClient(s.config, { retry, timeoutMs: 2000 });
}

async function push(
  list: Product[],
  client: ProductSink,
  state: SyncState | undefined,
  extra: Partial<Parameters<typeof pushFeed>[0]> & { invalid?: number } = {},
): Promise<PushSummary> {
  const { invalid, ...rest } = extra;
  return pushFeed({
    source: async () => memoryFeed(list, { invalid }),
    client,
    state,
    brandId: CREDS.brandId,
    concurrency: 8,
    ...rest,
  });
}

async function pushError(p: Promise<unknown>): Promise<FeedpipeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    return err as FeedpipeError;
  }
  throw new Error("expected the push to fail");
}

function expectExactlyOnce(s: BrandSandbox, list: Product[]): void {
  expect(s.brand.store.products.size).toBe(list.length);
  for (const p of list) {
    const stored = s.brand.store.products.get(p.sku);
    expect(stored?.product).toEqual(p);
    expect(stored?.versions).toBe(1);
  }
}

describe("push: delivery", () => {
  it("sends every valid product once, never an invalid one, and records the run", async () => {
    sb = await startBrandSandbox();
    const list = products(40);
    const state = openState();
    const summary = await push(list, clientFor(sb), state, { invalid: 3 });
    expect(summary).toMatchObject({
      read: 43,
      valid: 40,
      invalid: 3,
      sent: 40,
      unchanged: 0,
      failed: 0,
      status: "ok",
    });
    expectExactlyOnce(sb, list);
    expect(sb.brand.store.accepted).toBe(40);
    expect([...sb.brand.store.products.keys()].some((k) => k.startsWith("BAD"))).toBe(false);
    expect(state.confirmedCount(CREDS.brandId)).toBe(40);
    expect(state.lastCompletedRun(CREDS.brandId)).toMatchObject({
      valid: 40,
      invalid: 3,
      sent: 40,
      status: "ok",
    });
  });

  const faultCases: [string, FaultOptions, Partial<RetryPolicy>, { retryAfterSeconds?: number }][] = [
    ["latency", { latencyMs: 30 }, FAST_RETRY, {}],
    ["20% HTTP 500", { errorRate: 0.2, seed: 3 }, { ...FAST_RETRY, attempts: 10 }, {}],
    [
      "dropped connections before processing",
      { dropRate: 0.2, seed: 4 },
      { ...FAST_RETRY, attempts: 10 },
      {},
    ],
    [
      "dropped connections after processing",
      { dropAfterRate: 0.2, seed: 5 },
      { ...FAST_RETRY, attempts: 10 },
      {},
    ],
    [
      "rate limiting with code 1002",
      { rateLimit: 25, rateLimitStyle: "code" },
      { attempts: 40, baseDelayMs: 60, maxDelayMs: 400, maxRetryAfterMs: 2000 },
      {},
    ],
    [
      "rate limiting with HTTP 429 + Retry-After",
      { rateLimit: 25, rateLimitStyle: "http" },
      { attempts: 40, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 2000 },
      { retryAfterSeconds: 0.25 },
    ],
  ];
  for (const [name, faults, retry, opts] of faultCases) {
    it(`delivers every valid product exactly once under ${name}`, async () => {
      // Under a rate limit the sandbox's windows and the run's controller share a virtual clock
      // (time moves only while no request is in flight): the limit is hit however slow the machine.
      const clock = faults.rateLimit ? new StepClock() : undefined;
      sb = await startBrandSandbox(opts, faults, clock);
      const rates = new RateLimits({ clock });
      if (clock) clock.busy = () => rates.for(sb!.url).inFlight;
      const list = products(50);
      const state = openState();
      const client = createBrandClient(sb.config, { retry, timeoutMs: 2000, rates });
      const summary = await push(list, client, state, { invalid: 2 });
      expect(summary).toMatchObject({ valid: 50, invalid: 2, sent: 50, failed: 0 });
      expectExactlyOnce(sb, list);
      expect(state.confirmedCount(CREDS.brandId)).toBe(50);
      const f = sb.server.stats.faults;
      if (faults.errorRate) expect(f.errors).toBeGreaterThan(0);
      if (faults.dropRate) expect(f.drops).toBeGreaterThan(0);
      if (faults.rateLimit) expect(f.rateLimited).toBeGreaterThan(0);
      if (faults.dropAfterRate) {
        expect(f.dropsAfter).toBeGreaterThan(0);
        // Processed-then-dropped requests were retried: more receipts than products, one store entry each.
        expect(sb.brand.store.accepted).toBe(50 + f.dropsAfter);
      } else {
        expect(sb.brand.store.accepted).toBe(50);
      }
    });
  }

  it("keeps at most concurrency requests running and 2 x concurrency products pulled ahead", async () => {
    let running = 0;
    let maxRunning = 0;
    let pulled = 0;
    let settled = 0;
    let maxAhead = 0;
    // The first calls wait until four are in flight at once (a push that never runs four at once
    // hangs here and fails); then each call ends after an event-loop turn, no timer involved.
    let allFour: () => void = () => {};
    const four = new Promise<void>((r) => (allFour = r));
    const sink: ProductSink = {
      async pushProduct() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (running === 4) allFour();
        await four;
        await new Promise((r) => setImmediate(r));
        running--;
        settled++;
      },
    };
    const list = products(200);
    const base = memoryFeed(list, { batchSize: 1 });
    const feed: ProcessedFeed = {
      ...base,
      records: (async function* () {
        for await (const batch of base.records) {
          pulled += batch.length;
          maxAhead = Math.max(maxAhead, pulled - settled);
          yield batch as CheckedRecord[];
        }
      })(),
    };
    const summary = await pushFeed({ source: feed, client: sink, brandId: "b", concurrency: 4 });
    expect(summary.sent).toBe(200);
    expect(maxRunning).toBe(4);
    expect(maxAhead).toBeLessThanOrEqual(4 * 2 + 1);
  });
});

describe("push: failures", () => {
  it("reports a product whose retries are exhausted and carries on", async () => {
    sb = await startBrandSandbox();
    sb.brand.failSku("SKU-0005");
    const list = products(12);
    const state = openState();
    const failures: string[] = [];
    const summary = await push(list, clientFor(sb, { ...FAST_RETRY, attempts: 3 }), state, {
      onFailure: (f) => failures.push(f.sku),
      finalPassRetry: { baseDelayMs: 5, maxDelayMs: 40 },
    });
    expect(summary).toMatchObject({ valid: 12, sent: 11, failed: 1, status: "partial" });
    expect(summary.finalPass).toEqual({ tried: 1, recovered: 0 });
    expect(summary.failures).toEqual([
      expect.objectContaining({ sku: "SKU-0005", line: 6, index: 5, code: "HTTP_STATUS", attempts: 6 }),
    ]);
    expect(failures).toEqual(["SKU-0005"]);
    expect(state.confirmedHash(CREDS.brandId, "SKU-0005")).toBeUndefined();
    // 3 attempts in the main pass, 3 more (the client's attempts, slower) in the final pass.
    expect(sb.brand.requests.filter((r) => r.code === -500)).toHaveLength(3 + 3);
    // The next run retries only the failed product.
    const again = await push(list, clientFor(sb), state, {
      finalPassRetry: { baseDelayMs: 5, maxDelayMs: 40 },
    });
    expect(again).toMatchObject({ sent: 0, unchanged: 11, failed: 1 });
  });

  it("stops at once on an auth failure, cancelling queued work and keeping confirmations", async () => {
    sb = await startBrandSandbox();
    for (let i = 0; i < 10; i++) sb.script.push({ kind: "pass" });
    sb.script.push({ kind: "code", code: 1001, msg: "Invalid token" });
    const list = products(80);
    const state = openState();
    const err = await pushError(push(list, clientFor(sb), state, { concurrency: 4 }));
    expect(err.code).toBe("NET_AUTH_FAILED");
    const partial = err.context.summary as PushSummary;
    expect(partial.status).toBe("failed");
    expect(partial.sent).toBeGreaterThanOrEqual(10);
    // Only the requests already running when the 1001 came back may have landed.
    expect(sb.brand.requests.length).toBeLessThanOrEqual(10 + 1 + 4);
    expect(state.confirmedCount(CREDS.brandId)).toBe(partial.sent);
    expect(state.lastRun(CREDS.brandId)?.status).toBe("failed");
    expect(state.lastCompletedRun(CREDS.brandId)).toBeUndefined();
  });

  it("an abort signal stops the run with ABORTED", async () => {
    sb = await startBrandSandbox({}, { latencyMs: 20 });
    const ac = new AbortController();
    const state = openState();
    let done = 0;
    const err = await pushError(
      push(products(100), clientFor(sb), state, {
        concurrency: 2,
        signal: ac.signal,
        onProgress: (p) => {
          done = p.sent;
          if (done >= 6) ac.abort();
        },
      }),
    );
    expect(err.code).toBe("ABORTED");
    expect(state.lastRun(CREDS.brandId)?.status).toBe("aborted");
    expect(state.confirmedCount(CREDS.brandId)).toBe((err.context.summary as PushSummary).sent);
    expect(sb.brand.store.products.size).toBeLessThan(20);
  });
});

describe("push: delta sync and resume", () => {
  it("sends nothing the second time, one product after one change, everything with full", async () => {
    sb = await startBrandSandbox();
    const list = products(30);
    const state = openState();
    await push(list, clientFor(sb), state);
    const second = await push(list, clientFor(sb), state);
    expect(second).toMatchObject({ valid: 30, sent: 0, unchanged: 30, status: "ok" });
    expect(sb.brand.store.accepted).toBe(30);

    const changed = list.map((p) => (p.sku === "SKU-0017" ? { ...p, price: 123.45 } : p));
    const third = await push(changed, clientFor(sb), state);
    expect(third).toMatchObject({ sent: 1, unchanged: 29 });
    expect(sb.brand.store.products.get("SKU-0017")?.product.price).toBe(123.45);
    expect(sb.brand.store.receipts.get("SKU-0017")).toBe(2);

    const full = await push(changed, clientFor(sb), state, { full: true });
    expect(full).toMatchObject({ sent: 30, unchanged: 0 });
  });

  it("resumes after a run killed mid-way: only unconfirmed products are sent again", async () => {
    sb = await startBrandSandbox();
    const list = products(30);
    const real = clientFor(sb);
    // Run 1 "dies" after 10 confirmed products: later calls never settle, and the process state
    // (buffered confirmations) is abandoned, as with kill -9. Confirmations are flushed every 4.
    let calls = 0;
    let dead: () => void = () => {};
    const died = new Promise<void>((r) => (dead = r));
    const dying: ProductSink = {
      pushProduct(p, o) {
        calls++;
        if (calls === 11) dead();
        return calls <= 10 ? real.pushProduct(p, o) : new Promise(() => undefined);
      },
    };
    const crashed = SyncState.open(join(dir, "state.db"), { flushEvery: 4 });
    void push(list, dying, crashed, { concurrency: 1 });
    await died;
    expect(calls).toBe(11);
    expect(sb.brand.store.accepted).toBe(10);

    // The rerun (a new process: a fresh connection to the same file).
    const state = openState();
    expect(state.confirmedCount(CREDS.brandId)).toBe(8); // 2 confirmations were still buffered
    expect(state.lastRun(CREDS.brandId)?.status).toBe("running");
    const rerun = await push(list, clientFor(sb), state);
    expect(rerun).toMatchObject({ valid: 30, unchanged: 8, sent: 22, failed: 0 });
    expectExactlyOnce(sb, list);
    const receipts = [...sb.brand.store.receipts.values()];
    expect(receipts.filter((n) => n === 2)).toHaveLength(2); // the two unflushed ones, resent
    expect(receipts.filter((n) => n === 1)).toHaveLength(28);
    // A third run has nothing to do.
    expect(await push(list, clientFor(sb), state)).toMatchObject({ sent: 0, unchanged: 30 });
  });
});

describe("push: publish gate", () => {
  it("refuses a feed whose valid count fell by more than the threshold, unless forced", async () => {
    sb = await startBrandSandbox();
    const state = openState();
    await push(products(20), clientFor(sb), state);
    const shrunk = products(12).map((p) => ({ ...p, price: p.price + 1 })); // -40%, and changed

    const err = await pushError(push(shrunk, clientFor(sb), state));
    expect(err.code).toBe("PUBLISH_GATE");
    expect(err.message).toContain("12 valid products");
    expect(err.message).toContain("40%");
    expect(err.message).toContain("--force");
    expect(sb.brand.store.accepted).toBe(20); // nothing sent
    expect(state.lastRun(CREDS.brandId)).toMatchObject({ status: "gated", valid: 12, sent: 0 });

    // 10% fewer passes a 30% gate; a stricter gate refuses it.
    const nearly = products(18);
    const strict = await pushError(push(nearly, clientFor(sb), state, { gateThreshold: 0.05 }));
    expect(strict.code).toBe("PUBLISH_GATE");
    const ok = await push(nearly, clientFor(sb), state);
    expect(ok).toMatchObject({ status: "ok", sent: 0, unchanged: 18 });
    expect(ok.gate).toMatchObject({ previousValid: 20, currentValid: 18, refused: false });

    const forced = await push(shrunk, clientFor(sb), state, { force: true });
    expect(forced).toMatchObject({ status: "ok", sent: 12 });
    expect(forced.gate).toMatchObject({ previousValid: 18, currentValid: 12, forced: true, refused: false });
    // The forced run is the new baseline.
    expect(await push(shrunk, clientFor(sb), state)).toMatchObject({ sent: 0, unchanged: 12 });
  });

  it("needs a reopenable source when a baseline exists; a dry run reports the gate", async () => {
    sb = await startBrandSandbox();
    const state = openState();
    await push(products(10), clientFor(sb), state);
    const once = await pushError(
      pushFeed({ source: memoryFeed(products(10)), client: clientFor(sb), state, brandId: CREDS.brandId }),
    );
    expect(once.code).toBe("USAGE");
    const dry = await push(products(5), clientFor(sb), state, { dryRun: true });
    expect(dry.gate).toMatchObject({ refused: true, previousValid: 10, currentValid: 5 });
    expect(dry.sent).toBe(0);
  });
});

describe("push: dry run and secrets", () => {
  it("dry run sends nothing, writes no state, and lists what would be sent", async () => {
    sb = await startBrandSandbox();
    const state = openState();
    await push(products(5), clientFor(sb), state);
    const seen: string[] = [];
    const list = [...products(4), ...products(3, 6)].map((p) =>
      p.sku === "SKU-0002" ? { ...p, name: "New" } : p,
    );
    const dry = await push(list, clientFor(sb), state, {
      dryRun: true,
      onDryRun: (p) => {
        seen.push(p.sku);
      },
    });
    expect(dry).toMatchObject({ dryRun: true, status: "dry-run", sent: 0, wouldSend: 4, unchanged: 3 });
    expect(seen).toEqual(["SKU-0002", "SKU-0006", "SKU-0007", "SKU-0008"]);
    expect(sb.brand.store.accepted).toBe(5);
    expect(state.lastRun(CREDS.brandId)?.id).toBe(1);
  });

  it("keeps secrets out of the state database", async () => {
    sb = await startBrandSandbox();
    const state = openState();
    await push(products(25), clientFor(sb), state);
    state.close();
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(Buffer.from(CREDS.token))).toBe(false);
      expect(bytes.includes(Buffer.from(CREDS.secret))).toBe(false);
    }
  });
});
