/**
 * Shared rate budgets beyond push: every command that calls a network API takes its requests from
 * the Redis budget of the API host when FEEDPIPE_REDIS_URL is set, and closes its connection when
 * it ends; two worker processes pulling from the PartnerBoost publisher sandbox together stay
 * within one job's `rate:`. Real redis-server (a private one on a free loopback port).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DefaultSandbox, startDefaultSandbox } from "../src/sandbox/index.js";
import { partnerboostPublisherModule } from "../src/sandbox/partnerboost-publisher.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";
import { runCli } from "./helpers/cli.js";
import { optionalSuite } from "./helpers/optional.js";
import { redisServerBinary, startRedis, type TestRedis } from "./helpers/redis.js";
import { CLI, runProcess, spawnWorker, waitFor, type WorkerProcess } from "./helpers/workers.js";

/** Connections other than the test's own assertion client. */
async function otherClients(redis: TestRedis): Promise<number> {
  const list = await redis.client.client("LIST");
  return String(list).trim().split("\n").length - 1;
}

optionalSuite(
  "shared rate budgets for every network command (Redis)",
  redisServerBinary !== undefined,
  "redis-server",
  () => {
    let redis: TestRedis;
    let sandbox: DefaultSandbox;
    let dir: string;
    const workers: WorkerProcess[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      sandbox = await startDefaultSandbox({ products: 40 });
      dir = mkdtempSync(join(tmpdir(), "feedpipe-redis-rate-"));
    }, 60_000);

    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
      await sandbox?.close();
      await redis?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("each network command paces its requests in the host's shared budget and closes its connection", async () => {
      const host = new URL(sandbox.origin).host;
      const commands: [string, string[]][] = [
        ["push", ["push", sandbox.catalogUrl]],
        ["pull-partnerboost", ["pull", "partnerboost", "--limit", "20", "-o", "pb.csv"]],
        [
          "pull-partnerboost-amazon",
          ["pull", "partnerboost-amazon", "--page-size", "20", "-o", "amazon.csv"],
        ],
        ["amazon-brands", ["amazon", "brands"]],
        [
          "register-partnerboost",
          ["register", "partnerboost", "--fetch-url", sandbox.catalogUrl, "--fetch-period", "DAILY"],
        ],
        ["pull-partnerize", ["pull", "partnerize", "--publisher-id", "1l1007802", "-o", "pz.csv"]],
        [
          "register-partnerize",
          ["register", "partnerize", "--campaign-id", "10l176", "--location", "https://shop.example/f.xml"],
        ],
        ["feeds-partnerize", ["feeds", "partnerize", "--campaign-id", "10l176"]],
      ];
      expect(await otherClients(redis)).toBe(0);
      for (const [name, argv] of commands) {
        const prefix = `rate-${name}:`;
        const before = sandbox.server.stats.requests;
        const r = await runCli([...argv, "--rate", "200"], {
          env: { ...sandbox.env, FEEDPIPE_REDIS_URL: redis.url, FEEDPIPE_REDIS_PREFIX: prefix },
          cwd: dir,
        });
        expect(r.code, `${name}: ${r.err}`).toBeLessThanOrEqual(1);
        expect(sandbox.server.stats.requests, name).toBeGreaterThan(before);
        // The command reserved its requests' slots in the budget of the sandbox's host…
        expect(await redis.client.exists(`${prefix}rate:${host}:tat`), name).toBe(1);
        // …and every connection it opened (budget, state, lock) is closed when it ends.
        // A pull wrote its rows in the command's working directory.
        const written = argv[argv.indexOf("-o") + 1];
        if (argv.includes("-o")) expect(existsSync(join(dir, written!)), name).toBe(true);
        await waitFor(`${name}'s connections to close`, async () => (await otherClients(redis)) === 0, 5_000);
      }
      // A command that fails after its first request closes its connection too.
      const prefix = "rate-failing:";
      const failed = await runCli(["amazon", "brands", "--rate", "200"], {
        env: {
          ...sandbox.env,
          PARTNERBOOST_PUBLISHER_TOKEN: "wrong-token",
          FEEDPIPE_REDIS_URL: redis.url,
          FEEDPIPE_REDIS_PREFIX: prefix,
        },
        cwd: dir,
      });
      expect(failed.code).toBe(2);
      expect(await redis.client.exists(`${prefix}rate:${host}:tat`)).toBe(1);
      await waitFor(
        "the failed command's connection to close",
        async () => (await otherClients(redis)) === 0,
        5_000,
      );
    }, 60_000);

    it("without FEEDPIPE_REDIS_URL nothing touches Redis", async () => {
      const keys = await redis.client.dbsize();
      const r = await runCli(["amazon", "brands", "--rate", "200"], { env: sandbox.env, cwd: dir });
      expect(r.code).toBe(0);
      expect(await redis.client.dbsize()).toBe(keys);
      expect(await otherClients(redis)).toBe(0);
    });

    it("two workers pulling from the publisher sandbox share one rate budget", async () => {
      const RATE = 10;
      const TOKEN = "pub-token-rate-5d1e";
      const publisher = partnerboostPublisherModule({ token: TOKEN, products: 600, seed: 3, brands: 2 });
      // The server's own record: the brand asked for and the clock second of each list request.
      const arrivals: { brand: string; second: number }[] = [];
      const tracked: SandboxModule = {
        ...publisher,
        matches: (req) => publisher.matches(req),
        handle: (req, reply) => {
          if (req.params.op === "list") {
            arrivals.push({ brand: String(req.params.brand_id), second: Math.floor(Date.now() / 1000) });
          }
          return publisher.handle(req, reply);
        },
      };
      const server: RunningSandbox = await startSandbox({ modules: [tracked] });
      try {
        const brands = [...new Set(publisher.catalog.map((p) => p.brand_id))].sort();
        expect(brands).toHaveLength(2);
        const LIMIT = 10;
        const pages = brands.map((b) => Math.ceil(publisher.filtered({ brand_id: b }).length / LIMIT));
        for (const p of pages) expect(p).toBeGreaterThanOrEqual(2 * RATE);
        const job = (i: number) => [
          `  pull${i}:`,
          "    pull: partnerboost",
          `    export: pulled-${i}.csv`,
          `    brandId: "${brands[i]}"`,
          `    limit: ${LIMIT}`,
          "    concurrency: 4",
          `    rate: ${RATE}`,
          "    partnerboost:",
          "      publisherToken: ${PB_PUBLISHER_TOKEN}",
          "      publisherApiUrl: ${PB_PUBLISHER_URL}",
        ];
        writeFileSync(join(dir, "pulls.yaml"), ["jobs:", ...job(0), ...job(1), ""].join("\n"));
        const env = { PB_PUBLISHER_TOKEN: TOKEN, PB_PUBLISHER_URL: `${server.origin}/api.php` };
        const started = [1, 2].map(() => {
          const w = spawnWorker(["--redis", redis.url, "--queue", "pulls"], env, dir);
          workers.push(w);
          return w;
        });
        for (const w of started) await waitFor("the worker to listen", () => /\bworker\b/.test(w.output()));
        const r = await runProcess(
          ["jobs", "enqueue", "pulls.yaml", "--redis", redis.url, "--queue", "pulls", "--wait", "--json"],
          env,
          dir,
        );
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        for (const i of [0, 1]) {
          const rows = parse(readFileSync(join(dir, `pulled-${i}.csv`), "utf8"), {
            columns: true,
          }) as unknown[];
          expect(rows.length).toBe(publisher.filtered({ brand_id: brands[i] }).length);
        }
        // Both workers took part, and their pulls overlapped: some seconds saw both brands.
        for (const w of started) expect(w.output()).toMatch(/\bstart pull[01]\b/);
        const windows = new Map<number, Map<string, number>>();
        for (const a of arrivals) {
          const w = windows.get(a.second) ?? new Map<string, number>();
          w.set(a.brand, (w.get(a.brand) ?? 0) + 1);
          windows.set(a.second, w);
        }
        const shared = [...windows.values()].filter((w) => w.size === 2);
        expect(shared.length).toBeGreaterThanOrEqual(2);
        // Every page was asked for once (nothing rate-limited, nothing retried)…
        expect(brands.map((b) => arrivals.filter((a) => a.brand === b).length)).toEqual(pages);
        // …and no clock second saw more than one job's rate, though each job alone may send RATE/s:
        // unshared, the seconds both pulls share would see about 2 × RATE.
        const busiest = Math.max(
          ...[...windows.values()].map((w) => [...w.values()].reduce((s, n) => s + n, 0)),
        );
        expect(busiest).toBeLessThanOrEqual(RATE + 3);
        for (const w of started) w.child.kill("SIGTERM");
        await Promise.all(started.map((w) => w.exited));
      } finally {
        await server.close();
      }
    }, 120_000);
  },
);

describe("shared rate budget with Redis unreachable", () => {
  it("the command paces alone and completes, every page asked for once", async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const sandbox = await startDefaultSandbox({ products: 40 });
    const dir = mkdtempSync(join(tmpdir(), "feedpipe-redis-down-"));
    try {
      const r = await runCli(["pull", "partnerboost", "--limit", "10", "--rate", "200", "-o", "pb.csv"], {
        env: { ...sandbox.env, FEEDPIPE_REDIS_URL: `redis://127.0.0.1:${closed}` },
        cwd: dir,
      });
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(sandbox.publisher.stats.list).toBe(4);
      const rows = parse(readFileSync(join(dir, "pb.csv"), "utf8"), { columns: true }) as unknown[];
      expect(rows).toHaveLength(40);
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the embedded path loads nothing of Redis", () => {
  it("a pull without FEEDPIPE_REDIS_URL imports neither ioredis nor bullmq; with it, the driver loads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "feedpipe-lazy-redis-"));
    const log = join(dir, "imports.log");
    // A module hook that writes down every import of ioredis or bullmq (dynamic ones too).
    writeFileSync(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  if (/^(ioredis|bullmq)($|\\/)/.test(specifier)) appendFileSync(${JSON.stringify(log)}, specifier + "\\n");
  return next(specifier, context);
}
`,
    );
    writeFileSync(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
    );
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const sandbox = await startDefaultSandbox({ products: 20 });
    try {
      // Asynchronously: the sandbox answers from this process's event loop.
      const pull = (extra: Record<string, string>) =>
        new Promise<{ status: number | null; stderr: string }>((done) => {
          let stderr = "";
          const child = spawn(
            process.execPath,
            [
              "--import",
              join(dir, "register.mjs"),
              CLI,
              "pull",
              "partnerboost",
              "--rate",
              "100",
              "-o",
              "pb.csv",
            ],
            { cwd: dir, env: { PATH: process.env.PATH ?? "", ...sandbox.env, ...extra } },
          );
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.once("exit", (status) => done({ status, stderr }));
        });
      const embedded = await pull({});
      expect(embedded.stderr).toBe("");
      expect(embedded.status).toBe(0);
      expect(existsSync(log)).toBe(false);
      const shared = await pull({ FEEDPIPE_REDIS_URL: `redis://127.0.0.1:${closed}` });
      expect(shared.status).toBe(0);
      expect(readFileSync(log, "utf8")).toMatch(/^ioredis$/m);
      expect(readFileSync(log, "utf8")).not.toMatch(/bullmq/);
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
