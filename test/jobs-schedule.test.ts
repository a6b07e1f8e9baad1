/** `feedpipe jobs schedule` in-process with an injected clock: runs at the cron times, records them, stops on the signal. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/run.js";
import { manualClock } from "./helpers/clock.js";
import { runCli } from "./helpers/cli.js";
import { until } from "./helpers/settle.js";

const CATALOG = resolve("samples/catalog.csv");
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-schedule-"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe("feedpipe jobs schedule", () => {
  it("starts jobs at their times, records each run, reloads on SIGHUP and stops on the signal", async () => {
    const file = join(cwd, "jobs.yaml");
    writeFileSync(
      file,
      `jobs:\n  check:\n    source: ${CATALOG}\n    maxInvalid: 50%\n    schedule: "*/5 * * * *"\n`,
    );
    const clock = manualClock(Date.parse("2026-12-01T02:01:00Z"));
    const controller = new AbortController();
    let hangup: (() => void) | undefined;
    let out = "";
    let err = "";
    const done = run(["jobs", "schedule", file, "--log-format", "json"], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      stdin: Readable.from([]),
      env: {},
      cwd,
      clock,
      signal: controller.signal,
      onHangup: (l) => {
        hangup = l;
        return () => (hangup = undefined);
      },
    });
    const events = () =>
      out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; job: string; next?: string });
    // Wait for the scheduler to be asleep before moving time.
    await until(() => clock.waiting > 0);
    expect(events()[0]).toMatchObject({ event: "scheduled", job: "check", next: "2026-12-01T02:05:00.000Z" });
    // A run takes what it takes on this machine: wait for its end event, then for the scheduler
    // to be asleep again (no wall-clock budget; a run that never ends fails at the test timeout).
    const ends = async (n: number) => {
      await until(() => events().filter((e) => e.event === "end").length >= n && clock.waiting > 0);
      expect(events().filter((e) => e.event === "end")).toHaveLength(n);
    };
    await clock.advance(5 * 60_000); // 02:06: the 02:05 run
    await ends(1);
    await clock.advance(5 * 60_000); // 02:11: the 02:10 run
    await ends(2);

    // SIGHUP: the file is read again; the new schedule applies.
    writeFileSync(
      file,
      `jobs:\n  check:\n    source: ${CATALOG}\n    maxInvalid: 50%\n    schedule: "0 3 * * *"\n`,
    );
    hangup?.();
    await until(() => events().some((e) => e.event === "reload") && clock.waiting > 0);
    await clock.advance(30 * 60_000); // 02:40: nothing due under the new schedule
    expect(events().filter((e) => e.event === "start")).toHaveLength(2);

    controller.abort();
    expect(await done).toBe(0);
    expect(err).toBe("");
    const status = await runCli(["jobs", "status", file, "--json"], { cwd });
    const [row] = JSON.parse(status.out) as {
      next: string;
      runs: { status: string; counts: { valid: number } }[];
    }[];
    expect(row?.runs.map((r) => r.status)).toEqual(["ok", "ok"]);
    expect(row?.runs[0]?.counts.valid).toBe(24);
  });
});
