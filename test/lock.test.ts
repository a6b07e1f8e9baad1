/**
 * One run at a time per brand and state: concurrent pushes, --wait, and a holder killed with
 * SIGKILL whose lock the next run takes over.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { holdRequests } from "./helpers/sandbox-hooks.js";
import { type DefaultSandbox, startDefaultSandbox } from "../src/sandbox/index.js";
import { acquireLock } from "../src/sync/lock.js";
import { runCli } from "./helpers/cli.js";

const CATALOG = resolve("samples/catalog.csv");
let cwd: string;
let state: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-lock-"));
  state = join(cwd, "state.db");
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe("run locks", () => {
  it("a second holder is refused with the first one named; released locks are free again", async () => {
    const first = await acquireLock(state, "partnerboost:7001", { holder: "feedpipe push" });
    const err = await acquireLock(state, "partnerboost:7001", { holder: "job b (push)" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("LOCK_BUSY");
    expect((err as Error).message).toMatch(
      new RegExp(
        `Another run holds the lock for partnerboost:7001: feedpipe push \\(pid ${process.pid} on .+, started 20\\d\\d-`,
      ),
    );
    expect((err as Error).message).toMatch(/use --wait/);
    // Another brand is not blocked.
    (await acquireLock(state, "partnerboost:7002", { holder: "x" })).release();
    first.release();
    (await acquireLock(state, "partnerboost:7001", { holder: "y" })).release();
  });

  it("waits for the holder with waitMs, and gives up with a clear error when it does not finish", async () => {
    // Virtual time: each poll's pause moves the clock; the holder lets go during the third pause.
    let t = Date.now();
    const pauses: number[] = [];
    let onPause = (): void => {};
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        pauses.push(ms);
        t += ms;
        onPause();
      },
    };
    const first = await acquireLock(state, "k", { holder: "first" });
    onPause = () => {
      if (pauses.length === 3) first.release();
    };
    const second = await acquireLock(state, "k", { holder: "second", waitMs: 10_000, pollMs: 20, ...clock });
    expect(pauses).toEqual([20, 20, 20]);
    second.release();
    const third = await acquireLock(state, "k", { holder: "third" });
    pauses.length = 0;
    onPause = () => {};
    const late = await acquireLock(state, "k", {
      holder: "late",
      waitMs: 6_000,
      pollMs: 2_000,
      ...clock,
    }).catch((e: unknown) => e);
    // It polled until waitMs had passed on its clock, then gave up naming the holder and the wait.
    expect(pauses).toEqual([2_000, 2_000, 2_000]);
    expect((late as FeedpipeError).code).toBe("LOCK_BUSY");
    expect((late as Error).message).toMatch(/holds the lock for k: third .*; waited 6 s/);
    third.release();
  });

  it("a process waiting for the lock (--wait) stays alive until it has it (it ended mid-wait with exit 0)", async () => {
    const lockModule = pathToFileURL(resolve("dist/src/sync/lock.js")).href;
    const held = await acquireLock(state, "partnerboost:7001", { holder: "feedpipe push" });
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { acquireLock } = await import(${JSON.stringify(lockModule)});
         const lock = await acquireLock(${JSON.stringify(state)}, "partnerboost:7001", { holder: "second", waitMs: 10000, pollMs: 100 });
         process.stdout.write("taken\\n");
         lock.release();`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 600));
    held.release();
    const code = await new Promise((r) => child.once("exit", r));
    expect(out).toBe("taken\n");
    expect(code).toBe(0);
  });

  it("takes over the lock of a holder killed with SIGKILL", async () => {
    const lockModule = pathToFileURL(resolve("dist/src/sync/lock.js")).href;
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { acquireLock } = await import(${JSON.stringify(lockModule)});
         await acquireLock(${JSON.stringify(state)}, "partnerboost:7001", { holder: "feedpipe push" });
         process.stdout.write("held\\n");
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((ok, fail) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("held") && ok());
      child.once("exit", (code) => fail(new Error(`the holder exited early (${code})`)));
    });
    const busy = await acquireLock(state, "partnerboost:7001", { holder: "next" }).catch((e: unknown) => e);
    expect((busy as Error).message).toContain(`pid ${child.pid}`);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const taken = await acquireLock(state, "partnerboost:7001", { holder: "next" });
    taken.release();
  });

  it("a holder on another host is live while its heartbeat is fresh, dead after the time-to-live", async () => {
    (await acquireLock(state, "init", { holder: "x" })).release();
    const db = new Database(state);
    const now = Date.now();
    db.prepare(
      "INSERT INTO locks (key, owner, holder, pid, host, started_at, heartbeat_at) VALUES (?, 'o', 'feedpipe push', 1, 'other-host', ?, ?)",
    ).run("k", new Date(now).toISOString(), now);
    db.close();
    const busy = await acquireLock(state, "k", { holder: "me", now: () => now + 10_000 }).catch(
      (e: unknown) => e,
    );
    expect((busy as Error).message).toMatch(/pid 1 on other-host/);
    const taken = await acquireLock(state, "k", { holder: "me", now: () => now + 31_000 });
    taken.release();
  });
});

describe("feedpipe push: one run per brand and state", () => {
  let sb: DefaultSandbox;
  beforeEach(async () => {
    sb = await startDefaultSandbox();
  });
  afterEach(() => sb.close());

  const push = (extra: string[] = []) =>
    runCli(["push", CATALOG, "--state", state, "--concurrency", "2", ...extra], { env: sb.env, cwd });

  it("two pushes started together: one runs, the other refuses naming it (exit 2)", async () => {
    // The sandbox holds the requests of whichever push takes the lock: it is still running when
    // the other one asks for the lock, however fast or slow the machine is.
    const held = holdRequests(sb.brand);
    const runs = [push(), push()];
    const first = await Promise.race(runs);
    expect(first.code).toBe(2);
    held.open();
    const [a, b] = await Promise.all(runs);
    const refused = [a!, b!].filter((r) => r.code === 2);
    const ran = [a!, b!].filter((r) => r.code !== 2);
    expect(refused).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(refused[0]!.err).toMatch(
      /\[LOCK_BUSY\]: Another run holds the lock for partnerboost:\S+: feedpipe push \(pid \d+ on /,
    );
    expect(sb.brand.store.accepted).toBe(24);
  });

  it("--wait waits for the running push, then sends only what changed (nothing)", async () => {
    // The first push holds the lock (its first request is held by the sandbox) before the second starts.
    const held = holdRequests(sb.brand);
    const first = push(["--json"]);
    await held.arrived(1);
    const second = push(["--wait", "30s", "--json"]);
    held.open();
    const [a, b] = await Promise.all([first, second]);
    const results = [a, b].map((r) => JSON.parse(r.out) as { sent: number; unchanged: number });
    expect(results.map((r) => r.sent).sort()).toEqual([0, 24]);
    expect(results.map((r) => r.unchanged).sort()).toEqual([0, 24]);
    expect(sb.brand.store.accepted).toBe(24);
  });
});
