/**
 * What a run tells about the network: which failures deserve the final pass, and the summary of
 * requests, rate-limit answers, retries and rates the CLI prints.
 */
import { NetworkError } from "../core/errors.js";
import type { RateStats } from "../core/rate.js";
import type { RateLimits } from "../core/rate-limits.js";
import type { RetryPolicy } from "../core/retry.js";

/** The final pass backs off from 1 s up to 30 s between attempts (the main pass: 250 ms to 15 s). */
export const FINAL_PASS_RETRY: Partial<RetryPolicy> = { baseDelayMs: 1000, maxDelayMs: 30_000 };
/** Products kept for the final pass (beyond this many, transient failures are reported at once). */
export const MAX_FINAL_PASS = 10_000;

/**
 * A failure that may go away on its own: a retryable network error (5xx, 408, timeout, reset)
 * other than a rate limit. Refusals (1003, 1004, 1005, a rejected product) are not.
 */
export function isTransientFailure(err: unknown): boolean {
  return err instanceof NetworkError && err.retryable && err.code !== "NET_RATE_LIMITED";
}

export interface NetworkSummary {
  /** Requests sent (every attempt). */
  requests: number;
  /** Rate-limit answers (1002 / 429); they never fail a product. */
  rateLimited: number;
  /** Retries after errors. */
  retries: number;
  /** Answers per second achieved (the busiest host). */
  achievedRate: number | undefined;
  /** Limit learned from the server (the busiest host), requests per second. */
  learnedLimit: number | undefined;
  hosts: RateStats[];
}

const round1 = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);

export function networkSummary(rates: RateLimits): NetworkSummary {
  const hosts = rates.stats().map((h) => ({
    ...h,
    currentRate: round1(h.currentRate),
    learnedLimit: round1(h.learnedLimit),
    achievedRate: round1(h.achievedRate),
  }));
  const busiest = [...hosts].sort((a, b) => b.requests - a.requests)[0];
  return {
    requests: hosts.reduce((n, h) => n + h.requests, 0),
    rateLimited: hosts.reduce((n, h) => n + h.rateLimited, 0),
    retries: hosts.reduce((n, h) => n + h.retries, 0),
    achievedRate: busiest?.achievedRate,
    learnedLimit: busiest?.learnedLimit,
    hosts,
  };
}

/** "1,234 requests · 12 rate-limit answers · 3 retries · 97.5/s achieved (limit ~100/s)". */
export function networkLine(n: NetworkSummary): string {
  const parts = [
    `${n.requests} request${n.requests === 1 ? "" : "s"}`,
    `${n.rateLimited} rate-limit answer${n.rateLimited === 1 ? "" : "s"}`,
    `${n.retries} retr${n.retries === 1 ? "y" : "ies"}`,
  ];
  if (n.achievedRate !== undefined) parts.push(`${n.achievedRate}/s achieved`);
  if (n.learnedLimit !== undefined) parts.push(`limit learned ~${n.learnedLimit}/s`);
  return parts.join(" · ");
}
