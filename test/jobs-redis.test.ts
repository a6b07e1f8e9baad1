/**
 * Jobs on many machines: real redis-server, real worker processes (`node dist/src/cli/main.js jobs
 * worker`), the sandbox with several brands. Needs `npm run build` (the test setup builds).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sandboxCatalogCsv } from "../src/sandbox/index.js";
import type { RunningSandbox } from "../src/sandbox/server.js";
import { optionalSuite } from "./helpers/optional.js";
import { redisServerBinary, startRedis, type TestRedis } from "./helpers/redis.js";
import { type TestServer, startServer } from "./helpers/servers.js";
import {
  runProcess,
  spawnWorker,
  startBrands,
  type TrackedBrand,
  waitFor,
  type WorkerProcess,
} from "./helpers/workers.js";

const PRODUCTS = 40;
const BIG = 300;

optionalSuite("jobs on BullMQ with Redis state", redisServerBinary !== undefined, "redis-server", () => {
  let redis: TestRedis;
  let sandbox: RunningSandbox;
  let brands: TrackedBrand[];
  let hook: TestServer;
  let dir: string;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const secrets = () => brands.flatMap((b) => [b.token, b.secret]);

  const jobFile = (names: string[], extra = "") => {
    const lines = ["jobs:"];
    for (const n of names) {
      const i = Number(/\d+/.exec(n)![0]);
      lines.push(
        `  ${n}:`,
        `    source: ${i === 4 ? "big.csv" : "catalog.csv"}`,
        "    push: partnerboost",
        "    concurrency: 1",
        "    partnerboost:",
        `      brandId: "${brands[i - 1]!.id}"`,
        `      token: \${PB_TOKEN_${i}}`,
        `      secret: \${PB_SECRET_${i}}`,
        `      apiUrl: \${PB_URL_${i}}`,
        `    schedule: "${i} 3 * * *"`,
      );
    }
    return `${lines.join("\n")}\n${extra}`;
  };
  const worker = (args: string[] = []) => {
    const w = spawnWorker(
      ["--redis", redis.url, "--lock-duration", "2000", "--stalled-interval", "1000", ...args],
      { ...env, FEEDPIPE_LOCK_TTL_MS: "2000" },
      dir,
    );
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis();
    ({ server: sandbox, brands } = await startBrands(5, 3));
    hook = await startServer((_req, res) => {
      res.writeHead(204).end();
    });
    dir = mkdtempSync(join(tmpdir(), "feedpipe-redis-jobs-"));
    writeFileSync(join(dir, "catalog.csv"), sandboxCatalogCsv(PRODUCTS));
    writeFileSync(join(dir, "big.csv"), sandboxCatalogCsv(BIG, 11));
    env = {};
    brands.forEach((b, i) => {
      env[`PB_TOKEN_${i + 1}`] = b.token;
      env[`PB_SECRET_${i + 1}`] = b.secret;
      env[`PB_URL_${i + 1}`] = b.apiUrl;
    });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await sandbox?.close();
    await hook?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("schedule: upsert is idempotent, removed jobs are unscheduled, no secret in the schedulers", async () => {
    writeFileSync(join(dir, "jobs.yaml"), jobFile(["b1", "b2", "b3"]));
    // The scheduler's machine needs no secrets: references stay unresolved.
    for (let i = 0; i < 2; i++) {
      const r = await runProcess(["jobs", "schedule", "jobs.yaml", "--redis", redis.url], {}, dir);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out.match(/^scheduled /gm)).toHaveLength(3);
    }
    const status = await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir);
    const s = JSON.parse(status.out) as { schedules: { job: string; next: string }[] };
    expect(s.schedules.map((x) => x.job).sort()).toEqual(["b1", "b2", "b3"]);
    writeFileSync(join(dir, "jobs.yaml"), jobFile(["b1", "b3"]));
    const again = await runProcess(["jobs", "schedule", "jobs.yaml", "--redis", redis.url], {}, dir);
    expect(again.out).toMatch(/^removed +b2$/m);
    const after = JSON.parse(
      (await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir)).out,
    ) as {
      schedules: { job: string }[];
    };
    expect(after.schedules.map((x) => x.job).sort()).toEqual(["b1", "b3"]);
    writeFileSync(join(dir, "none.yaml"), "jobs: {}\n");
    await runProcess(["jobs", "schedule", "none.yaml", "--redis", redis.url], {}, dir);
  }, 60_000);

  it("two workers, four brands: all delivered, no brand on two workers at once, few re-sends", async () => {
    writeFileSync(join(dir, "four.yaml"), jobFile(["b1", "b2", "b3", "b5"]) + "");
    const w1 = worker();
    const w2 = worker();
    const waiting = runProcess(
      ["jobs", "enqueue", "four.yaml", "--redis", redis.url, "--wait", "--json"],
      env,
      dir,
    );
    // Queued again meanwhile: the same jobs are not queued twice, brands never run twice at once.
    const twice = await runProcess(["jobs", "enqueue", "four.yaml", "--redis", redis.url], env, dir);
    expect(twice.code).toBe(0);
    const first = await waiting;
    expect(first.err).toBe("");
    const outcomes = first.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event?: string; status?: string; job?: string });
    expect(outcomes.filter((o) => o.event === "queued")).toHaveLength(4);
    expect(
      outcomes
        .filter((o) => o.status === "ok")
        .map((o) => o.job)
        .sort(),
    ).toEqual(["b1", "b2", "b3", "b5"]);
    expect(first.code).toBe(0);
    for (const i of [0, 1, 2, 4]) {
      const b = brands[i]!;
      expect(b.module.store.products.size).toBe(PRODUCTS);
      expect(b.maxInFlight).toBe(1);
      expect(b.module.store.accepted).toBeLessThanOrEqual(PRODUCTS + 2);
    }
    // A second run of every job sends nothing (the shared state knows what was confirmed).
    const second = await runProcess(
      ["jobs", "enqueue", "four.yaml", "--redis", redis.url, "--wait"],
      env,
      dir,
    );
    expect(second.code).toBe(0);
    for (const i of [0, 1, 2, 4]) expect(brands[i]!.module.store.accepted).toBeLessThanOrEqual(PRODUCTS + 2);
    // Both workers took part.
    expect(w1.output()).toMatch(/start/);
    expect(w2.output()).toMatch(/start/);
    w1.child.kill("SIGTERM");
    w2.child.kill("SIGTERM");
    expect(await w1.exited).not.toBeNull();
    await w2.exited;
  }, 120_000);

  it("a worker SIGKILLed mid-job: another finishes it from the shared state, little is re-sent", async () => {
    writeFileSync(join(dir, "big.yaml"), jobFile(["b4"]));
    const b = brands[3]!;
    const victim = worker();
    const queued = await runProcess(["jobs", "enqueue", "big.yaml", "--redis", redis.url], env, dir);
    expect(queued.code).toBe(0);
    await waitFor("the first worker to be half-way", () => b.module.store.accepted >= BIG / 4);
    const running = JSON.parse(
      (await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir)).out,
    ) as {
      active: { job: string; worker: string }[];
    };
    expect(running.active).toEqual([
      expect.objectContaining({ job: "b4", worker: `${hostname()}:${victim.child.pid}` }),
    ]);
    victim.child.kill("SIGKILL");
    await victim.exited;
    const before = b.module.store.accepted;
    expect(before).toBeLessThan(BIG);
    const rescuer = worker();
    await waitFor("the job to complete", () => b.module.store.products.size === BIG, 90_000);
    await waitFor("the run to be recorded", async () => {
      const s = JSON.parse(
        (await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir)).out,
      ) as {
        completed: { job: string }[];
      };
      return s.completed.some((c) => c.job === "b4");
    });
    // At most the confirmations buffered when it died (25) and the one in flight are sent again.
    expect(b.module.store.accepted).toBeLessThanOrEqual(BIG + 26);
    expect(b.maxInFlight).toBe(1);
    expect(rescuer.output()).toMatch(/start b4/);
    rescuer.child.kill("SIGTERM");
    await rescuer.exited;
  }, 150_000);

  it("SIGTERM: the worker stops between batches, hands the run back, another resumes it", async () => {
    writeFileSync(join(dir, "big2.csv"), sandboxCatalogCsv(BIG, 12));
    writeFileSync(join(dir, "changed.yaml"), jobFile(["b4"]).replace("source: big.csv", "source: big2.csv"));
    const b = brands[3]!;
    const start = b.module.store.accepted;
    const leaving = worker();
    expect((await runProcess(["jobs", "enqueue", "changed.yaml", "--redis", redis.url], env, dir)).code).toBe(
      0,
    );
    await waitFor("the run to be under way", () => b.module.store.accepted - start >= BIG / 4);
    leaving.child.kill("SIGTERM");
    expect(await leaving.exited).toBe(130);
    expect(b.module.store.accepted - start).toBeLessThan(BIG);
    const next = worker();
    await waitFor(
      "the run to complete",
      async () => {
        const s = JSON.parse(
          (await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir)).out,
        ) as {
          runs: Record<string, { status: string }[]>;
        };
        return s.runs.b4?.[0]?.status === "ok";
      },
      90_000,
    );
    // The stopped run's confirmations were written: the next run sent only the rest.
    expect(b.module.store.accepted - start).toBeGreaterThanOrEqual(BIG);
    expect(b.module.store.accepted - start).toBeLessThanOrEqual(BIG + 2);
    expect(leaving.output()).toMatch(/stopping/);
    next.child.kill("SIGTERM");
    await next.exited;
  }, 150_000);

  it("a failing job is retried with backoff, then kept failed; its webhook fires once", async () => {
    writeFileSync(
      join(dir, "bad.yaml"),
      jobFile(["b1"])
        .replace("schedule:", `notify: ${hook.origin}/hook\n    schedule:`)
        .replace("source: catalog.csv", "source: missing.csv"),
    );
    const w = worker();
    const r = await runProcess(
      [
        "jobs",
        "enqueue",
        "bad.yaml",
        "--redis",
        redis.url,
        "--attempts",
        "3",
        "--backoff",
        "100",
        "--wait",
        "--json",
      ],
      env,
      dir,
    );
    expect(r.code).toBe(2);
    const s = JSON.parse(
      (await runProcess(["jobs", "status", "--redis", redis.url, "--json"], {}, dir)).out,
    ) as {
      failed: { job: string; attempts: number; error: string }[];
      runs: Record<string, { status: string }[]>;
    };
    const failed = s.failed.find((f) => f.job === "b1")!;
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatch(/IO_NOT_FOUND/);
    expect(s.runs.b1!.slice(0, 3).map((x) => x.status)).toEqual(["failed", "failed", "failed"]);
    await waitFor("the notification", () => hook.received.length >= 1);
    await new Promise((res) => setTimeout(res, 500));
    expect(hook.received.filter((x) => x.url === "/hook")).toHaveLength(1);
    w.child.kill("SIGTERM");
    await w.exited;
  }, 90_000);

  it("workers pushing to the same host share one rate budget", async () => {
    const RATE = 20;
    writeFileSync(
      join(dir, "rate.yaml"),
      jobFile(["b1", "b2"]).replace(/concurrency: 1/g, `concurrency: 2\n    full: true\n    rate: ${RATE}`),
    );
    for (const b of brands) b.arrivals.length = 0;
    worker();
    worker();
    const r = await runProcess(
      ["jobs", "enqueue", "rate.yaml", "--redis", redis.url, "--wait", "--json"],
      env,
      dir,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const arrivals = [...brands[0]!.arrivals, ...brands[1]!.arrivals].sort((x, y) => x - y);
    expect(arrivals).toHaveLength(2 * PRODUCTS);
    // Each worker alone is allowed RATE per second; together they must still stay near RATE.
    let busiest = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i]! - arrivals[j]! >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(RATE + 4);
    for (const w of workers.slice(-2)) w.child.kill("SIGTERM");
    await Promise.all(workers.slice(-2).map((w) => w.exited));
  }, 120_000);

  it("no secret in any Redis key or value", async () => {
    const found: string[] = [];
    let cursor = "0";
    let keys = 0;
    do {
      const [next, batch] = await redis.client.scan(cursor, "COUNT", 500);
      cursor = next;
      for (const key of batch) {
        keys++;
        const type = await redis.client.type(key);
        const parts: string[] = [key];
        if (type === "string") parts.push((await redis.client.getBuffer(key))?.toString("latin1") ?? "");
        else if (type === "hash") parts.push(...Object.entries(await redis.client.hgetall(key)).flat());
        else if (type === "list") parts.push(...(await redis.client.lrange(key, 0, -1)));
        else if (type === "set") parts.push(...(await redis.client.smembers(key)));
        else if (type === "zset") parts.push(...(await redis.client.zrange(key, 0, -1)));
        else if (type === "stream") parts.push(JSON.stringify(await redis.client.xrange(key, "-", "+")));
        const text = parts.join("\n");
        for (const secret of secrets())
          if (text.includes(secret)) found.push(`${key}: ${secret.slice(0, 6)}…`);
      }
    } while (cursor !== "0");
    expect(keys).toBeGreaterThan(10);
    expect(found).toEqual([]);
  }, 60_000);
});
