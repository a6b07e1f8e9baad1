/**
 * The rate controller's bookkeeping, alone: the send log's counts (src/core/rate-log.ts) and what
 * the learner makes of an episode (src/core/rate-learn.ts). Times are plain numbers (ms).
 */
import { describe, expect, it } from "vitest";
import { LimitLearner, RATE_MARGIN } from "../src/core/rate-learn.js";
import {
  SEND_CANCELLED,
  SEND_LIMITED,
  SEND_PASSED,
  SEND_PENDING,
  type Send,
  SendLog,
  passedArrival,
} from "../src/core/rate-log.js";

const RTT = 40;

/** A log of sends at the given times; `ends[i]`: how send i ended (answered RTT ms later). */
type End = typeof SEND_PASSED | typeof SEND_LIMITED | "pending";

function logOf(
  times: number[],
  ends: End[] = [],
): {
  log: SendLog;
  sends: Send[];
} {
  const log = new SendLog();
  const sends = times.map((sentAt, i) => {
    const send: Send = { sentAt, probe: false, seq: i + 1, settled: false, state: SEND_PENDING, round: 0 };
    log.add(send);
    return send;
  });
  sends.forEach((s, i) => {
    const end = ends[i] ?? SEND_PASSED;
    if (end !== "pending") log.end(s, end, s.sentAt + RTT);
  });
  return { log, sends };
}

const every = (n: number, from: number, step: number) => Array.from({ length: n }, (_, i) => from + i * step);

describe("send log", () => {
  it("counts the sends before one that may have counted: passed or unanswered, not refused or cancelled", () => {
    const { log, sends } = logOf(
      [0, 10, 20, 30, 40, 50],
      [SEND_PASSED, SEND_LIMITED, "pending", SEND_PASSED, SEND_LIMITED, "pending"],
    );
    log.end(sends[2]!, SEND_CANCELLED, 90);
    // Before send 5 (at 40): 0 and 30 passed; 10 refused; 20 cancelled.
    expect(log.countedBefore(sends[4]!, 1000)).toBe(2);
    // Only the last 25 ms: 30.
    expect(log.countedBefore(sends[4]!, 25)).toBe(1);
    // Sends after 40 that passed within 15 ms of it: 50 (not answered: not counted).
    expect(log.passedAfter(sends[4]!, 15)).toBe(0);
    log.end(sends[5]!, SEND_PASSED, 95);
    expect(log.passedAfter(sends[4]!, 15)).toBe(1);
    expect(log.passedAfter(sends[4]!, 5)).toBe(0);
  });

  it("the sliding cap: a send waits until the cap-th most recent counted send is a second old", () => {
    const { log } = logOf(every(5, 0, 100), [
      SEND_PASSED,
      SEND_LIMITED,
      SEND_PASSED,
      SEND_PASSED,
      SEND_PASSED,
    ]);
    // Counted: 0, 200, 300, 400. At most 4 a second: the next at 0 + 1000.
    expect(log.capFreeAt(450, 4, 1000)).toBe(1000);
    // At most 3: at 200 + 1000. At most 5: now.
    expect(log.capFreeAt(450, 3, 1000)).toBe(1200);
    expect(log.capFreeAt(450, 5, 1000)).toBe(-Infinity);
  });

  it("the round-trip spread is the range of the answered sends' times", () => {
    const { log, sends } = logOf([0, 100]);
    expect(log.rttSpread()).toBe(0);
    const late: Send = { sentAt: 200, probe: false, seq: 3, settled: false, state: SEND_PENDING, round: 0 };
    log.add(late);
    log.end(late, SEND_LIMITED, 200 + RTT + 25);
    expect(log.rttSpread()).toBe(25);
    void sends;
  });
});

/** `count` sends (10 ms apart) that passed, then a refused one. */
function episode(count: number) {
  const times = every(count, 0, 10);
  const refusedAt = times.at(-1)! + 10;
  const { log, sends } = logOf([...times, refusedAt], [...times.map((): End => SEND_PASSED), SEND_LIMITED]);
  return { log, refused: sends.at(-1)!, sends };
}

describe("limit learner", () => {
  it("the first episode believes the count of what the server accepted", () => {
    const l = new LimitLearner(Infinity);
    const { log, refused } = episode(25);
    l.learn(refused, refused.seq, log);
    expect(l.limit).toBe(25);
    expect(l.rate).toBeCloseTo(25 * RATE_MARGIN);
  });

  it("a later, lower count is believed (a first count that spanned two of the server's windows)", () => {
    const l = new LimitLearner(Infinity);
    const first = episode(37);
    l.learn(first.refused, first.refused.seq, first.log);
    expect(l.limit).toBe(37);
    const second = episode(25);
    l.learn(second.refused, second.refused.seq, second.log);
    expect(l.limit).toBe(25);
  });

  it("a refusal at the held rate that the count does not explain keeps the limit and takes 2% off the rate", () => {
    const l = new LimitLearner(Infinity);
    const a = episode(40);
    l.learn(a.refused, a.refused.seq, a.log);
    const held = l.rate;
    const b = episode(40);
    l.learn(b.refused, b.refused.seq, b.log);
    expect(l.limit).toBe(40);
    expect(l.rate).toBeCloseTo(held * 0.98);
    // Never below 90% of the limit's pace, however often.
    for (let i = 0; i < 20; i++) l.learn(b.refused, b.refused.seq, b.log);
    expect(l.rate).toBeCloseTo(40 * 0.9 * RATE_MARGIN);
  });

  it("a refusal while probing above the limit: the limit is the lower of the count and the rate refused", () => {
    const l = new LimitLearner(Infinity);
    const a = episode(20);
    l.learn(a.refused, a.refused.seq, a.log);
    l.hold(0, 0);
    // Rising after the hold: passes while others queue.
    const { sends } = a;
    l.passed(sends[0]!, 10_000, true);
    l.passed(sends[1]!, 30_000, true);
    expect(l.rate).toBeGreaterThan(20 * RATE_MARGIN);
    const probing = l.rate;
    const b = episode(Math.ceil(probing) + 5);
    l.learn(b.refused, b.refused.seq, b.log);
    expect(l.limit).toBeCloseTo(probing);
  });

  it("answers that come later correct the count by one each", () => {
    const l = new LimitLearner(Infinity);
    // 24 passed and one unanswered before the refused request; one sent just after it.
    const times = [...every(25, 0, 20), 500, 505];
    const { log, sends } = logOf(times, [
      ...every(24, 0, 0).map((): End => SEND_PASSED),
      "pending",
      SEND_LIMITED,
      "pending",
    ]);
    log.end(sends[0]!, SEND_PASSED, 0 + RTT + 20); // a spread of 20 ms
    const refused = sends[25]!;
    l.learn(refused, 27, log);
    expect(l.limit).toBe(25);
    // The unanswered one before it was refused: it did not count.
    log.end(sends[24]!, SEND_LIMITED, 560);
    l.refused(sends[24]!);
    expect(l.limit).toBe(24);
    // The one sent 5 ms after it passed: it reached the server first.
    log.end(sends[26]!, SEND_PASSED, 560);
    l.passed(sends[26]!, 560, false);
    expect(l.limit).toBe(25);
  });

  it("after a pause the rate does not rise for 100 times the pause (Retry-After 1 s: 100 s)", () => {
    const l = new LimitLearner(Infinity);
    const a = episode(20);
    l.learn(a.refused, a.refused.seq, a.log);
    l.hold(1000, 1000);
    const held = l.rate;
    l.passed(a.sends[0]!, 50_000, true);
    l.passed(a.sends[1]!, 100_000, true);
    expect(l.rate).toBe(held);
    l.passed(a.sends[2]!, 105_000, true);
    expect(l.rate).toBeGreaterThan(held);
  });

  it("refused before anything passed: nothing is counted; a --rate halves, an unknown rate stays unknown", () => {
    const { log, sends } = logOf([0], [SEND_LIMITED]);
    const unknown = new LimitLearner(Infinity);
    unknown.learn(sends[0]!, 1, log);
    expect(unknown.limit).toBeUndefined();
    expect(unknown.rate).toBe(Infinity);
    const capped = new LimitLearner(20);
    capped.learn(sends[0]!, 1, log);
    expect(capped.rate).toBe(10);
    expect(capped.limit).toBe(10);
  });

  it("--rate caps what is learned", () => {
    const l = new LimitLearner(10);
    const a = episode(40);
    l.learn(a.refused, a.refused.seq, a.log);
    expect(l.limit).toBe(40);
    expect(l.rate).toBe(10);
  });
});

describe("the phase fit's episode trace follows the late answers", () => {
  /**
   * Limit 25 per calendar second (windows from 0), `Retry-After: 1`. Episode 1 is a slow-start
   * burst: 12 passed at 0, then 16 granted at once at 100, of which 13 pass; the first refusal to be
   * answered (seq 20) comes at 125, six passes granted after it come only at 150-160 (their half
   * round trips put them after the refusal, where in the same window they would have been refused).
   * Episode 2 comes a probe hold later, at a steady rate paced by the learner, refused at the 26th
   * arrival of a window.
   */
  function run(): LimitLearner {
    const l = new LimitLearner(Infinity);
    const log = new SendLog();
    let seq = 0;
    const send = (sentAt: number): Send => {
      const s: Send = { sentAt, probe: false, seq: ++seq, settled: false, state: SEND_PENDING, round: 0 };
      log.add(s);
      return s;
    };
    for (let i = 0; i < 12; i++) log.end(send(0), SEND_PASSED, 40);
    const burst = Array.from({ length: 16 }, () => send(100));
    for (const s of burst.slice(0, 7)) {
      log.end(s, SEND_PASSED, 120);
      l.passed(s, 120, true);
    }
    const refused = burst[7]!;
    log.end(refused, SEND_LIMITED, 125);
    l.refused(refused);
    l.learn(refused, seq, log, true);
    l.hold(125, 1000);
    for (const s of [burst[13]!, burst[14]!]) {
      log.end(s, SEND_LIMITED, 130);
      l.refused(s);
    }
    for (const [i, s] of [...burst.slice(8, 13), burst[15]!].entries()) {
      log.end(s, SEND_PASSED, 150 + 2 * i);
      l.passed(s, 150 + 2 * i, true);
    }
    expect(l.limit).toBe(25);
    // Episode 2: after the hold, paced by the learner (40 ms round trips), until the server refuses.
    let t = 101_125;
    let window = -1;
    let used = 0;
    for (;;) {
      const s = send(t);
      const arrival = t + RTT / 2;
      const w = Math.floor(arrival / 1000);
      if (w !== window) [window, used] = [w, 0];
      if (++used > 25) {
        log.end(s, SEND_LIMITED, t + RTT);
        l.refused(s);
        l.learn(s, seq, log, true);
        return l;
      }
      log.end(s, SEND_PASSED, t + RTT);
      l.passed(s, t + RTT, true);
      t += 1000 / l.rate;
    }
  }

  it("a pass granted after the refused request in its burst counts before it: the fit finds the limit", () => {
    const l = run();
    // Without the late passes in episode 1's trace, its window held 19 and the fit settled on 19.
    expect(l.limit).toBeGreaterThanOrEqual(24);
    expect(l.limit).toBeLessThanOrEqual(25);
  });

  it("passedArrival: clamped before the refusal only for the refused request's own burst", () => {
    const { sends } = logOf([100, 100, 130]);
    const [refused, sameBurst, later] = sends as [Send, Send, Send];
    expect(passedArrival(sameBurst, 160, refused, 112.5)).toBeLessThan(112.5);
    expect(passedArrival(later, 170, refused, 112.5)).toBe(150);
    expect(passedArrival(refused, 125, sameBurst, 130)).toBe(112.5);
  });
});
