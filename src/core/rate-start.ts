/**
 * The rate controller's slow start (src/core/rate.ts), while nothing is known about a host's
 * limit: rounds of requests, the next round only once every request of the last one was
 * answered, so the first overshoot is at most what the last round sent beyond the limit.
 *
 * Each round is twice the last, up to 1024 (then the rounds end).
 */
const START_WINDOW = 4;
const START_WINDOW_MAX = 1024;

export class SlowStart {
  #window: number;
  #round = 0;
  #left: number;
  #out = 0;

  /** `on`: false when pacing starts at once (a `--rate` cap). */
  constructor(on: boolean) {
    this.#window = on ? START_WINDOW : Infinity;
    this.#left = this.#window;
  }

  /** The round a request granted now belongs to. */
  get round(): number {
    return this.#round;
  }

  /** Whether the current round has room for another request. */
  get open(): boolean {
    return this.#left > 0;
  }

  /** A request was granted. */
  sent(): void {
    if (!Number.isFinite(this.#window)) return;
    this.#left--;
    this.#out++;
  }

  /** A request of round `round` was answered (or cancelled). True when the next round opened. */
  answered(round: number): boolean {
    if (!Number.isFinite(this.#window) || round !== this.#round || --this.#out > 0 || this.#left > 0)
      return false;
    this.#window = this.#window >= START_WINDOW_MAX ? Infinity : this.#window * 2;
    this.#left = this.#window;
    this.#round++;
    return true;
  }

  /** Pacing takes over. */
  over(): void {
    this.#window = Infinity;
    this.#left = Infinity;
  }
}
