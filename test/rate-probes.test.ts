/**
 * The rate controller after a pause, on virtual time (test/helpers/rate-sim.ts): our own probe
 * backoff (50 → 400 ms, no Retry-After) is not a server-asked pause and does not hold the rate
 * for 100 times it.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "./helpers/clock.js";
import { fixedWindow, simulate, watchedController } from "./helpers/rate-sim.js";

describe("rate controller: our own probe backoff", () => {
  it("probes refused into a busy spell (backoff up to 400 ms) do not hold the rate for 40 s", async () => {
    const clock = new FakeClock();
    const { controller, pauses } = watchedController(clock);
    // 20/s (code 1002, no Retry-After); from 2 to 4 s another client uses up every window, so
    // the probes back off 50, 100, 200, 400 ms; from 6 s the limit is 40/s.
    const base = fixedWindow((t) => (t < 6000 ? 20 : 40));
    const server = (t: number) => (t >= 2000 && t < 4000 ? { limited: true as const } : base(t));
    const r = await simulate({ server, total: 1200, concurrency: 8, controller, clock });
    expect(r.failed).toBe(0);
    expect(pauses.some((p) => p.ms === 400)).toBe(true);
    // The hold after the busy spell is the 5 s minimum (doubling), not 100 × 400 ms: the rate
    // rises above 20/s well before 44 s.
    const sent = r.sends.filter((t) => t >= 20_000 && t < 30_000).length;
    expect(sent).toBeGreaterThan(220);
  });
});
