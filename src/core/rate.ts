/**
 * The rate controller: one per run and API host, shared by every request of the run, so all
 * workers are paced together and a concurrency above what the server allows does not turn into a
 * storm of "too many requests" answers.
 *
 * Pacing is a token bucket with a burst of one (GCRA: the next grant is one interval after the
 * last; a late wake-up, on a busy event loop, catches up by up to 100 ms), and never more than
 * the rate's worth of requests in any one second (a sliding count, so catching up cannot break a
 * per-second limit). The rate is learned from the server's answers:
 *
 * - Unknown limit: requests are not paced until the first rate-limit answer (PartnerBoost 1002,
 *   HTTP 429); only a slow start bounds them (4 in flight, doubling each time that many passed),
 *   so a low limit is found with few requests in flight rather than `--concurrency` of them.
 * - A rate-limit answer to a request sent after the last reaction starts an episode: the limit is
 *   measured as the answers that passed in the second before the refused request was sent (what
 *   the server accepted; per second actually spent sending, stalls excluded), the pacing rate drops
 *   to 97.5% of it (multiplicative decrease; a refusal at the held rate, e.g. from jitter, keeps
 *   the limit where it was), every
 *   worker pauses (for `Retry-After` when the server sends one, else 50 ms doubling to 400 ms),
 *   and then one probe request goes alone; the others follow once it passes.
 * - Answers to requests already in flight when the episode began only count (and have their
 *   `Retry-After` honoured); they do not cut the rate again.
 * - After a hold (5 s, doubling up to 2 min each time an episode finds the same limit again, and
 *   at least 30 times the last pause: a costly `Retry-After` makes probing rarer) the rate rises
 *   while requests queue behind it, by 0.5% of the limit per second times
 *   the seconds since the hold ended (additive increase, slow near the last limit and faster
 *   beyond it), to find a limit that was underestimated or has been raised.
 * - `X-RateLimit-Remaining: 0` pauses until `X-RateLimit-Retry-After` / `X-RateLimit-Reset`; an
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
import type { RateHeaders, RateOptions, RateOutcome, RateStats, RateTicket } from "./rate-types.js";

/** Default `--max-wait`: 15 minutes of nothing but rate-limit answers stops the run. */
export const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
/** Fraction of a learned limit the controller paces to. */
export const RATE_MARGIN = 0.975;
const WINDOW_MS = 1000;
const CATCH_UP_MS = 100;
const PAUSE_BASE_MS = 50;
const PAUSE_CAP_MS = 400;
const HOLD_MIN_MS = 5000;
const HOLD_MAX_MS = 120_000;
const START_WINDOW = 4;
const START_WINDOW_MAX = 1024;
const HOLD_PER_PAUSE = 30;
const INCREASE_PER_S = 0.005;
const IDLE_NAP_MS = 60_000;

export type {
  RateHeaders,
  RateOptions,
  RateOutcome,
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
  #rate: number;
  #limit: number | undefined;
  #next = -Infinity;
  #blockedUntil = -Infinity;
  #needProbe = false;
  #probeOut: RateTicket | undefined;
  #probeFailures = 0;
  #stalledSince: number | undefined;
  /** Tickets granted up to the last reaction to a rate limit: their answers are old news. */
  #episodeSeq = 0;
  #holdUntil = -Infinity;
  #holdMs = HOLD_MIN_MS;
  /** Slow start: requests in flight while nothing is known (doubles per window that passes). */
  #window: number;
  #windowPassed = 0;
  #lastRaiseAt: number | undefined;
  #passedAt: number[] = [];
  /** Grant times of the last second (paced only), from `#grantsHead` on. */
  #grantsAt: number[] = [];
  #grantsHead = 0;
  /** Recent stalls (first rate-limit answer → next pass): not sending time, for the measurement. */
  #stalls: [number, number][] = [];
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
    this.#rate = this.#cap;
    this.#window = Number.isFinite(this.#cap) ? Infinity : START_WINDOW;
    this.#maxWaitMs = Math.max(0, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    this.#onPause = options.onPause;
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
    if (ticket === this.#probeOut) {
      this.#probeOut = undefined;
      this.#poke();
    }
    if (this.#inFlight + 1 >= this.#window) this.#poke();
    if (outcome.kind === "cancelled") {
      if (ticket.probe) this.#needProbe = true;
      return;
    }
    this.#lastAt = t;
    if (outcome.kind === "passed") {
      this.#passed++;
      if (this.#stalledSince !== undefined) {
        this.#stalls.push([this.#stalledSince, t]);
        if (this.#stalls.length > 16) this.#stalls.shift();
      }
      this.#stalledSince = undefined;
      this.#probeFailures = 0;
      this.#passedAt.push(ticket.sentAt);
      if (Number.isFinite(this.#window) && ++this.#windowPassed >= this.#window) {
        this.#window = this.#window >= START_WINDOW_MAX ? Infinity : this.#window * 2;
        this.#windowPassed = 0;
      }
      if (this.#passedAt.length > 4096) this.#prune(t);
      this.#raise(t);
      return;
    }
    this.#rateLimited++;
    this.#stalledSince ??= t;
    const retryAfter = outcome.retryAfterMs;
    if (ticket.seq > this.#episodeSeq) {
      // Sent after the last reaction: news about the server, not an echo of the last episode.
      if (ticket.probe) this.#probeFailures++;
      else this.#cut(ticket);
      const pause =
        retryAfter ?? Math.min(PAUSE_CAP_MS, PAUSE_BASE_MS * 2 ** Math.max(0, this.#probeFailures - 1));
      this.#block(t, pause);
      this.#holdUntil = Math.max(this.#holdUntil, t + Math.max(this.#holdMs, HOLD_PER_PAUSE * pause));
      this.#needProbe = true;
      this.#onPause?.({ host: this.host, pauseMs: pause, message: outcome.message });
    } else if (retryAfter !== undefined) {
      this.#block(t, retryAfter);
    }
    if (this.#stalled(t)) this.#rejectAll();
    this.#poke();
  }

  /** Use the rate-limit headers of an answer (any status). */
  observe(headers: RateHeaders): void {
    const t = this.#clock.now();
    const { limit, remaining, resetMs, retryAfterMs } = headers;
    if (limit !== undefined && limit > 0 && resetMs !== undefined && resetMs <= WINDOW_MS) {
      if (this.#limit === undefined) {
        this.#limit = limit;
        this.#rate = Math.min(this.#rate, this.#cap, limit * RATE_MARGIN);
      }
    }
    if (remaining !== undefined && remaining <= 0) {
      const wait = retryAfterMs ?? resetMs;
      if (wait !== undefined && wait > 0) {
        this.#block(t, wait);
        this.#needProbe = true;
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
      currentRate: Number.isFinite(this.#rate) ? this.#rate : undefined,
      learnedLimit: this.#limit,
      achievedRate: span > 0 ? this.#passed / span : undefined,
      pausedMs: Math.round(this.#pausedMs),
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  #interval(): number {
    return Number.isFinite(this.#rate) ? 1000 / this.#rate : 0;
  }

  #ready(t: number): boolean {
    return !this.#probeOut && this.#inFlight < this.#window && t >= this.#earliest(t);
  }

  /** The earliest time the next request may go: pacing, pause, and the last second's count. */
  #earliest(t: number): number {
    let at = Math.max(this.#next, this.#blockedUntil);
    if (Number.isFinite(this.#rate)) {
      const log = this.#grantsAt;
      while (this.#grantsHead < log.length && log[this.#grantsHead]! <= t - WINDOW_MS) this.#grantsHead++;
      if (this.#grantsHead > 1024) {
        log.splice(0, this.#grantsHead);
        this.#grantsHead = 0;
      }
      const cap = Math.max(1, Math.ceil(this.#rate));
      const inWindow = log.length - this.#grantsHead;
      if (inWindow >= cap) at = Math.max(at, log[log.length - cap]! + WINDOW_MS);
    }
    return at;
  }

  #grant(t: number): RateTicket {
    const interval = this.#interval();
    // Waking late keeps the schedule (up to CATCH_UP_MS, or one interval): a busy event loop does
    // not cost requests; an idle spell earns no burst. The count of the last second (see
    // `#earliest`) keeps the catching up within the rate for every one-second window.
    const slack = Math.max(interval, CATCH_UP_MS);
    this.#next = interval > 0 ? (t - this.#next < slack ? this.#next : t) + interval : t;
    if (interval > 0) this.#grantsAt.push(t);
    const probe = this.#needProbe;
    this.#needProbe = false;
    this.#requests++;
    const ticket: RateTicket = { sentAt: t, probe, seq: this.#requests, settled: false };
    if (probe) this.#probeOut = ticket;
    this.#inFlight++;
    this.#firstAt ??= t;
    return ticket;
  }

  #block(t: number, ms: number): void {
    const until = t + Math.max(0, ms);
    if (until <= this.#blockedUntil) return;
    this.#pausedMs += until - Math.max(t, this.#blockedUntil);
    this.#blockedUntil = until;
  }

  /**
   * Multiplicative decrease: the limit is what passed in the second before the refused request,
   * per second of that second spent sending (time stalled on an earlier episode does not count).
   */
  #cut(ticket: RateTicket): void {
    this.#episodeSeq = this.#requests;
    this.#window = Infinity; // pacing takes over from the slow start
    const from = ticket.sentAt - WINDOW_MS;
    let stalled = 0;
    for (const [a, b] of this.#stalls) stalled += Math.max(0, Math.min(b, ticket.sentAt) - Math.max(a, from));
    const span = Math.max(WINDOW_MS / 4, WINDOW_MS - stalled);
    const measured = (this.#countPassed(from, ticket.sentAt) * WINDOW_MS) / span;
    const prev = this.#limit;
    if (measured > 0 && prev !== undefined && this.#rate <= prev * RATE_MARGIN * 1.001) {
      // Refused at (or below) the held rate: jitter on the way to the server, or a lower limit.
      // A clearly lower measurement is believed; otherwise the limit stays, the rate keeps more
      // room (down to 90% of it) and probing above it becomes rarer. The additive increase wins
      // the room back once the refusals stop.
      if (measured < prev * 0.9) {
        this.#limit = measured;
        this.#rate = Math.min(this.#cap, measured * RATE_MARGIN);
        this.#holdMs = HOLD_MIN_MS;
      } else {
        this.#rate = Math.min(this.#cap, Math.max(prev * 0.9, this.#rate * RATE_MARGIN));
        this.#holdMs = Math.min(HOLD_MAX_MS, this.#holdMs * 2);
      }
    } else if (measured > 0) {
      // Refused while probing above the limit (or for the first time): the limit is what passed,
      // and not above the limit the refused rate was derived from.
      const limit = Number.isFinite(this.#rate) ? Math.min(measured, this.#rate / RATE_MARGIN) : measured;
      const same = prev !== undefined && Math.abs(limit - prev) <= Math.max(1, prev * 0.03);
      this.#holdMs = same ? Math.min(HOLD_MAX_MS, this.#holdMs * 2) : HOLD_MIN_MS;
      this.#limit = limit;
      this.#rate = Math.min(this.#cap, limit * RATE_MARGIN);
    } else if (Number.isFinite(this.#rate)) {
      this.#rate = Math.max(0.1, this.#rate / 2);
      this.#limit = this.#rate;
    }
    this.#lastRaiseAt = undefined;
  }

  /** Additive increase while requests queue behind the pacer and the hold is over. */
  #raise(t: number): void {
    if (this.#limit === undefined || !Number.isFinite(this.#rate)) return;
    const last = this.#lastRaiseAt;
    this.#lastRaiseAt = t;
    if (t < this.#holdUntil || last === undefined || this.#waiters.length === 0) return;
    // The step grows with the time since the hold ended (slow near the last limit, faster beyond).
    const step = INCREASE_PER_S * this.#limit * Math.max(1, (t - this.#holdUntil) / 1000);
    this.#rate = Math.min(this.#cap, this.#rate + (step * (t - last)) / 1000);
  }

  #countPassed(from: number, to: number): number {
    let n = 0;
    for (const s of this.#passedAt) if (s > from && s <= to) n++;
    return n;
  }

  #prune(t: number): void {
    const keep = t - 2 * WINDOW_MS;
    this.#passedAt = this.#passedAt.filter((s) => s >= keep);
  }

  #stalled(t: number): boolean {
    if (this.#exhausted) return true;
    const since = this.#stalledSince;
    if (since === undefined) return false;
    if (t - since < this.#maxWaitMs && this.#blockedUntil - since <= this.#maxWaitMs) return false;
    this.#exhausted = new NetworkError(
      "NET_RATE_LIMITED",
      `${this.host} answered nothing but "too many requests" for ${minutes(t - since)}` +
        (this.#blockedUntil - since > this.#maxWaitMs
          ? ` and asks to wait ${minutes(this.#blockedUntil - t)} more`
          : "") +
        `, beyond --max-wait ${minutes(this.#maxWaitMs)}: stopping the run`,
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
        if (this.#probeOut || this.#inFlight >= this.#window) {
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
