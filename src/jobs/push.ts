/**
 * The push pipeline: checked records in, products delivered to a brand-side sink, sync state kept.
 *
 *   processFeed batches ─► invalid? → counted + reported (never sent)
 *                       ─► unchanged since last confirmation? → skipped (delta sync; `full` sends all)
 *                       ─► pool(concurrency) → sink.pushProduct → confirmed → state.confirm
 *
 * Backpressure: one bounded pool (`pool` below) runs at most `concurrency` requests; the next
 * record is taken from the current batch (and the next batch pulled from the source) only when a
 * request slot is free. Memory is one source batch plus the requests in flight.
 *
 * Bookkeeping: the caller's callbacks (`onProgress`, `onFailure`, `onBatch`, `onDryRun`) cannot
 * break it. One that throws stops the run with CALLBACK_FAILED (requests in flight finish and their
 * confirmations are kept), and the run is recorded as failed: a started run is always finished in
 * the state database (`finally`), never left `running`.
 *
 * Outcomes per product: confirmed (sent), unchanged, failed (refused by the network, or transient
 * errors that outlasted the final pass: reported with SKU, line and code, the run goes on).
 * Run-stopping errors (auth failure, wrong endpoint, abort, a rate limit beyond --max-wait) cancel
 * the queued and running requests, keep the confirmations that were already made, and are rethrown
 * with the partial summary in `context.summary`.
 *
 * Rate limits never fail a product: the client's rate controller (one per run and host, see
 * src/core/rate.ts) paces every request and waits out 1002/429 answers. Final pass: a product
 * whose retries ran out on a transient error (5xx, timeout, reset) is kept aside and sent once more
 * after the main pass, at half the concurrency with a slower backoff (see `FINAL_PASS_RETRY`), before
 * it is reported failed. Refusals (1003 bad input, a rejected product) are never retried.
 *
 * Resume: state is written only after the network confirmed a product, so a run killed at any
 * point and run again sends exactly the products without a confirmation (plus at most the last
 * `flushEvery` confirmations that were not yet written; the network upserts by SKU).
 *
 * Publish gate: before sending anything, the number of valid products is compared with the last
 * completed run (status ok or partial) for the brand. If it fell by more than `gateThreshold`
 * (default 0.3), the push is refused with PUBLISH_GATE unless `force`. Knowing the count needs the
 * whole feed, so when a baseline exists (and not `force`) the source is read twice: one counting
 * pass, then the sending pass. The gate and the send must see the same bytes: given a `PushInput`
 * (a spec and how to open it), the push spools stdin or a URL once to a temporary file, counts
 * from it and sends from it (removed afterwards); a local file is opened twice. A function source
 * is called once per pass (it must give the same records twice). A dry run reads once and reports
 * the gate at the end.
 */
import { setMaxListeners } from "node:events";
import type { Product } from "../../schemas/product.js";
import {
  isTransientFailure,
  FINAL_PASS_RETRY,
  MAX_FINAL_PASS,
  type NetworkSummary,
  networkSummary,
} from "./final-pass.js";
import type { RateLimits } from "../core/rate-limits.js";
import type { RetryPolicy } from "../core/retry.js";
import type { ProductSink } from "../networks/partnerboost/brand.js";
import { productHash, type RunStatus } from "../sync/state.js";
import { hashMatches, type SyncStore } from "../sync/store.js";
import { AbortedError, isAborted } from "../core/abort.js";
import { FeedpipeError } from "../core/errors.js";
import type { Spooled } from "../io/spool.js";
import type { CheckedRecord, RunReport } from "./pipeline.js";
import { pool } from "./pool.js";
import {
  countValid,
  evaluateGate,
  type GateResult,
  gateMessage,
  openSource,
  prepareSource,
  type PushSource,
} from "./push-gate.js";

export { pool } from "./pool.js";
export { type GateResult, gateMessage, type PushInput, type PushSource } from "./push-gate.js";

export const DEFAULT_GATE_THRESHOLD = 0.3;
export const DEFAULT_CONCURRENCY = 4;
/** Failures kept in the summary (all are counted; the first ones are listed). */
export const MAX_LISTED_FAILURES = 1000;

export interface PushFailure {
  sku: string;
  source: string;
  index: number;
  line?: number | undefined;
  code: string;
  message: string;
  attempts?: number | undefined;
}

export interface PushProgress {
  read: number;
  valid: number;
  invalid: number;
  sent: number;
  unchanged: number;
  failed: number;
  inFlight: number;
}

export interface PushSummary {
  /** Records read (valid + invalid; rows a preset skips as not products are in `report.skipped`). */
  read: number;
  valid: number;
  invalid: number;
  /** Products confirmed by the network in this run. */
  sent: number;
  /** Valid products skipped because their confirmed content is unchanged. */
  unchanged: number;
  failed: number;
  /** Dry run: products that would have been sent. */
  wouldSend: number;
  failures: PushFailure[];
  /** Products that failed transiently in the main pass and were tried again at the end. */
  finalPass: { tried: number; recovered: number };
  /** Requests, rate-limit answers, retries and rates of the run (when `rates` was given). */
  network?: NetworkSummary | undefined;
  gate?: GateResult | undefined;
  dryRun: boolean;
  runId?: number | undefined;
  status: RunStatus | "dry-run";
  report: RunReport | undefined;
  preset: string | undefined;
}

export interface PushOptions {
  /**
   * The checked records, a function that opens them, or a `PushInput` (a source the gate may need
   * to read twice: it is then spooled once).
   */
  source: PushSource;
  /** Where products go (e.g. createBrandClient(...)). Not called in a dry run. */
  client: ProductSink;
  /** Sync state: delta sync, resume and the gate. Without it every valid product is sent. */
  state?: SyncStore | undefined;
  brandId: string;
  /** Requests at once (default 4). */
  concurrency?: number | undefined;
  /** Send every valid product, changed or not. */
  full?: boolean | undefined;
  /** Push even when the publish gate would refuse. */
  force?: boolean | undefined;
  /** Send nothing; report what would be sent through `onDryRun`. */
  dryRun?: boolean | undefined;
  /** Largest accepted drop of the valid count against the last completed run (default 0.3). */
  gateThreshold?: number | undefined;
  /** Called with running counts (after each batch and each completed product). */
  onProgress?: ((p: PushProgress) => void) | undefined;
  /** Each batch of the sending pass, before its products are queued (rejects files, reports). */
  onBatch?: ((batch: CheckedRecord[]) => void | Promise<void>) | undefined;
  /** Dry run: each product that would be sent. */
  onDryRun?: ((product: Product, record: CheckedRecord) => void | Promise<void>) | undefined;
  /** Each product that failed (as it happens). */
  onFailure?: ((failure: PushFailure) => void) | undefined;
  /** Stops the run (ABORTED); confirmations made so far are kept. */
  signal?: AbortSignal | undefined;
  /** The run's rate controllers (the same as the client's): their counts go into the summary. */
  rates?: RateLimits | undefined;
  /** Retry policy of the final pass (default `FINAL_PASS_RETRY`: 1 s doubling to 30 s). */
  finalPassRetry?: Partial<RetryPolicy> | undefined;
}

/** Errors that stop the whole run rather than failing one product. */
export function isRunStopping(err: unknown): boolean {
  if (!(err instanceof FeedpipeError)) return true;
  if (err.code === "NET_AUTH_FAILED" || isAborted(err) || err.code.startsWith("CONFIG")) return true;
  if (err.code === "STATE_ERROR") return true;
  // With a rate controller a rate limit reaches here only when --max-wait is spent.
  if (err.code === "NET_RATE_LIMITED") return true;
  // A wrong endpoint answers every product the same way: stop instead of failing them one by one.
  return err.code === "HTTP_STATUS" && (err.context.status === 404 || err.context.status === 405);
}

export async function pushFeed(options: PushOptions): Promise<PushSummary> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const threshold = options.gateThreshold ?? DEFAULT_GATE_THRESHOLD;
  const force = options.force === true;
  const dryRun = options.dryRun === true;
  const full = options.full === true;
  const { state, brandId, client } = options;
  if (!(threshold >= 0))
    throw new FeedpipeError("INVALID_OPTION", "Invalid option gateThreshold: expected 0 or more");

  const controller = new AbortController();
  // Every running request and retry wait listens on this signal.
  setMaxListeners(Math.max(10, concurrency * 4 + 10), controller.signal);
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });

  const summary: PushSummary = {
    read: 0,
    valid: 0,
    invalid: 0,
    sent: 0,
    unchanged: 0,
    failed: 0,
    wouldSend: 0,
    failures: [],
    finalPass: { tried: 0, recovered: 0 },
    dryRun,
    status: dryRun ? "dry-run" : "running",
    report: undefined,
    preset: undefined,
  };
  const counts = () => ({
    read: summary.read,
    valid: summary.valid,
    invalid: summary.invalid,
    sent: summary.sent,
    unchanged: summary.unchanged,
    failed: summary.failed,
  });

  let fatal: unknown;
  let spooled: Spooled | undefined;
  let runId: number | undefined;
  let finished = false;
  const finish = async (status: RunStatus): Promise<void> => {
    if (finished) return;
    finished = true;
    if (state && runId !== undefined) await state.finishRun(runId, status, counts());
  };
  /** A caller's callback: what it throws stops the run (CALLBACK_FAILED), never the bookkeeping. */
  const guard = async <A extends unknown[]>(
    name: string,
    fn: ((...args: A) => unknown) | undefined,
    ...args: A
  ): Promise<void> => {
    if (fn === undefined) return;
    try {
      await fn(...args);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      fatal ??= new FeedpipeError("CALLBACK_FAILED", `The ${name} callback failed: ${why}`, { cause: err });
      controller.abort(fatal);
    }
  };

  try {
    // ---- publish gate, first pass (only when there is a baseline to protect) ----
    const needsCount = !dryRun && !force && (await state?.lastCompletedRun(brandId)) !== undefined;
    const prepared = await prepareSource(options.source, needsCount, controller.signal);
    spooled = prepared.spooled;
    const source = prepared.opener;
    if (needsCount) {
      if (typeof source !== "function") {
        throw new FeedpipeError(
          "USAGE",
          "The publish gate needs to read the source twice (count, then send): pass a function that opens it, or force",
        );
      }
      const first = await countValid(await source(), controller.signal);
      if (controller.signal.aborted) throw abortError(options.signal);
      const gate = await evaluateGate(state, brandId, first.valid, threshold, force);
      if (gate?.refused) {
        summary.gate = gate;
        summary.report = first;
        summary.read = first.valid + first.invalid;
        summary.valid = first.valid;
        summary.invalid = first.invalid;
        summary.status = "gated";
        if (state) await state.finishRun(await state.startRun(brandId), "gated", counts());
        throw new FeedpipeError("PUBLISH_GATE", gateMessage(gate), { context: { gate, summary } });
      }
    }

    // ---- the sending pass ----
    const feed = await openSource(source);
    summary.preset = feed.preset;
    runId = dryRun || !state ? undefined : await state.startRun(brandId);
    summary.runId = runId;
    const requests = pool(concurrency);
    let inFlight = 0;

    const progress = () => guard("onProgress", options.onProgress, { ...counts(), inFlight });

    const deferred: { record: CheckedRecord; product: Product; hash: string; attempts: number }[] = [];
    const send = async (
      record: CheckedRecord,
      product: Product,
      hash: string,
      /** Attempts of the main pass (the final pass only). */
      before?: number,
    ): Promise<void> => {
      if (controller.signal.aborted) return;
      inFlight++;
      try {
        await client.pushProduct(product, {
          signal: controller.signal,
          retry: before !== undefined ? (options.finalPassRetry ?? FINAL_PASS_RETRY) : undefined,
        });
        summary.sent++;
        if (before !== undefined) summary.finalPass.recovered++;
        await state?.confirm(brandId, product.sku, hash, undefined, `${product.price} ${product.currency}`);
      } catch (err) {
        if (controller.signal.aborted) return; // cancelled: neither sent nor failed; sent next run
        if (isRunStopping(err)) {
          fatal ??= err;
          controller.abort(err);
          return;
        }
        const e = err as FeedpipeError;
        const attempts = typeof e.context.attempts === "number" ? e.context.attempts : undefined;
        if (before === undefined && isTransientFailure(err) && deferred.length < MAX_FINAL_PASS) {
          deferred.push({ record, product, hash, attempts: attempts ?? 1 });
          return;
        }
        summary.failed++;
        const failure: PushFailure = {
          sku: product.sku,
          source: record.source,
          index: record.index,
          line: record.line,
          code: e.code,
          message: e.message,
          attempts: attempts === undefined ? undefined : attempts + (before ?? 0),
        };
        if (summary.failures.length < MAX_LISTED_FAILURES) summary.failures.push(failure);
        await guard("onFailure", options.onFailure, failure);
      } finally {
        inFlight--;
        await progress();
      }
    };

    try {
      outer: for await (const batch of feed.records) {
        if (controller.signal.aborted) break;
        if (state?.prefetch && !full) {
          const skus = batch.flatMap((r) => (r.product ? [r.product.sku] : []));
          await state.prefetch(brandId, skus);
        }
        await guard("onBatch", options.onBatch, batch);
        if (controller.signal.aborted) break;
        for (const record of batch) {
          summary.read++;
          const product = record.product;
          if (!product) {
            summary.invalid++;
            continue;
          }
          summary.valid++;
          const hash = productHash(product);
          if (!full && state && hashMatches(await state.confirmedHash(brandId, product.sku), hash)) {
            summary.unchanged++;
            continue;
          }
          if (dryRun) {
            summary.wouldSend++;
            await guard("onDryRun", options.onDryRun, product, record);
            continue;
          }
          await requests.run(() => send(record, product, hash));
          if (controller.signal.aborted) break outer;
        }
        await progress();
      }
    } catch (err) {
      // The source failed (I/O, unreadable format): let the requests already made finish, so
      // their confirmations are recorded, then stop.
      fatal ??= err;
    }
    await requests.drain();
    // ---- the final pass: transient failures once more, slower ----
    if (fatal === undefined && deferred.length > 0) {
      summary.finalPass.tried = deferred.length;
      const slow = pool(Math.max(1, Math.floor(concurrency / 2)));
      for (const d of deferred.splice(0)) {
        if (controller.signal.aborted) break;
        await slow.run(() => send(d.record, d.product, d.hash, d.attempts));
      }
      await slow.drain();
    } else if (deferred.length > 0) {
      summary.finalPass.tried = deferred.length; // stopped first: they stay unconfirmed for the next run
    }
    summary.report = feed.report();
    summary.network = options.rates ? networkSummary(options.rates) : undefined;

    if (fatal !== undefined || controller.signal.aborted) {
      const err = fatal ?? abortError(options.signal);
      // Interrupted or out of --max-wait: nothing is wrong with the products, resume next run.
      const aborted = isAborted(err) || (err instanceof FeedpipeError && err.code === "NET_RATE_LIMITED");
      summary.status = aborted ? "aborted" : "failed";
      await finish(summary.status);
      if (err instanceof FeedpipeError) err.context.summary = summary;
      throw err;
    }

    summary.gate = await evaluateGate(state, brandId, summary.valid, threshold, force);
    if (dryRun) return summary;
    if (summary.gate) summary.gate.refused = false; // checked before sending (or forced)
    summary.status = summary.failed > 0 ? "partial" : "ok";
    await finish(summary.status);
    return summary;
  } finally {
    // Whatever escaped above (a state error, a bug): the run is not left `running`.
    if (!finished) await finish("failed");
    await spooled?.cleanup();
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

function abortError(signal: AbortSignal | undefined): FeedpipeError {
  const reason: unknown = signal?.reason;
  if (reason instanceof FeedpipeError) return reason;
  return new AbortedError(
    "The push was interrupted; confirmed products are recorded, run it again to resume",
    {
      cause: reason,
    },
  );
}
