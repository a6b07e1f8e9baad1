/**
 * The one retry policy: exponential backoff with full jitter, honouring a server's Retry-After,
 * a bounded number of attempts. Every network adapter goes through `withRetry`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FeedpipeError, NetworkError } from "./errors.js";

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
  if (error?.retryAfterMs !== undefined)
    return Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Full jitter", but never less than a quarter of the step so a burst of retries spreads out.
  return Math.round(ceiling * (0.25 + 0.75 * random()));
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
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof NetworkError) || !err.retryable || attempt >= policy.attempts) {
        if (err instanceof FeedpipeError) err.context.attempts = attempt;
        throw err;
      }
      const delayMs = backoffDelay(policy, attempt, err, random);
      options.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
