/**
 * The rate controller: one per run and API host, shared by every request of the run, so all
 * workers are paced together and a concurrency above what the server allows does not turn into a
 * storm of "too many requests" answers.
 *
 * Pacing is a steady interval (GCRA with a burst of one: the next grant is one interval after the
 * last; a late wake-up, on a busy event loop, catches up by up to 100 ms) and never more than the
 * rate's worth of counted sends in any one second (a sliding count, src/core/rate-log.ts: catching
 * up cannot break a per-second limit, and after a rate-limit answer the next request waits until
 * the burst that caused it has aged out). The limit is learned from the server's answers:
 *
 * - Unknown limit: requests are not paced until the first rate-limit answer (PartnerBoost 1002,
 *   HTTP 429); only a slow start bounds them (src/core/rate-start.ts): rounds of 4, 8, 16, ...
 *   requests, the next round once every request of the last one was answered, so the first
 *   overshoot is at most one round (never more than `--concurrency`, and at most about the limit)
 *   and a low limit is found with few requests in flight.
 * - A rate-limit answer to a request sent after the last reaction starts an episode; answers to
 *   requests already in flight then were sent under the old rate: they are counted (and their
 *   `Retry-After` honoured) and correct the episode's count, but start nothing. What an episode
 *   tells about the limit, and when the rate rises again, is src/core/rate-learn.ts.
 * - Every episode pauses every worker (for `Retry-After` when the server sends one, else 50 ms
 *   doubling to 400 ms while probes are refused), then one probe request goes alone; the others
 *   follow once it passes, at the new rate.
 *   Only a pause the server asked for sets how long probing above the limit waits (rate-learn.ts):
 *   our own backoff is not the price of a refused probe.
 * - `X-RateLimit-Remaining: 0` pauses until `X-RateLimit-Retry-After` / `X-RateLimit-Reset` (the
 *   IETF draft's `RateLimit-*` names too; a reset given as a Unix time is read as one); an
 *   `X-RateLimit-Limit` with a reset of at most a second is taken as the limit per second.
 * - `maxRate` (`--rate`) caps the rate from the first request; `maxWaitMs` (`--max-wait`) bounds a
 *   stall: when the host answered nothing but rate limits for that long (or asks to wait longer),
 *   every waiting and later request fails with NET_RATE_LIMITED and the run stops.
 *
 * Rate-limit answers never use up the error retry budget (see `withRetry`); they are bounded by
 * time only. Pure logic on an injected clock (src/core/clock.ts): tests run it on virtual time.
 */
import { type Clock, systemClock } from "./clock.js";
import { NetworkError } from "./errors.js";
import { AbortedError } from "./abort.js";
import { LimitLearner, RATE_MARGIN, WINDOW_MS } from "./rate-learn.js";
import { SlowStart } from "./rate-start.js";
import { SEND_CANCELLED, SEND_LIMITED, SEND_PASSED, SEND_PENDING, type Send, SendLog } from "./rate-log.js";
import type { RateHeaders, RateOptions, RateOutcome, RateStats, RateTicket } from "./rate-types.js";

/** Default `--max-wait`: 15 minutes of nothing but rate-limit answers stops the run. */
export const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
export { RATE_MARGIN };
const CATCH_UP_MS = 100;
const PAUSE_BASE_MS = 50;
const PAUSE_CAP_MS = 400;
const IDLE_NAP_MS = 60_000;

export type {
  RateHeaders,
  RateOptions,
  RateOutcome,
  RateEpisode,
  RatePause,
  RateStats,
  RateTicket,
} from "./rate-types.js";

interface Waiter {
  resolve(ticket: RateTicket): void;
  reject(err: unknown): void;
  detach(): void;
}

function abortedError(host: string): AbortedError {
  return new AbortedError(`A request to ${host} was interrupted while waiting for its turn`, {
    context: { host },
  });
}

function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}

export class RateController {
  readonly host: string;
  readonly #clock: Clock;
  readonly #cap: number;
  readonly #maxWaitMs: number;
  readonly #onPause: RateOptions["onPause"];
  readonly #onEpisode: RateOptions["onEpisode"];
  readonly #learner: LimitLearner;
  #next = -Infinity;
  #blockedUntil = -Infinity;
  /** The end of the longest pause the server asked for (Retry-After, X-RateLimit-*). */
  #askedUntil = -Infinity;
  #needProbe = false;
  #probeOut: RateTicket | undefined;
  #probeFailures = 0;
  #stalledSince: number | undefined;
  /** Tickets granted up to the last reaction to a rate limit: their answers are old news. */
  #episodeSeq = 0;
  /** Slow start while nothing is known (src/core/rate-start.ts). */
  readonly #start: SlowStart;
  readonly #log = new SendLog();
  #exhausted: NetworkError | undefined;
  #waiters: Waiter[] = [];
  #pumping = false;
  #wake: AbortController | undefined;
  #inFlight = 0;
  #requests = 0;
  #rateLimited = 0;
  #retries = 0;
  #passed = 0;
  #firstAt: number | undefined;
  #lastAt: number | undefined;
  #pausedMs = 0;

  constructor(host: string, options: RateOptions = {}) {
    this.host = host;
    this.#clock = options.clock ?? systemClock;
    const cap = options.maxRate;
    this.#cap = cap !== undefined && cap > 0 ? cap : Infinity;
    this.#learner = new LimitLearner(this.#cap);
    this.#start = new SlowStart(!Number.isFinite(this.#cap));
    this.#maxWaitMs = Math.max(0, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    this.#onPause = options.onPause;
    this.#onEpisode = options.onEpisode;
  }

  /** Requests let through and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Wait for this request's turn. Rejects with ABORTED, or NET_RATE_LIMITED once max-wait is spent. */
  acquire(signal?: AbortSignal): Promise<RateTicket> {
    if (this.#exhausted) return Promise.reject(this.#exhausted);
    if (signal?.aborted) return Promise.reject(abortedError(this.host));
    const t = this.#clock.now();
    if (this.#waiters.length === 0 && this.#ready(t) && !this.#stalled(t)) {
      return Promise.resolve(this.#grant(t));
    }
    return new Promise<RateTicket>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(abortedError(this.host));
        if (this.#waiters.length === 0) this.#poke();
      };
      const waiter: Waiter = {
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      void this.#pump();
    });
  }

  /** Report how a request let through by `acquire` ended (once per ticket). */
  settle(ticket: RateTicket, outcome: RateOutcome): void {
    if (ticket.settled) return;
    ticket.settled = true;
    this.#inFlight--;
    const t = this.#clock.now();
    const send = ticket as Send;
    if (ticket === this.#probeOut) {
      this.#probeOut = undefined;
      this.#poke();
    }
    if (this.#start.answered(send.round)) this.#poke();
    if (outcome.kind === "cancelled") {
      this.#log.end(send, SEND_CANCELLED, t);
      if (ticket.probe) this.#needProbe = true;
      return;
    }
    this.#lastAt = t;
    if (outcome.kind === "passed") {
      this.#log.end(send, SEND_PASSED, t);
      this.#passed++;
      this.#stalledSince = undefined;
      this.#probeFailures = 0;
      this.#learner.passed(send, t, this.#waiters.length > 0);
      return;
    }
    this.#log.end(send, SEND_LIMITED, t);
    this.#rateLimited++;
    this.#learner.refused(send);
    this.#stalledSince ??= t;
    const retryAfter = outcome.retryAfterMs;
    if (ticket.seq > this.#episodeSeq) {
      // Sent after the last reaction: news about the server, not an echo of the last episode.
      this.#episodeSeq = this.#requests;
      const limitBefore = this.#learner.limit;
      if (ticket.probe) this.#probeFailures++;
      else {
        this.#learner.learn(send, this.#requests, this.#log, retryAfter !== undefined);
        if (Number.isFinite(this.#learner.rate)) this.#start.over();
      }
      // Our own backoff is the floor: a `Retry-After: 0` (or a date in the past) that is refused
      // again must not turn into a loop of probes as fast as the server answers.
      const backoff = Math.min(PAUSE_CAP_MS, PAUSE_BASE_MS * 2 ** Math.max(0, this.#probeFailures - 1));
      const pause = Math.max(retryAfter ?? 0, backoff);
      if (retryAfter !== undefined) this.#block(t, retryAfter, true);
      this.#block(t, pause, false);
      // Only a pause the server asked for prices a probe above the limit; our own backoff is not.
      this.#learner.hold(t, retryAfter ?? 0);
      this.#needProbe = true;
      this.#onPause?.({ host: this.host, pauseMs: pause, message: outcome.message });
      this.#onEpisode?.({
        host: this.host,
        atMs: t - (this.#firstAt ?? t),
        request: send.seq,
        passed: this.#passed,
        limitBefore,
        limitAfter: this.#learner.limit,
        rate: Number.isFinite(this.#learner.rate) ? this.#learner.rate : undefined,
        pauseMs: pause,
        asked: retryAfter !== undefined,
      });
    } else if (retryAfter !== undefined) {
      this.#block(t, retryAfter, true);
    }
    if (this.#stalled(t)) this.#rejectAll();
    this.#poke();
  }

  /** Use the rate-limit headers of an answer (any status). */
  observe(headers: RateHeaders): void {
    const t = this.#clock.now();
    const { limit, remaining, resetMs, retryAfterMs } = headers;
    if (limit !== undefined && limit > 0 && resetMs !== undefined && resetMs <= WINDOW_MS) {
      if (this.#learner.limit === undefined) {
        this.#learner.told(limit);
        this.#start.over();
      }
    }
    if (remaining !== undefined && remaining <= 0) {
      const wait = retryAfterMs ?? resetMs;
      if (wait !== undefined && wait > 0) {
        const shown = wait >= 1000 && t + wait > this.#blockedUntil + 1000;
        this.#block(t, wait, true);
        this.#needProbe = true;
        if (shown) this.#onPause?.({ host: this.host, pauseMs: wait, message: "no requests remaining" });
        // A wait beyond --max-wait stops the run now, with a message, rather than in silence later.
        if (this.#stalled(t)) this.#rejectAll();
        this.#poke();
      }
    }
  }

  /** Counted by `withRetry` for each retry after an error (not after a rate limit). */
  noteRetry(): void {
    this.#retries++;
  }

  stats(): RateStats {
    const span =
      this.#firstAt !== undefined && this.#lastAt !== undefined ? (this.#lastAt - this.#firstAt) / 1000 : 0;
    return {
      host: this.host,
      requests: this.#requests,
      rateLimited: this.#rateLimited,
      retries: this.#retries,
      currentRate: Number.isFinite(this.#learner.rate) ? this.#learner.rate : undefined,
      learnedLimit: this.#learner.limit,
      achievedRate: span > 0 ? this.#passed / span : undefined,
      pausedMs: Math.round(this.#pausedMs),
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  #interval(): number {
    const rate = this.#learner.rate;
    return Number.isFinite(rate) ? 1000 / rate : 0;
  }

  #ready(t: number): boolean {
    return !this.#probeOut && this.#start.open && t >= this.#earliest(t);
  }

  /** The earliest time the next request may go: pacing, pause, and the last second's count. */
  #earliest(t: number): number {
    const at = Math.max(this.#next, this.#blockedUntil);
    const rate = this.#learner.rate;
    if (!Number.isFinite(rate)) return at;
    const cap = Math.max(1, Math.round(rate));
    return Math.max(at, this.#log.capFreeAt(t, cap, WINDOW_MS));
  }

  #grant(t: number): RateTicket {
    const interval = this.#interval();
    // Waking late keeps the schedule (up to CATCH_UP_MS, or one interval): a busy event loop does
    // not cost requests; an idle spell earns no burst. The count of the last second (see
    // `#earliest`) keeps the catching up within the rate for every one-second window.
    const slack = Math.max(interval, CATCH_UP_MS);
    this.#next = interval > 0 ? (t - this.#next < slack ? this.#next : t) + interval : t;
    const probe = this.#needProbe;
    this.#needProbe = false;
    this.#requests++;
    const ticket: Send = {
      sentAt: t,
      probe,
      seq: this.#requests,
      settled: false,
      state: SEND_PENDING,
      round: this.#start.round,
    };
    this.#log.add(ticket);
    if (probe) this.#probeOut = ticket;
    this.#inFlight++;
    this.#start.sent();
    this.#firstAt ??= t;
    return ticket;
  }

  /** Pause every worker; `asked`: the server asked for it (our own backoff never stops a run early). */
  #block(t: number, ms: number, asked: boolean): void {
    const until = t + Math.max(0, ms);
    if (asked) this.#askedUntil = Math.max(this.#askedUntil, until);
    if (until <= this.#blockedUntil) return;
    this.#pausedMs += until - Math.max(t, this.#blockedUntil);
    this.#blockedUntil = until;
  }

  #stalled(t: number): boolean {
    if (this.#exhausted) return true;
    // Stalled since the first rate-limit answer in a row, or (a `Remaining: 0` on a good answer)
    // asked from now on to wait longer than --max-wait.
    const since = this.#stalledSince ?? t;
    // Not stalled before a rate-limit answer, even with --max-wait 0 (only a long ask stops it).
    const tooLong = this.#stalledSince !== undefined && t - since >= this.#maxWaitMs;
    if (!tooLong && this.#askedUntil - since <= this.#maxWaitMs) return false;
    const asks =
      this.#askedUntil - since > this.#maxWaitMs ? `asks to wait ${minutes(this.#askedUntil - t)} more` : "";
    this.#exhausted = new NetworkError(
      "NET_RATE_LIMITED",
      (this.#stalledSince === undefined
        ? `${this.host} has no requests left and ${asks}`
        : `${this.host} answered nothing but "too many requests" for ${minutes(t - since)}` +
          (asks ? ` and ${asks}` : "")) + `, beyond --max-wait ${minutes(this.#maxWaitMs)}: stopping the run`,
      { context: { host: this.host, maxWaitMs: this.#maxWaitMs, rateLimited: this.#rateLimited } },
    );
    return true;
  }

  #rejectAll(): void {
    const err = this.#exhausted;
    for (const w of this.#waiters.splice(0)) {
      w.detach();
      w.reject(err);
    }
  }

  #poke(): void {
    this.#wake?.abort();
  }

  async #nap(ms: number): Promise<void> {
    const wake = new AbortController();
    this.#wake = wake;
    try {
      await this.#clock.sleep(ms, wake.signal);
    } finally {
      if (this.#wake === wake) this.#wake = undefined;
    }
  }

  /** One loop serves the queue in order, so waiting workers do not wake as a herd. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0) {
        const t = this.#clock.now();
        if (this.#stalled(t)) {
          this.#rejectAll();
          break;
        }
        const deadline = this.#stalledSince === undefined ? Infinity : this.#stalledSince + this.#maxWaitMs;
        if (this.#probeOut || !this.#start.open) {
          await this.#nap(Math.max(0, Math.min(IDLE_NAP_MS, deadline - t)));
          continue;
        }
        const at = this.#earliest(t);
        if (at > t) {
          await this.#nap(Math.min(at, deadline) - t);
          continue;
        }
        const waiter = this.#waiters.shift()!;
        waiter.detach();
        waiter.resolve(this.#grant(t));
      }
    } finally {
      this.#pumping = false;
    }
  }
}
