/**
 * `feedpipe jobs status --redis URL` as text: waiting, delayed, active (on which worker),
 * completed, failed with its error, the schedulers' next times and each job's last runs, against
 * a real redis-server and a real worker process; names and errors with control characters (as
 * anyone writing to the queue could leave) are shown escaped, one entry per line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sandboxCatalogCsv } from "../src/sandbox/index.js";
import type { RunningSandbox } from "../src/sandbox/server.js";
import { optionalSuite } from "./helpers/optional.js";
import { redisServerBinary, startRedis, type TestRedis } from "./helpers/redis.js";
import {
  runProcess,
  spawnWorker,
  startBrands,
  type TrackedBrand,
  waitFor,
  type WorkerProcess,
} from "./helpers/workers.js";

const PRODUCTS = 10;
const EVIL = "evil\x1b[2J\u202e\n  active    fake (#1) on nowhere";
// Everything the status line may print: no control character but newline, no bidi override.
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

optionalSuite("jobs status --redis (text)", redisServerBinary !== undefined, "redis-server", () => {
  let redis: TestRedis;
  let sandbox: RunningSandbox;
  let brands: TrackedBrand[];
  let dir: string;
  let env: Record<string, string>;
  let worker: WorkerProcess | undefined;
  let release: () => void = () => undefined;

  const job = (name: string, brand: number, source: string, extra: string[] = []) => [
    `  ${name}:`,
    `    source: ${source}`,
    "    push: partnerboost",
    "    partnerboost:",
    `      brandId: "${brands[brand]!.id}"`,
    `      token: \${PB_TOKEN_${brand}}`,
    `      secret: \${PB_SECRET_${brand}}`,
    `      apiUrl: \${PB_URL_${brand}}`,
    ...extra,
  ];
  const cli = (args: string[]) => runProcess(args, env, dir);

  beforeAll(async () => {
    redis = await startRedis();
    ({ server: sandbox, brands } = await startBrands(3, 1));
    dir = mkdtempSync(join(tmpdir(), "feedpipe-redis-status-"));
    writeFileSync(join(dir, "catalog.csv"), sandboxCatalogCsv(PRODUCTS));
    env = {};
    brands.forEach((b, i) => {
      env[`PB_TOKEN_${i}`] = b.token;
      env[`PB_SECRET_${i}`] = b.secret;
      env[`PB_URL_${i}`] = b.apiUrl;
    });
  }, 60_000);

  afterAll(async () => {
    release();
    if (worker && worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await sandbox?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows every state, the next scheduled times and the last runs, escaped", async () => {
    writeFileSync(
      join(dir, "jobs.yaml"),
      [
        "jobs:",
        ...job("ok1", 0, "catalog.csv", ['    schedule: "0 3 1 1 *"']),
        // The missing file's name carries an OSC title sequence into the error.
        ...job("bad1", 0, '"gone\\e]0;owned\\a.csv"'),
        ...job("bad2", 2, "gone-too.csv"),
        ...job("slow", 1, "catalog.csv"),
        ...job("ok2", 2, "catalog.csv"),
        "",
      ].join("\n"),
    );
    const redisArgs = ["--redis", redis.url];
    expect((await cli(["jobs", "schedule", "jobs.yaml", ...redisArgs])).code).toBe(0);
    worker = spawnWorker(redisArgs, env, dir);
    await waitFor("the worker to listen", () => /\bworker\b/.test(worker!.output()));

    const ok = await cli(["jobs", "enqueue", "jobs.yaml", "--job", "ok1", "--wait", ...redisArgs]);
    expect(ok.code).toBe(0);
    const bad = await cli([
      "jobs",
      "enqueue",
      "jobs.yaml",
      "--job",
      "bad1",
      "--attempts",
      "1",
      "--wait",
      ...redisArgs,
    ]);
    expect(bad.code).toBe(2);
    // `bad2` fails once and waits an hour for its retry (a delayed job)…
    const retrying = ["--job", "bad2", "--attempts", "3", "--backoff", "3600000"];
    expect((await cli(["jobs", "enqueue", "jobs.yaml", ...retrying, ...redisArgs])).code).toBe(0);
    // …`slow` is held mid-request, so it stays active on the worker, whose one slot it fills…
    brands[1]!.gate = new Promise<void>((r) => (release = r));
    expect((await cli(["jobs", "enqueue", "jobs.yaml", "--job", "slow", ...redisArgs])).code).toBe(0);
    await waitFor("slow to be under way", () => brands[1]!.inFlight > 0);
    // …and `ok2` waits; so does a job some other writer queued under a hostile name.
    expect((await cli(["jobs", "enqueue", "jobs.yaml", "--job", "ok2", ...redisArgs])).code).toBe(0);
    const queue = new Queue("feedpipe", {
      connection: { host: "127.0.0.1", port: redis.port },
      prefix: "feedpipe:bull",
    });
    await queue.add(EVIL, {});
    await queue.close();

    const status = await cli(["jobs", "status", ...redisArgs]);
    expect(status.err).toBe("");
    expect(status.code).toBe(0);
    const out = status.out;
    expect(out).not.toMatch(UNSAFE);
    const lines = out.trimEnd().split("\n");
    const ts = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    expect(lines[0]).toBe("queue feedpipe: 2 waiting, 2 delayed, 1 active, 1 completed, 1 failed");
    const me = `${hostname()}:${worker.child.pid}`;
    expect(out).toMatch(new RegExp(`^  active    slow \\(#\\d+\\) on ${me} since ${ts}$`, "m"));
    expect(out).toMatch(/^ {2}waiting {3}ok2 \(#\d+\)$/m);
    expect(out).toMatch(new RegExp(`^  delayed   ok1 \\(#repeat:[^)]+\\) due 2\\d{3}-01-01T`, "m"));
    const retry = new RegExp(
      `^  delayed   bad2 \\(#\\d+\\) due (${ts}), last error: .*IO_NOT_FOUND.*gone-too`,
      "m",
    );
    expect(out).toMatch(retry);
    // Due about an hour after its failure (read from BullMQ's delayed set, not guessed).
    expect(Date.parse(retry.exec(out)![1]!)).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(out).toMatch(new RegExp(`^  completed ok1 \\(#\\d+\\) ok at ${ts}$`, "m"));
    expect(out).toMatch(
      new RegExp(`^  failed    bad1 \\(#\\d+\\) after 1 attempts at ${ts}: .*IO_NOT_FOUND`, "m"),
    );
    expect(out).toMatch(new RegExp(`^  schedule  ok1  0 3 1 1 \\*, next 2\\d{3}-01-01T`, "m"));
    // The hostile name is one escaped entry: no new line, no fake second active job.
    expect(out).toContain("  waiting   evil\\x1b[2J\\u202e\\n  active    fake (#1) on nowhere (#");
    expect(lines.filter((l) => l.startsWith("  active "))).toHaveLength(1);
    // The error carries the file name's escape sequence, shown, not sent.
    const failedLine = lines.find((l) => l.startsWith("  failed "))!;
    expect(failedLine).toContain("gone\\x1b]0;owned\\x07.csv");
    // Per job, its last runs (newest first); a job that never ran says so.
    const section = (name: string) => {
      const at = lines.indexOf(name);
      expect(at, name).toBeGreaterThan(0);
      const end = lines.findIndex((l, i) => i > at && !l.startsWith("  "));
      return lines.slice(at + 1, end === -1 ? undefined : end);
    };
    expect(section("ok1")).toEqual([expect.stringMatching(new RegExp(`^  #\\d+ ${ts} → ${ts}  ok$`))]);
    expect(section("bad1")).toEqual([
      expect.stringMatching(new RegExp(`^  #\\d+ ${ts} → ${ts}  failed  .*IO_NOT_FOUND.*gone\\\\x1b`)),
    ]);
    expect(section("slow")).toEqual([expect.stringMatching(new RegExp(`^  #\\d+ ${ts} → …  running$`))]);
    expect(section("ok2")).toEqual(["  no runs yet"]);

    release();
    brands[1]!.gate = undefined;
    await waitFor("slow to be stored", () => brands[1]!.module.store.products.size === PRODUCTS);
    worker.child.kill("SIGTERM");
    await worker.exited;
  }, 120_000);
});
