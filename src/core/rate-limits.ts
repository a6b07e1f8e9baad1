/**
 * The rate controllers of one run (one `RateController` per API host, see rate.ts), and the
 * reading of Partnerize-style `X-RateLimit-*` headers.
 */
import { RateController, type RateHeaders, type RateOptions, type RateStats } from "./rate.js";

/** The controllers of one run, one per API host. */
export class RateLimits {
  readonly #options: RateOptions;
  readonly #hosts = new Map<string, RateController>();

  constructor(options: RateOptions = {}) {
    this.#options = { ...options };
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
      c = new RateController(host, this.#options);
      this.#hosts.set(host, c);
    }
    return c;
  }

  stats(): RateStats[] {
    return [...this.#hosts.values()].map((c) => c.stats());
  }
}

/** Read Partnerize-style X-RateLimit-* headers (seconds) into `RateHeaders` (ms). */
export function rateHeaders(get: (name: string) => string | undefined): RateHeaders | undefined {
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined || v.trim() === "") return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const limit = num("x-ratelimit-limit");
  const remaining = num("x-ratelimit-remaining");
  const reset = num("x-ratelimit-reset");
  const retry = num("x-ratelimit-retry-after");
  if (limit === undefined && remaining === undefined && reset === undefined && retry === undefined)
    return undefined;
  return {
    limit,
    remaining,
    resetMs: reset === undefined ? undefined : reset * 1000,
    retryAfterMs: retry === undefined ? undefined : retry * 1000,
  };
}
