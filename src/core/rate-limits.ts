/**
 * The rate controllers of one run (one `RateController` per API host, see rate.ts), and the
 * reading of Partnerize-style `X-RateLimit-*` headers.
 */
import {
  RATE_MARGIN,
  RateController,
  type RateHeaders,
  type RateOptions,
  type RateOutcome,
  type RateStats,
  type RateTicket,
} from "./rate.js";

/**
 * A rate budget shared with other processes (workers on other machines calling the same host; the
 * Redis driver is src/sync/redis-rate.ts). `take` waits for this request's turn in the shared
 * budget of `ratePerSec` (undefined: the rate is not known anywhere yet, no shared pacing);
 * `learned` publishes a limit one process learned, `known` reads the one published.
 */
export interface SharedRate {
  take(host: string, ratePerSec: number | undefined, signal?: AbortSignal): Promise<void>;
  learned(host: string, limit: number): void;
  known(host: string): number | undefined;
}

/** A host's controller whose requests also wait for their turn in a shared budget. */
class SharedController extends RateController {
  #published: number | undefined;
  constructor(
    host: string,
    options: RateOptions,
    private readonly shared: SharedRate,
    private readonly cap: number | undefined,
  ) {
    super(host, options);
  }

  override async acquire(signal?: AbortSignal): Promise<RateTicket> {
    const ticket = await super.acquire(signal);
    const known = this.shared.known(this.host);
    const rates = [this.cap, known === undefined ? undefined : known * RATE_MARGIN].filter(
      (r): r is number => r !== undefined && r > 0,
    );
    try {
      await this.shared.take(this.host, rates.length > 0 ? Math.min(...rates) : undefined, signal);
    } catch (err) {
      super.settle(ticket, { kind: "cancelled" });
      throw err;
    }
    return ticket;
  }

  override settle(ticket: RateTicket, outcome: RateOutcome): void {
    super.settle(ticket, outcome);
    const limit = this.stats().learnedLimit;
    if (limit !== undefined && limit !== this.#published) {
      this.#published = limit;
      this.shared.learned(this.host, limit);
    }
  }
}

/** The controllers of one run, one per API host. */
export class RateLimits {
  readonly #options: RateOptions;
  readonly #shared: SharedRate | undefined;
  readonly #hosts = new Map<string, RateController>();

  constructor(options: RateOptions = {}, shared?: SharedRate) {
    this.#options = { ...options };
    this.#shared = shared;
  }

  /** The controller for the host of `url` (created on first use). */
  for(url: string): RateController {
    let host: string;
    try {
      host = new URL(url).host;
    } catch {
      host = url;
    }
    let c = this.#hosts.get(host);
    if (!c) {
      c = this.#shared
        ? new SharedController(host, this.#options, this.#shared, this.#options.maxRate)
        : new RateController(host, this.#options);
      this.#hosts.set(host, c);
    }
    return c;
  }

  stats(): RateStats[] {
    return [...this.#hosts.values()].map((c) => c.stats());
  }
}

/** A reset above this many seconds is a Unix time (GitHub style), not a number of seconds. */
const EPOCH_SECONDS = 1_000_000_000;

/**
 * Read rate-limit headers (seconds) into `RateHeaders` (ms): Partnerize-style `X-RateLimit-*`, or
 * the IETF draft's `RateLimit-Limit` / `-Remaining` / `-Reset` when those are absent. A reset
 * given as a Unix time (as GitHub and others send it) is turned into the seconds left from `now`.
 */
export function rateHeaders(
  get: (name: string) => string | undefined,
  now: number = Date.now(),
): RateHeaders | undefined {
  const num = (name: string): number | undefined => {
    const v = get(`x-${name}`) ?? get(name);
    if (v === undefined || v.trim() === "") return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const limit = num("ratelimit-limit");
  const remaining = num("ratelimit-remaining");
  let reset = num("ratelimit-reset");
  if (reset !== undefined && reset > EPOCH_SECONDS) reset = Math.max(0, reset - now / 1000);
  const retry = num("ratelimit-retry-after");
  if (limit === undefined && remaining === undefined && reset === undefined && retry === undefined)
    return undefined;
  return {
    limit,
    remaining,
    resetMs: reset === undefined ? undefined : Math.round(reset * 1000),
    retryAfterMs: retry === undefined ? undefined : retry * 1000,
  };
}
