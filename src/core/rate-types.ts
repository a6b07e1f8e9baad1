/** The rate controller's types (src/core/rate.ts): options, tickets, outcomes, headers, stats. */
import type { Clock } from "./clock.js";

export interface RateOptions {
  /** Explicit cap in requests per second (`--rate`); unset: learned from the server only. */
  maxRate?: number | undefined;
  /** Longest stall on rate-limit answers before the run stops (ms, default 15 minutes). */
  maxWaitMs?: number | undefined;
  clock?: Clock | undefined;
  /** Called when a rate-limit answer pauses the host (not for answers to requests already sent). */
  onPause?: ((event: RatePause) => void) | undefined;
  /** Called after each episode with what the controller learned from it (`FEEDPIPE_DEBUG`). */
  onEpisode?: ((event: RateEpisode) => void) | undefined;
}

/** One rate-limit episode and what it taught the controller. */
export interface RateEpisode {
  host: string;
  /** Time since the host's first request (ms). */
  atMs: number;
  /** The refused request's place in grant order. */
  request: number;
  /** Answers that passed before it, in the whole run. */
  passed: number;
  /** The learned limit before and after (requests per second; undefined: not known). */
  limitBefore: number | undefined;
  limitAfter: number | undefined;
  /** The rate paced to now (requests per second; undefined: not paced). */
  rate: number | undefined;
  /** The pause that follows (ms) and whether the server asked for it (`Retry-After`). */
  pauseMs: number;
  asked: boolean;
}

export interface RatePause {
  host: string;
  pauseMs: number;
  /** The answer's error message (e.g. "Rate limited by … (HTTP 429)"). */
  message: string | undefined;
}

export interface RateTicket {
  /** When the request was let through (clock ms). */
  readonly sentAt: number;
  /** The single request sent after a pause to see whether the server accepts again. */
  readonly probe: boolean;
  /** Grant order (1, 2, ...). */
  readonly seq: number;
  settled: boolean;
}

export type RateOutcome =
  /** Any answer that was not a rate limit (success, refusal, 5xx, reset: the server counted it). */
  | { kind: "passed" }
  | { kind: "limited"; retryAfterMs?: number | undefined; message?: string | undefined }
  /** Aborted before an answer. */
  | { kind: "cancelled" };

/** Rate-limit headers of one answer (Partnerize's X-RateLimit-*), already in ms. */
export interface RateHeaders {
  limit?: number | undefined;
  remaining?: number | undefined;
  resetMs?: number | undefined;
  retryAfterMs?: number | undefined;
}

export interface RateStats {
  host: string;
  /** Requests let through (every attempt). */
  requests: number;
  /** Rate-limit answers. */
  rateLimited: number;
  /** Retries after errors (counted by `withRetry`). */
  retries: number;
  /** Requests per second the controller paces to now (undefined: not paced). */
  currentRate: number | undefined;
  /** The server's limit as learned from its answers (requests per second). */
  learnedLimit: number | undefined;
  /** Answers that passed per second, from the first request to the last answer. */
  achievedRate: number | undefined;
  /** Time spent paused by rate-limit answers (ms). */
  pausedMs: number;
}
