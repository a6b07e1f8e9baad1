/**
 * What the rate controller (src/core/rate.ts) learns from a host's answers: the limit, the rate it
 * paces to, and when it may probe above the limit. Pure bookkeeping over the send log
 * (src/core/rate-log.ts); the controller decides when to ask.
 *
 * - An episode (a rate-limit answer to a request sent after the last reaction) measures what the
 *   server accepted: the sends that counted in the second before the refused one, widened by the
 *   spread of round-trip times (a windowed server counts by arrival), plus those sent after it,
 *   before the reaction, that passed (they may have arrived first). A server limiting per second
 *   (fixed window, sliding log) refused the request because its window was full, and every
 *   request it accepted in that window lies in that span: the count is never below its limit.
 *   Answers that arrive later for requests of that span correct it by one each (a pending one
 *   refused, a later one accepted).
 * - The first episode believes that count. Later, the count of the last second alone is
 *   believed when it is clearly below what the held rate sends in a second (a first count that
 *   spanned two of the server's windows, a limit lowered or shared with other clients); a refusal
 *   while probing above the limit sets it to the lower of the wide count and the rate refused.
 *   The pacing rate is 97.5% of the limit.
 * - After pauses the server asked for (`Retry-After`), a later episode at a rate clearly above what
 *   it finds is first fitted to a fixed window of unknown phase over the last episodes
 *   (src/core/rate-phase.ts): a narrow range of fitting limits gives the limit (its lowest
 *   reading); a wide one (the phase lock: episodes at one steady rate) paces to its lower end and
 *   climbs 10% a second towards its upper end, so the next refusal comes at another rate and the
 *   fit pins the limit. Virtual time, limit 100, concurrency 8, HTTP 429: 13 episodes → 3 in the
 *   worst start phase (README "Rate limits").
 * - A refusal at the held rate though a limit's worth passed in the last second (jitter beyond
 *   the measured spread) keeps the limit and takes 2% off the rate (down to 90% of the limit).
 * - After a hold the rate rises while requests queue behind it, by 0.5% of the limit per second
 *   times the seconds since the hold ended (additive increase, slow near the last limit, faster
 *   beyond it), to find a limit that was underestimated or has been raised. The hold is 5 s,
 *   doubling up to 2 min each time an episode finds the same limit again, and at least 100 times
 *   the pause the server asked for (`Retry-After`; our own probe backoff does not count):
 *   probing costs an episode, so with `Retry-After: 1` it happens at most once in 100 s (1% of
 *   the time).
 */
import { passedArrival, type Send, type SendLog } from "./rate-log.js";
import { type EpisodeTrace, WindowPhase } from "./rate-phase.js";

/** Fraction of a learned limit the controller paces to. */
export const RATE_MARGIN = 0.975;
/** The span a per-second limit counts over (ms). */
export const WINDOW_MS = 1000;
/** How far back an episode's trace reaches (src/core/rate-phase.ts). */
const TRACE_SPAN_MS = 2 * WINDOW_MS;
const HOLD_MIN_MS = 5000;
const HOLD_MAX_MS = 120_000;
/** Probing above the limit costs an episode: at most once per this many pauses' time. */
const HOLD_PER_PAUSE = 100;
const INCREASE_PER_S = 0.005;
/** An unexplained refusal at the held rate: the rate keeps this much more room, down to FLOOR. */
const JITTER_CUT = 0.98;
const FLOOR = 0.9;
/** Climbing from a fitted lower bound towards its upper bound: this share of the bound per second. */
const CLIMB_PER_S = 0.1;
/** A phase fit whose limits lie within this share of each other gives the limit. */
const FIT_RESOLVED = 0.08;
/** A range at least this wide (share of its top, and requests) is the phase lock. */
const FIT_LOCKED = 0.15;
const FIT_LOCKED_MIN = 5;
/** The fit is used when the rate refused was at least this much above its limit. */
const FIT_ABOVE = 1.08;

/**
 * The last fitted episode's trace, kept in step with the answers that come after it was taken (as
 * the count is): a send after the refused one that passes later may have arrived first, a pending
 * one counted before it may be refused.
 */
interface TraceFix {
  trace: EpisodeTrace;
  refused: Send;
  lastSeq: number;
  /** The arrival estimate the trace gave pending sends: sent + this. */
  half: number;
}

interface Episode {
  send: Send;
  /** The last request granted when it began: later ones were sent at the new rate. */
  lastSeq: number;
  span: number;
  learned: boolean;
}

export class LimitLearner {
  /** The server's limit per second as learned (undefined: nothing known yet). */
  limit: number | undefined;
  /** The rate paced to, requests per second (Infinity: not paced). */
  rate: number;
  #holdUntil = -Infinity;
  #holdMs = HOLD_MIN_MS;
  #lastRaiseAt: number | undefined;
  #episode: Episode | undefined;
  #traceFix: TraceFix | undefined;
  readonly #phase = new WindowPhase();
  /** While climbing from a fitted lower bound: the upper bound (src/core/rate-phase.ts). */
  #ceiling: number | undefined;

  constructor(private readonly cap: number) {
    this.rate = cap;
  }

  /** The server said its limit per second (X-RateLimit-Limit); used while nothing is known. */
  told(limit: number): void {
    if (this.limit !== undefined) return;
    this.limit = limit;
    this.rate = Math.min(this.rate, this.cap, limit * RATE_MARGIN);
  }

  /**
   * An episode began with the refusal of `refused`; `lastSeq`: the last request granted; `asked`:
   * the server asked for a pause (`Retry-After`), after which a fixed window's phase locks.
   */
  learn(refused: Send, lastSeq: number, log: SendLog, asked = false): void {
    const spread = log.rttSpread();
    const span = WINDOW_MS + spread;
    // Only episodes after pauses the server asked for are ever fitted (`#fitted`).
    if (asked) {
      const trace = log.trace(refused, TRACE_SPAN_MS, spread);
      this.#phase.add(trace);
      const half = ((refused.answeredAt ?? refused.sentAt) - refused.sentAt) / 2;
      this.#traceFix = { trace, refused, lastSeq, half };
    }
    const climbing = this.#ceiling !== undefined;
    this.#ceiling = undefined;
    // At least the limit (for a per-second server): what counted in the refusing window at most.
    const counted = log.countedBefore(refused, span) + log.passedAfter(refused, span);
    if (counted === 0) {
      // Refused before anything passed (a window used up by others, or a previous run): nothing
      // to count. A known rate halves; an unknown one stays unknown (the slow start goes on).
      this.#episode = undefined;
      if (Number.isFinite(this.rate)) {
        this.rate = Math.max(0.1, this.rate / 2);
        this.limit = Math.min(this.limit ?? Infinity, this.rate);
      }
      return;
    }
    const upper = counted;
    // What counted in the second before: the limit, give or take the jitter.
    const last = Math.max(1, log.countedBefore(refused, WINDOW_MS));
    this.#episode = { send: refused, lastSeq, span, learned: false };
    const prev = this.limit;
    const rate = this.rate;
    this.#lastRaiseAt = undefined;
    if (prev === undefined) {
      // The first episode. The count may span two of the server's windows (a run that began late
      // in one): then the next episode, soon after the pause, counts lower and is believed.
      this.#set(upper, HOLD_MIN_MS);
      return;
    }
    if (asked && this.#fitted(prev, climbing)) return;
    if (climbing) {
      // Refused while climbing through a fitted range and the fit is still not sure: the second
      // before went out at a steady, slowly rising rate and passed, so what it sent is the limit,
      // give or take the last step.
      this.#set(Math.min(prev, last), HOLD_MIN_MS);
      return;
    }
    if (last < prev * RATE_MARGIN - 1) {
      // The server accepted clearly less in its last second than the held rate sends (a jitter
      // refusal at the held rate counts about that many): a first count over two windows, a
      // limit lowered or shared with other clients. Believed: the raise wins back an underestimate.
      const same = Math.abs(last - prev) <= Math.max(1, prev * 0.03);
      this.#set(last, same ? Math.min(HOLD_MAX_MS, this.#holdMs * 2) : HOLD_MIN_MS);
      return;
    }
    if (rate > prev * RATE_MARGIN * 1.001) {
      // Refused while probing above the limit: no higher than the rate refused.
      const limit = Math.min(upper, rate);
      const same = Math.abs(limit - prev) <= Math.max(1, prev * 0.03);
      this.#set(limit, same ? Math.min(HOLD_MAX_MS, this.#holdMs * 2) : HOLD_MIN_MS);
      return;
    }
    // Refused at the held rate though a whole limit's worth passed in the last second: the server
    // saw our requests closer together than we sent them. More room.
    this.rate = Math.min(this.cap, Math.max(prev * FLOOR * RATE_MARGIN, rate * JITTER_CUT));
    this.#holdMs = Math.min(HOLD_MAX_MS, this.#holdMs * 2);
  }

  /** After an episode the server paused every worker for `pauseMs` (from `t`; 0: our own backoff). */
  hold(t: number, pauseMs: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, t + Math.max(this.#holdMs, HOLD_PER_PAUSE * pauseMs));
  }

  /** A request passed; `queued`: others wait behind the pacer. */
  passed(send: Send, t: number, queued: boolean): void {
    const f = this.#traceFix;
    if (
      f &&
      send.seq > f.refused.seq &&
      send.seq <= f.lastSeq &&
      send.sentAt <= f.refused.sentAt + f.trace.spread
    )
      insertSorted(f.trace.arrivals, passedArrival(send, t, f.refused, f.trace.at));
    const e = this.#episode;
    if (
      e?.learned &&
      this.limit !== undefined &&
      send.seq > e.send.seq &&
      send.seq <= e.lastSeq &&
      send.sentAt <= e.send.sentAt + e.span
    ) {
      // Sent after the refused request (before the reaction) and accepted: it may have reached the
      // server first (requests overtake each other on a busy machine, new connections most), so it
      // counts; too high a count is corrected by the next episode, too low a one would stay.
      this.#set(this.limit + 1, this.#holdMs);
    }
    this.#raise(t, queued);
  }

  /** A request was refused (any: an episode's first refusal is also `learn`ed). */
  refused(send: Send): void {
    const f = this.#traceFix;
    if (f && send.seq < f.refused.seq && send.sentAt > f.refused.sentAt - TRACE_SPAN_MS) {
      const i = f.trace.arrivals.indexOf(send.sentAt + f.half);
      if (i >= 0) f.trace.arrivals.splice(i, 1);
    }
    const e = this.#episode;
    if (
      e?.learned &&
      this.limit !== undefined &&
      send.seq < e.send.seq &&
      send.sentAt > e.send.sentAt - e.span
    ) {
      // Counted as possibly accepted when the limit was learned (no answer yet), and refused.
      this.#set(Math.max(1, this.limit - 1), this.#holdMs);
    }
  }

  /**
   * After pauses the server asked for, the episodes' fit to a fixed window (src/core/rate-phase.ts):
   * one limit when they pin it down; while the phase is locked (a range), pace to its lower end and
   * climb towards its upper end, so the next refusal comes at another rate and pins it down.
   */
  #fitted(prev: number, climbing: boolean): boolean {
    const fit = this.#phase.fit();
    // Only a rate clearly above the fitted limit can lock the phase; near it (a refusal that jitter
    // explains) the count alone decides, as for any server.
    if (!fit || this.rate < fit.best * FIT_ABOVE) return false;
    if (fit.hi - fit.lo <= Math.max(2, fit.hi * FIT_RESOLVED)) {
      const same = Math.abs(fit.best - prev) <= Math.max(1, prev * 0.03);
      this.#set(fit.best, same ? Math.min(HOLD_MAX_MS, this.#holdMs * 2) : HOLD_MIN_MS);
      // The fit counted the answers after the refused request by when they arrived: no corrections.
      this.#episode = undefined;
      return true;
    }
    // A narrow range is jitter about one phase (the count alone decides); a wide one is the lock.
    if (
      climbing ||
      fit.hi - fit.lo < Math.max(FIT_LOCKED_MIN, fit.hi * FIT_LOCKED) ||
      fit.lo >= prev * RATE_MARGIN - 1
    )
      return false;
    this.#set(fit.lo, HOLD_MIN_MS);
    this.#ceiling = Math.min(prev, fit.hi);
    return true;
  }

  #set(limit: number, holdMs: number): void {
    if (this.#episode) this.#episode.learned = true;
    this.limit = limit;
    this.rate = Math.min(this.cap, limit * RATE_MARGIN);
    this.#holdMs = holdMs;
  }

  /** Additive increase while requests queue behind the pacer and the hold is over. */
  #raise(t: number, queued: boolean): void {
    if (this.limit === undefined || !Number.isFinite(this.rate)) return;
    const last = this.#lastRaiseAt;
    this.#lastRaiseAt = t;
    const ceiling = this.#ceiling;
    if (ceiling !== undefined && last !== undefined && queued) {
      // Climbing within the fitted range is not probing above a known limit: no hold.
      this.limit = Math.min(ceiling, this.limit + (CLIMB_PER_S * this.limit * (t - last)) / 1000);
      this.rate = Math.min(this.cap, this.limit * RATE_MARGIN);
      if (this.limit >= ceiling) this.#ceiling = undefined;
      return;
    }
    if (t < this.#holdUntil || last === undefined || !queued) return;
    // The step grows with the time since the hold ended (slow near the last limit, faster beyond).
    const step = INCREASE_PER_S * this.limit * Math.max(1, (t - this.#holdUntil) / 1000);
    this.rate = Math.min(this.cap, this.rate + (step * (t - last)) / 1000);
  }
}

/** Insert into an ascending list. */
function insertSorted(xs: number[], v: number): void {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  xs.splice(lo, 0, v);
}
