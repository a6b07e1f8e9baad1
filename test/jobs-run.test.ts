/**
 * `feedpipe jobs run|status` against the built-in sandbox: push, export and pull jobs, exit codes,
 * the run history, webhook notifications, and a job giving the same result as its command line.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DefaultSandbox, startDefaultSandbox } from "../src/sandbox/index.js";
import { type Captured, runCli } from "./helpers/cli.js";
import { beforeHandle } from "./helpers/sandbox-hooks.js";

const CATALOG = resolve("samples/catalog.csv");

let sb: DefaultSandbox;
let cwd: string;
const printed: string[] = [];

beforeEach(async () => {
  sb = await startDefaultSandbox({ products: 30 });
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-jobs-"));
});
afterEach(async () => {
  await sb.close();
  rmSync(cwd, { recursive: true, force: true });
  for (const text of printed.splice(0)) {
    for (const k of ["PARTNERBOOST_TOKEN", "PARTNERBOOST_SECRET", "PARTNERBOOST_PUBLISHER_TOKEN"]) {
      expect(text).not.toContain(sb.env[k]);
    }
  }
});

/** The environment a user sets: the job file names these variables. */
function env(over: Record<string, string> = {}): Record<string, string> {
  return {
    PB_BRAND: sb.env.PARTNERBOOST_BRAND_ID!,
    PB_TOKEN: sb.env.PARTNERBOOST_TOKEN!,
    PB_SECRET: sb.env.PARTNERBOOST_SECRET!,
    PB_PUB_TOKEN: sb.env.PARTNERBOOST_PUBLISHER_TOKEN!,
    PB_API: sb.brandApiUrl,
    PB_PUB_API: sb.env.PARTNERBOOST_PUBLISHER_API_URL!,
    ...over,
  };
}

async function cli(argv: string[], e: Record<string, string> = env()): Promise<Captured> {
  const r = await runCli(argv, { env: e, cwd });
  printed.push(r.out, r.err);
  return r;
}

function jobFile(name: string, yaml: string): string {
  const path = join(cwd, name);
  writeFileSync(path, yaml);
  return path;
}

const PB = `partnerboost: { brandId: "\${PB_BRAND}", token: "\${PB_TOKEN}", secret: "\${PB_SECRET}", apiUrl: "\${PB_API}" }`;

describe("feedpipe jobs run", () => {
  it("runs push, export and pull jobs; one JSON result per job; exit 1 when one ended partial", async () => {
    const file = jobFile(
      "jobs.yaml",
      `
jobs:
  brand-push:
    source: ${CATALOG}
    push: partnerboost
    ${PB}
    concurrency: 4
  brand-export:
    source: ${CATALOG}
    export: out/catalog.ndjson
    maxInvalid: 50%
  publisher-pull:
    pull: partnerboost
    export: out/pulled.csv
    partnerboost: { publisherToken: "\${PB_PUB_TOKEN}", publisherApiUrl: "\${PB_PUB_API}" }
`,
    );
    const r = await cli(["jobs", "run", file, "--json"]);
    const results = r.out
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { job: string; status: string; exitCode: number; counts: Record<string, number> },
      );
    expect(results.map((x) => [x.job, x.status])).toEqual([
      ["brand-push", "partial"], // the sample has 7 invalid rows: exit 1 of push
      ["brand-export", "ok"], // within maxInvalid 50%
      ["publisher-pull", "ok"],
    ]);
    expect(r.code).toBe(1);
    const push = results[0]!;
    expect(push.counts).toMatchObject({ valid: 24, invalid: 7, sent: 24, failed: 0 });
    expect(sb.brand.store.products.size).toBe(24);
    const exported = readFileSync(join(cwd, "out/catalog.ndjson"), "utf8").trim().split("\n");
    expect(exported).toHaveLength(24);
    expect(results[2]!.counts.products).toBe(30);
    const pulled = readFileSync(join(cwd, "out/pulled.csv"), "utf8");
    expect(pulled.split("\n")[0]).toMatch(/^name,description,brand_id,/);
  });

  it("a job gives the same result as its command line", async () => {
    const file = jobFile(
      "jobs.yaml",
      `jobs:\n  exp:\n    source: ${CATALOG}\n    export: job.csv\n    currency: EUR\n    no-dedupe: true\n`,
    );
    const viaJob = await cli(["jobs", "run", file, "--json"]);
    const viaCli = await cli([
      "convert",
      CATALOG,
      "-o",
      join(cwd, "cli.csv"),
      "--currency",
      "EUR",
      "--no-dedupe",
      "--json",
    ]);
    expect(viaCli.code).toBe(1);
    const jobResult = (JSON.parse(viaJob.out) as { result: Record<string, unknown> }).result;
    const cliResult = JSON.parse(viaCli.out) as Record<string, unknown>;
    const strip = (o: Record<string, unknown>) => {
      const { durationMs: _d, elapsedMs: _e, output: _o, ...rest } = o;
      return rest;
    };
    expect(strip(jobResult)).toEqual(strip(cliResult));
    expect(readFileSync(join(cwd, "job.csv"), "utf8")).toBe(readFileSync(join(cwd, "cli.csv"), "utf8"));
  });

  it("exit 2 when a job fails fatally, and the error is in the history and `jobs status`", async () => {
    const file = jobFile(
      "jobs.json",
      JSON.stringify({ jobs: { broken: { source: "missing/feed.csv", export: "x.csv" } } }),
    );
    const r = await cli(["jobs", "run", file]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/broken\s+failed\s+convert/);
    expect(r.out).toMatch(/IO_NOT_FOUND/);
    expect(existsSync(join(cwd, "x.csv"))).toBe(false);
    const status = await cli(["jobs", "status", file, "--json"]);
    expect(status.code).toBe(0);
    const [row] = JSON.parse(status.out) as { job: string; runs: { status: string; error: string }[] }[];
    expect(row?.job).toBe("broken");
    expect(row?.runs[0]).toMatchObject({ status: "failed" });
    expect(row?.runs[0]?.error).toMatch(/IO_NOT_FOUND/);
  });

  it("jobs status needs no credentials: it reads history (run needs them and says which are unset)", async () => {
    const file = jobFile(
      "jobs.yaml",
      `jobs:\n  nightly:\n    source: ${CATALOG}\n    push: partnerboost\n    ${PB}\n`,
    );
    const pushed = await cli(["jobs", "run", file, "--json"]);
    expect(pushed.code).toBeLessThan(2);
    const monitoring = await cli(["jobs", "status", file, "--json"], {});
    expect(monitoring.code, monitoring.err).toBe(0);
    const [row] = JSON.parse(monitoring.out) as { job: string; runs: { status: string }[] }[];
    expect(row?.job).toBe("nightly");
    expect(row?.runs).toHaveLength(1);
    const run = await cli(["jobs", "run", file], {});
    expect(run.code).toBe(2);
    expect(run.err).toContain("${PB_TOKEN} is used in the job file but not set");
  });

  it("a job writes the HTML report with `html:` like --html (path relative to the job file)", async () => {
    const file = jobFile(
      "jobs.yaml",
      `jobs:\n  nightly-check:\n    source: ${CATALOG}\n    html: reports/check.html\n`,
    );
    const r = await cli(["jobs", "run", file, "--json"]);
    expect(r.code).toBe(1);
    const page = readFileSync(join(cwd, "reports/check.html"), "utf8");
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    expect(page).toContain("GTIN_CHECK_DIGIT");
  });

  it("--job picks jobs; an unknown name is a usage error", async () => {
    const file = jobFile(
      "jobs.yaml",
      `jobs:\n  a:\n    source: ${CATALOG}\n  b:\n    source: ${CATALOG}\n    maxInvalid: 50%\n`,
    );
    const one = await cli(["jobs", "run", file, "--job", "b", "--json"]);
    expect(one.code).toBe(0);
    expect(one.out.trim().split("\n")).toHaveLength(1);
    const bad = await cli(["jobs", "run", file, "--job", "c"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/No job named "c"/);
  });

  it("notifies a webhook once when a job fails, with no secret in the payload", async () => {
    const received: { body: string; headers: IncomingMessage["headers"] }[] = [];
    let attempts = 0;
    const hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        attempts++;
        // The first delivery fails: notifications are retried.
        if (attempts === 1) {
          res.writeHead(503).end();
          return;
        }
        received.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      // Wrong secret: the push fails with an auth error naming nothing secret.
      const file = jobFile(
        "jobs.yaml",
        `
notify: { url: "${url}" }
jobs:
  nightly:
    source: ${CATALOG}
    push: partnerboost
    ${PB}
    retries: 0
`,
      );
      const r = await cli(["jobs", "run", file], env({ PB_SECRET: "wrong-secret-value-1234567890" }));
      expect(r.code).toBe(2);
      expect(received).toHaveLength(1);
      const payload = JSON.parse(received[0]!.body) as Record<string, unknown>;
      expect(payload).toMatchObject({ job: "nightly", status: "failed", exitCode: 2 });
      expect(String(payload.text)).toMatch(/^feedpipe job nightly: failed/);
      for (const secret of [sb.env.PARTNERBOOST_TOKEN!, "wrong-secret-value-1234567890"]) {
        expect(received[0]!.body).not.toContain(secret);
      }
    } finally {
      hook.close();
    }
  });

  it("an interrupted run stops between batches and is recorded as aborted", async () => {
    const file = jobFile(
      "jobs.yaml",
      `jobs:\n  slow:\n    source: ${CATALOG}\n    push: partnerboost\n    ${PB}\n    concurrency: 1\n`,
    );
    const controller = new AbortController();
    // SIGTERM arrives while the third product is at the server, however fast the machine is.
    beforeHandle(sb.brand, (_req, n) => {
      if (n === 3) controller.abort(new Error("interrupted by SIGTERM"));
    });
    const r = await runCli(["jobs", "run", file, "--json"], { env: env(), cwd, signal: controller.signal });
    printed.push(r.out, r.err);
    expect(r.code).toBe(2);
    const [result] = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { status: string; counts: { sent?: number } });
    expect(result?.status).toBe("aborted");
    expect(sb.brand.store.products.size).toBeLessThan(24);
    const status = await cli(["jobs", "status", file, "--json"]);
    const [row] = JSON.parse(status.out) as { runs: { status: string }[] }[];
    expect(row?.runs[0]?.status).toBe("aborted");
  });

  it("--log-format json writes one JSON event per line on stdout (start, end)", async () => {
    const file = jobFile("jobs.yaml", `jobs:\n  a:\n    source: ${CATALOG}\n    maxInvalid: 50%\n`);
    const r = await cli(["jobs", "run", file, "--log-format", "json"]);
    expect(r.code).toBe(0);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; job: string; time: string; level: number });
    expect(events.map((e) => e.event)).toEqual(["start", "end"]);
    expect(events.every((e) => e.job === "a" && !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });
});
