/**
 * Where a fixed-window server's windows begin, fitted to the rate-limit episodes seen so far
 * (used by src/core/rate-learn.ts after pauses the server asked for).
 *
 * A fixed-window server (N requests per calendar second) refuses the request that arrives when its
 * window already holds N. The count of the second before a refusal therefore says how many passed
 * in that window only when the window began before the count's span did; otherwise it also holds
 * the tail of the window before. With `Retry-After: 1` the run resumes a second after each refusal,
 * at the same point of a window as the refusal: every later episode straddles a window edge in the
 * same place, its count is about the rate sent (whatever the limit), and the limit came down by a
 * few percent per episode, each costing a whole second (README "Rate limits").
 *
 * Each episode is kept as the estimated arrival times of the sends that counted in the 1.x s before
 * the refused one (send time + half the round trip). For every phase (0-999 ms) the window holding
 * each refusal is known, and so is what it counted before the refusal; the true phase gives every
 * episode the same count (the limit), and no window part before it holds more. Episodes sent at
 * the same steady rate agree under many phases (a range of limits, between about half the count and
 * the count); two episodes at clearly different rates agree under one phase only. `fit` returns the
 * range of limits the consistent phases give, or nothing when no phase fits (not a fixed window:
 * sliding logs and token buckets are learned by the count alone, as before).
 */

/** One rate-limit episode: when its refused request arrived, and when the counted ones did. */
export interface EpisodeTrace {
  at: number;
  /** Arrival estimates of the sends that counted in the span before `at`, ascending. */
  arrivals: number[];
  /** The spread of round trips when it was taken (ms): how far off the estimates may be. */
  spread: number;
}

export interface PhaseFit {
  /**
   * The limit under the phases that fit best: the lowest episode's count, under the phase (of those
   * where the episodes disagree least) that gives the lowest.
   */
  best: number;
  /** The lowest and highest limit under the phases that fit about as well as the best. */
  lo: number;
  hi: number;
  /** Phases (ms into a second, on the controller's clock) that fit. */
  phases: number;
}

const WINDOW = 1000;
const KEEP = 4;
/**
 * Episodes taken while round trips spread more than this (ms) are left out of the fit: their
 * arrival estimates are too rough (the first requests of a run, opening their connections, took
 * 50-230 ms where the rest took 42 in real runs against the sandbox, and fits over them found 76
 * and 91 for a limit of 100).
 */
export const FIT_MAX_SPREAD_MS = 50;
const STEP_MS = 2;

/** How far apart two counts of one window may be and still agree (timing estimates, rounding). */
function tolerance(count: number): number {
  return 1 + Math.ceil(count * 0.02);
}

/** Arrivals in [from, to) of an ascending list. */
function countIn(xs: readonly number[], from: number, to: number): number {
  return lowerBound(xs, to) - lowerBound(xs, from);
}

function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class WindowPhase {
  #traces: EpisodeTrace[] = [];

  get episodes(): number {
    return this.#traces.length;
  }

  add(trace: EpisodeTrace): void {
    this.#traces.push(trace);
    if (this.#traces.length > KEEP) this.#traces.shift();
  }

  /**
   * The limits consistent with every kept episode under some phase: each refusing window's count
   * within `tolerance` of the others', and no earlier part of a window (within an episode's span)
   * holding more than that. Undefined with fewer than two episodes or when no phase fits.
   */
  fit(): PhaseFit | undefined {
    const traces = this.#traces.filter((t) => t.spread <= FIT_MAX_SPREAD_MS);
    if (traces.length < 2) return undefined;
    const spreads: number[] = [];
    const counts: number[] = [];
    let bestSpread = Infinity;
    for (let phase = 0; phase < WINDOW; phase += STEP_MS) {
      let min = Infinity;
      let max = -Infinity;
      let before = 0;
      for (const { at, arrivals } of traces) {
        const start = phase + WINDOW * Math.floor((at - phase) / WINDOW);
        const n = countIn(arrivals, start, at);
        if (n < min) min = n;
        if (n > max) max = n;
        // The part of the window before, as far as the episode's span reaches back.
        const earlier = countIn(arrivals, start - WINDOW, start);
        if (earlier > before) before = earlier;
      }
      if (min === 0 || max - min > tolerance(max) || before > max + tolerance(max)) continue;
      spreads.push(max - min);
      counts.push(min);
      if (max - min < bestSpread) bestSpread = max - min;
    }
    if (counts.length === 0) return undefined;
    // Sends are discrete: a run of neighbouring phases fits equally well, the true one inside it.
    // The lowest of them: a count too high costs another refusal, a whole second with Retry-After.
    let best = Infinity;
    for (let i = 0; i < counts.length; i++)
      if (spreads[i] === bestSpread && counts[i]! < best) best = counts[i]!;
    // The range: every phase that fits about as well as the best one.
    let lo = Infinity;
    let hi = -Infinity;
    let phases = 0;
    for (let i = 0; i < counts.length; i++) {
      if (spreads[i]! > bestSpread + 1) continue;
      phases++;
      if (counts[i]! < lo) lo = counts[i]!;
      if (counts[i]! > hi) hi = counts[i]!;
    }
    return { best, lo, hi, phases };
  }
}
