/**
 * The rate controller's memory of its recent sends (src/core/rate.ts): every request let through,
 * in grant order, with how it ended, for the last few seconds. Two questions are asked of it:
 *
 * - `countedBefore(send, span)`: how many sends granted in the span before `send` may have counted
 *   against the server's limit (answered, or not answered yet; a rate-limit answer or a cancelled
 *   request did not count);
 * - `capFreeAt(t, cap, span)`: when the next send keeps at most `cap` counted sends in any `span`
 *   ms (a sliding count, so catching up after a late wake-up cannot break a per-second limit, and a
 *   lower rate after a rate-limit answer waits until the burst that caused it has aged out).
 *
 * And the spread of round-trip times, which bounds how far the server's clock can see a request
 * away from when it was sent (a fixed-window server counts by arrival).
 */
import type { EpisodeTrace } from "./rate-phase.js";
import type { RateTicket } from "./rate-types.js";

export const SEND_PENDING = 0;
export const SEND_PASSED = 1;
export const SEND_LIMITED = 2;
export const SEND_CANCELLED = 3;
type SendState = typeof SEND_PENDING | typeof SEND_PASSED | typeof SEND_LIMITED | typeof SEND_CANCELLED;

/** A ticket as the controller keeps it. */
export interface Send extends RateTicket {
  state: SendState;
  /** The slow-start round it was sent in. */
  round: number;
  /** When its answer came (undefined while pending or when cancelled). */
  answeredAt?: number;
}

/** How long sends are remembered (ms): a second for the count, a second more for slow answers. */
const KEEP_MS = 3000;
/** Round-trip times remembered for the spread. */
const RTT_SAMPLES = 128;
/** Sends granted in the same instant arrive in grant order: an earlier one counts before. */
const TIE_MS = 0.001;

export class SendLog {
  #items: Send[] = [];
  #head = 0;
  #rtts: number[] = [];
  #rttAt = 0;

  add(send: Send): void {
    this.#items.push(send);
    const keep = send.sentAt - KEEP_MS;
    while (this.#head < this.#items.length && this.#items[this.#head]!.sentAt < keep) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Record how a send ended (`at`: when its answer came). */
  end(send: Send, state: SendState, at: number): void {
    send.state = state;
    if (state === SEND_CANCELLED) return;
    send.answeredAt = at;
    const rtt = at - send.sentAt;
    if (this.#rtts.length < RTT_SAMPLES) this.#rtts.push(rtt);
    else this.#rtts[this.#rttAt++ % RTT_SAMPLES] = rtt;
  }

  /** Spread (max − min) of the recent round-trip times, ms (0 before any answer). */
  rttSpread(): number {
    if (this.#rtts.length === 0) return 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of this.#rtts) {
      if (r < lo) lo = r;
      if (r > hi) hi = r;
    }
    return hi - lo;
  }

  /** Sends granted before `send`, in the `span` ms before it, that may have counted at the server. */
  countedBefore(send: Send, span: number): number {
    const items = this.#items;
    const from = send.sentAt - span;
    let n = 0;
    for (let i = items.length - 1; i >= this.#head; i--) {
      const s = items[i]!;
      if (s.seq >= send.seq) continue;
      if (s.sentAt <= from) break;
      if (s.state === SEND_PASSED || s.state === SEND_PENDING) n++;
    }
    return n;
  }

  /** Sends granted after `send`, within `spread` ms of it, that passed (they may have arrived first). */
  passedAfter(send: Send, spread: number): number {
    let n = 0;
    for (let i = this.#items.length - 1; i >= this.#head; i--) {
      const s = this.#items[i]!;
      if (s.seq <= send.seq) break;
      if (s.state === SEND_PASSED && s.sentAt <= send.sentAt + spread) n++;
    }
    return n;
  }

  /**
   * The episode `refused` began, as arrival estimates (send time + half its round trip; half the
   * refused request's for answers still pending) of the sends that may have counted in the `span`
   * before it, and of those sent within `spread` after it that passed (src/core/rate-phase.ts).
   */
  trace(refused: Send, span: number, spread: number): EpisodeTrace {
    const half = ((refused.answeredAt ?? refused.sentAt) - refused.sentAt) / 2;
    // Sent in the same instant before it (a slow-start round): those reached the server first.
    const at = refused.sentAt + half + TIE_MS;
    const arrivals: number[] = [];
    const items = this.#items;
    for (let i = items.length - 1; i >= this.#head; i--) {
      const s = items[i]!;
      if (s.sentAt <= refused.sentAt - span) break;
      if (s === refused || s.sentAt > refused.sentAt + spread) continue;
      if (s.state === SEND_PENDING && s.seq < refused.seq) arrivals.push(s.sentAt + half);
      else if (s.state === SEND_PASSED) arrivals.push(passedArrival(s, s.answeredAt!, refused, at));
    }
    arrivals.sort((a, b) => a - b);
    return { at, arrivals, spread };
  }

  /** Earliest time a send keeps at most `cap` counted sends in any `span` ms (−∞: now). */
  capFreeAt(t: number, cap: number, span: number): number {
    const items = this.#items;
    let n = 0;
    for (let i = items.length - 1; i >= this.#head; i--) {
      const send = items[i]!;
      if (send.sentAt <= t - span) break;
      if (send.state === SEND_LIMITED || send.state === SEND_CANCELLED) continue;
      if (++n >= cap) return send.sentAt + span;
    }
    return -Infinity;
  }
}

/** Sends granted this close together (ms) went out as one burst (a slow-start round). */
const BURST_MS = 1;

/**
 * The arrival estimate of a send that passed (`answeredAt`: its answer), in the trace of the episode
 * `refused` began (refused at `at`): half its round trip after it was sent. But one of the refused
 * request's own burst (a slow-start round) granted after it that passed reached the server before
 * it (in the same window it would have been refused too): at the latest just before `at`. The
 * burst's round trips spread widely, and the estimates alone put some of its passes after the
 * refusal and the window's count too low (21 for 25). Not for a steady stream: a sliding log can
 * pass a later arrival, and there the estimates are close.
 */
export function passedArrival(send: Send, answeredAt: number, refused: Send, at: number): number {
  const estimate = send.sentAt + (answeredAt - send.sentAt) / 2;
  const burst = send.seq > refused.seq && send.sentAt - refused.sentAt <= BURST_MS;
  return burst ? Math.min(estimate, at - TIE_MS) : estimate;
}
