/**
 * The one retry policy: exponential backoff with full jitter, honouring a server's Retry-After,
 * a bounded number of attempts. Every network adapter goes through `withRetry`.
 *
 * Only errors marked retryable are retried (5xx, 408, timeouts, resets: coded transient errors);
 * anything else is thrown at once. With a rate controller (`rate`), every attempt waits for its
 * turn, and rate-limit answers (NET_RATE_LIMITED) are handed to the controller, which pauses every
 * worker of the host: they do not use up `attempts`, they are bounded by the run's max-wait.
 */
import { FeedpipeError, NetworkError } from "./errors.js";
import type { RateController, RateTicket } from "./rate.js";
import { sleep, throwIfAborted, toAborted } from "./abort.js";

export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** First backoff step in ms. */
  baseDelayMs: number;
  /** Cap for one backoff step in ms. */
  maxDelayMs: number;
  /** Longest Retry-After we are willing to honour for one wait, in ms. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 120_000,
};

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: NetworkError;
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy> | undefined;
  signal?: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Injectable randomness (0..1) for the jitter; tests may pass a seeded one. */
  random?: (() => number) | undefined;
  /** The run's controller for this host: paces every attempt and absorbs rate-limit answers. */
  rate?: RateController | undefined;
}

/** A rate-limit answer (PartnerBoost 1002, HTTP 429), as opposed to an error. */
export function isRateLimited(err: unknown): err is NetworkError {
  return err instanceof NetworkError && err.code === "NET_RATE_LIMITED" && err.retryable;
}

export function resolvePolicy(p: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...(p ?? {}) };
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  error: NetworkError | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Full jitter", but never less than a quarter of the step so a burst of retries spreads out.
  const own = Math.round(ceiling * (0.25 + 0.75 * random()));
  if (error?.retryAfterMs === undefined) return own;
  // The server's Retry-After (capped) when longer; our own backoff is the floor, so `Retry-After: 0`
  // on a 503 does not spend every attempt within a millisecond.
  return Math.max(own, Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs));
}

/**
 * Run `fn` until it succeeds, a non-retryable error is thrown, or attempts run out. The last error
 * is rethrown as is (its code tells what happened); `attempts` is recorded in its context.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = resolvePolicy(options.policy);
  const random = options.random ?? Math.random;
  const rate = options.rate;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    const ticket: RateTicket | undefined = rate ? await rate.acquire(options.signal) : undefined;
    try {
      const value = await fn(attempt);
      if (ticket) rate?.settle(ticket, { kind: "passed" });
      return value;
    } catch (err) {
      if (ticket && rate) {
        if (options.signal?.aborted) rate.settle(ticket, { kind: "cancelled" });
        else if (isRateLimited(err)) {
          rate.settle(ticket, { kind: "limited", retryAfterMs: err.retryAfterMs, message: err.message });
          attempt--; // not an error: the controller paces the next attempt
          continue;
        } else rate.settle(ticket, { kind: "passed" });
      }
      if (options.signal?.aborted) throw toAborted(err, options.signal, "The request was interrupted");
      if (!(err instanceof NetworkError) || !err.retryable || attempt >= policy.attempts) {
        if (err instanceof FeedpipeError) err.context.attempts = attempt;
        throw err;
      }
      const delayMs = backoffDelay(policy, attempt, err, random);
      rate?.noteRetry();
      options.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, options.signal, "Interrupted while waiting to retry a request");
    }
  }
}
