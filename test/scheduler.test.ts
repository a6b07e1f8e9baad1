/** The scheduler with an injected clock: fires on time, skips an overlapping run, stops cleanly. */
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { compileSchedule, createScheduler, nextStart } from "../src/jobs/scheduler.js";
import { manualClock } from "./helpers/clock.js";

const MIN = 60_000;

describe("scheduler", () => {
  it("starts each job at its cron times", async () => {
    const clock = manualClock(Date.parse("2026-12-01T02:00:00Z"));
    const fired: string[] = [];
    const s = createScheduler(
      [
        { name: "every-15", cron: "*/15 * * * *" },
        { name: "nightly", cron: "15 2 * * *" },
      ],
      {
        clock,
        start: async (name) => {
          fired.push(`${name}@${new Date(clock.now()).toISOString().slice(11, 16)}`);
        },
      },
    );
    const done = s.run();
    await clock.advance(31 * MIN);
    s.stop();
    await done;
    expect(fired).toEqual(["every-15@02:15", "nightly@02:15", "every-15@02:30"]);
  });

  it("honours the time zone", () => {
    const at = nextStart(
      { name: "x", cron: "15 2 * * *", timezone: "Europe/Berlin" },
      new Date("2026-12-01T00:00:00Z"),
    );
    expect(at?.toISOString()).toBe("2026-12-01T01:15:00.000Z");
  });

  it("skips a run whose previous run is still going, never starts it twice", async () => {
    const clock = manualClock(Date.parse("2026-12-01T00:00:00Z"));
    let active = 0;
    let maxActive = 0;
    let starts = 0;
    const skipped: string[] = [];
    let finish: (() => void) | undefined;
    const s = createScheduler([{ name: "slow", cron: "* * * * *" }], {
      clock,
      start: () => {
        starts++;
        active++;
        maxActive = Math.max(maxActive, active);
        return new Promise<void>((r) => {
          finish = () => {
            active--;
            r();
          };
        });
      },
      onSkip: (name, reason) => skipped.push(`${name}: ${reason}`),
    });
    const done = s.run();
    await clock.advance(3 * MIN + 1); // fires at 00:01, then 00:02 and 00:03 find it running
    expect(starts).toBe(1);
    expect(skipped).toEqual([
      "slow: its previous run is still going",
      "slow: its previous run is still going",
    ]);
    finish?.();
    await clock.advance(MIN); // 00:04: free again
    expect(starts).toBe(2);
    expect(maxActive).toBe(1);
    finish?.();
    s.stop();
    await done;
  });

  it("stop aborts running jobs through their signal and waits for them", async () => {
    const clock = manualClock(Date.parse("2026-12-01T00:00:00Z"));
    const ended: string[] = [];
    const s = createScheduler([{ name: "long", cron: "* * * * *" }], {
      clock,
      start: (_name, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            ended.push((signal.reason as FeedpipeError).code);
            resolve();
          });
        }),
    });
    const controller = new AbortController();
    const done = s.run(controller.signal);
    await clock.advance(MIN);
    controller.abort();
    await done;
    expect(ended).toEqual(["ABORTED"]);
  });

  it("reload replaces the schedule; a bad expression is a clear error", async () => {
    const clock = manualClock(Date.parse("2026-12-01T00:00:00Z"));
    const fired: string[] = [];
    const s = createScheduler([{ name: "a", cron: "0 * * * *" }], {
      clock,
      start: async (name) => void fired.push(name),
    });
    const done = s.run();
    s.reload([{ name: "b", cron: "*/5 * * * *" }]);
    await clock.advance(10 * MIN);
    s.stop();
    await done;
    expect(fired).toEqual(["b", "b"]);
    expect(() => compileSchedule({ name: "x", cron: "61 * * * *" })).toThrow(
      /jobs\.x\.schedule: "61 \* \* \* \*" is not a valid schedule/,
    );
    expect(() => compileSchedule({ name: "x", cron: "* * * * *", timezone: "Mars/Olympus" })).toThrow(
      FeedpipeError,
    );
  });
});
