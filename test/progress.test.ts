import { describe, expect, it } from "vitest";
import { createProgress, formatBytes, formatDuration, progressEnabled } from "../src/cli/progress.js";

function fakeStream(isTTY = true) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } };
}

function fakeClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("progress", () => {
  it("redraws at most once per interval with records, rate, bytes, percent and ETA", () => {
    const { writes, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({
      stream,
      enabled: true,
      unit: "bytes",
      total: 4 * 1024 * 1024,
      label: "convert",
      now: clock.now,
    });
    p.update({ records: 500, bytes: 512 * 1024 });
    expect(writes).toEqual([]); // too early
    clock.advance(1000);
    p.update({ records: 500, bytes: 512 * 1024 });
    expect(writes).toEqual(["\r\x1b[Kconvert: 1,000 records · 1,000/s · 1.0 MiB · 25% · ETA 0:03"]);
    clock.advance(100);
    p.update({ records: 10 });
    expect(writes).toHaveLength(1); // within 200 ms of the last draw
    clock.advance(100);
    p.update({ records: 90, bytes: 1024 * 1024 });
    expect(writes[1]).toBe("\r\x1b[Kconvert: 1,100 records · 917/s · 2.0 MiB · 50% · ETA 0:01");
    p.done("convert: 1,100 records written");
    expect(writes.slice(2)).toEqual(["\r\x1b[K", "convert: 1,100 records written\n"]);
    p.update({ records: 1 });
    expect(writes).toHaveLength(4); // nothing after done
  });

  it("shows pages and no percent without a total", () => {
    const { writes, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({
      stream,
      enabled: true,
      unit: "pages",
      label: "pull",
      intervalMs: 500,
      now: clock.now,
    });
    clock.advance(2000);
    p.update({ records: 200, pages: 2 });
    expect(writes).toEqual(["\r\x1b[Kpull: 200 records · 100/s · 2 pages"]);
  });

  it("ends the line with the rate controller's status (paced rate, learned limit)", async () => {
    const { RateLimits } = await import("../src/core/rate-limits.js");
    const { rateStatus } = await import("../src/cli/rate.js");
    const rates = new RateLimits({ maxRate: 20 });
    const c = rates.for("http://127.0.0.1:1/api");
    const { writes, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({
      stream,
      enabled: true,
      unit: "records",
      label: "push",
      intervalMs: 500,
      now: clock.now,
      status: () => rateStatus(rates),
    });
    clock.advance(1000);
    p.update({ records: 10 });
    c.settle(await c.acquire(), { kind: "limited" });
    clock.advance(1000);
    p.update({ records: 10 });
    expect(writes).toEqual([
      "\r\x1b[Kpush: 10 records · 10/s",
      // Refused at --rate 20 with nothing passed yet: the rate halves.
      "\r\x1b[Kpush: 20 records · 10/s · paced 10/s · limit ~10/s · 1 rate-limited",
    ]);
  });

  it("percent by records when the total counts records", () => {
    const { writes, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({
      stream,
      enabled: true,
      unit: "records",
      total: 1000,
      label: "push",
      now: clock.now,
    });
    clock.advance(250);
    p.update({ records: 1000 });
    expect(writes).toEqual(["\r\x1b[Kpush: 1,000 records · 4,000/s · 100%"]);
  });

  it("writes nothing when disabled, but still counts", () => {
    const { writes, stream } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({ stream, enabled: false, unit: "bytes", label: "x", now: clock.now });
    clock.advance(5000);
    p.update({ records: 3, bytes: 10 });
    p.done("summary");
    expect(writes).toEqual([]);
    expect(p.counts).toEqual({ records: 3, bytes: 10, pages: 0 });
  });

  it("done without a draw writes only the summary", () => {
    const { writes, stream } = fakeStream();
    const p = createProgress({ stream, enabled: true, unit: "records", label: "x", now: () => 0 });
    p.update({ records: 1 });
    p.done();
    expect(writes).toEqual([]);
  });

  it("is enabled only on a TTY, without --quiet, outside CI", () => {
    const tty = { isTTY: true, write: () => true };
    expect(progressEnabled({ stderr: tty, env: {} }, false)).toBe(true);
    expect(progressEnabled({ stderr: tty, env: {} }, true)).toBe(false);
    expect(progressEnabled({ stderr: { write: () => true }, env: {} }, false)).toBe(false);
    expect(progressEnabled({ stderr: tty, env: { CI: "true" } }, false)).toBe(false);
    expect(progressEnabled({ stderr: tty, env: { CI: "1" } }, false)).toBe(false);
    expect(progressEnabled({ stderr: tty, env: { CI: "" } }, false)).toBe(true);
    expect(progressEnabled({ stderr: tty, env: { TERM: "dumb" } }, false)).toBe(false);
  });

  it("formats sizes and durations", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
    expect(formatDuration(7)).toBe("0:07");
    expect(formatDuration(725)).toBe("12:05");
    expect(formatDuration(3723)).toBe("1:02:03");
  });
});
