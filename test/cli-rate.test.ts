/**
 * `--rate` and `--max-wait` on the CLI: the summary reports requests, rate-limit answers,
 * retries and rates (text and --json); a rate limit beyond --max-wait stops the push cleanly
 * (exit 2, a clear message) and the next run sends only what was not confirmed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BrandSandbox, CREDS, startBrandSandbox } from "./fixtures/push/helpers.js";
import { type Captured, runCli } from "./helpers/cli.js";

const CATALOG = join(resolve("test/fixtures/push"), "catalog.csv");

let sb: BrandSandbox;
let cwd: string;

beforeEach(async () => {
  sb = await startBrandSandbox();
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-cli-rate-"));
});
afterEach(async () => {
  await sb.server.close();
  rmSync(cwd, { recursive: true, force: true });
});

function cli(argv: string[], extraEnv: Record<string, string> = {}): Promise<Captured> {
  return runCli(argv, {
    cwd,
    env: {
      ...extraEnv,
      PARTNERBOOST_BRAND_API_URL: sb.url,
      PARTNERBOOST_BRAND_ID: CREDS.brandId,
      PARTNERBOOST_TOKEN: CREDS.token,
      PARTNERBOOST_SECRET: CREDS.secret,
    },
  });
}

describe("feedpipe push --rate / --max-wait", () => {
  it("--json reports requests, rate-limit answers, retries and the rate it paced to", async () => {
    sb.script.push({ kind: "status", status: 503 }, { kind: "code", code: 1002 });
    const r = await cli(["push", CATALOG, "--json", "--rate", "200", "--concurrency", "1"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ sent: 12, failed: 0, finalPass: { tried: 0, recovered: 0 } });
    expect(out.network).toMatchObject({ requests: 14, rateLimited: 1, retries: 1 });
    expect(out.network.hosts).toHaveLength(1);
    expect(out.network.hosts[0].currentRate).toBeLessThanOrEqual(200);
    expect(out.network.achievedRate).toBeGreaterThan(0);
  });

  it("FEEDPIPE_DEBUG prints what each rate-limit episode taught the controller (and nothing without it)", async () => {
    sb.script.push({ kind: "pass" }, { kind: "pass" }, { kind: "code", code: 1002 });
    const debug = await cli(["push", CATALOG, "--concurrency", "1"], { FEEDPIPE_DEBUG: "1" });
    expect(debug.code).toBe(0);
    expect(debug.err).toMatch(
      /feedpipe debug: 127\.0\.0\.1:\d+: rate-limit answer to request 3 at \d+\.\d\d s \(2 passed before\): limit unknown → ~2\/s, pacing 2\/s; pause 50 ms\n/,
    );
    expect(debug.err).not.toContain(CREDS.token);
    sb.script.push({ kind: "code", code: 1002 });
    const quiet = await cli(["push", CATALOG, "--full", "--concurrency", "1", "--json"]);
    expect(quiet.code).toBe(0);
    expect(JSON.parse(quiet.out).network).toMatchObject({ rateLimited: 1 });
    expect(quiet.err).not.toContain("feedpipe debug");
  });

  it("the text summary has a network line", async () => {
    const r = await cli(["push", CATALOG]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/network\s+12 requests · 0 rate-limit answers · 0 retries · [\d.]+\/s achieved/);
  });

  it("stops cleanly at --max-wait (exit 2); the next run sends only the unconfirmed products", async () => {
    for (let i = 0; i < 5; i++) sb.script.push({ kind: "pass" });
    for (let i = 0; i < 2000; i++) sb.script.push({ kind: "code", code: 1002 });
    const stopped = await cli(["push", CATALOG, "--max-wait", "0.5", "--concurrency", "1"]);
    expect(stopped.code).toBe(2);
    expect(stopped.err).toContain("stopped after 5 confirmed products");
    expect(stopped.err).toContain("NET_RATE_LIMITED");
    expect(stopped.err).toMatch(/beyond --max-wait 0.5 s: stopping the run/);
    expect(sb.brand.store.products.size).toBe(5);

    sb.script.length = 0;
    const again = await cli(["push", CATALOG, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ sent: 7, unchanged: 5, failed: 0 });
    expect(sb.brand.store.products.size).toBe(12);
  });

  it("--max-wait 0 sends until the first rate-limit answer, then stops with a whole sentence", async () => {
    sb.script.push({ kind: "pass" }, { kind: "pass" });
    for (let i = 0; i < 50; i++) sb.script.push({ kind: "code", code: 1002 });
    const r = await cli(["push", CATALOG, "--max-wait", "0", "--concurrency", "1"]);
    expect(r.code).toBe(2);
    expect(sb.brand.store.products.size).toBe(2);
    expect(r.err).toMatch(
      /answered nothing but "too many requests" for 0 s, beyond --max-wait 0 s: stopping the run/,
    );
    expect(r.err).not.toContain("no requests left");
  });

  it("rejects a bad --rate or --max-wait before any request", async () => {
    const bad = await cli(["push", CATALOG, "--rate", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("Invalid option --rate");
    const badWait = await cli(["push", CATALOG, "--max-wait", "soon"]);
    expect(badWait.code).toBe(2);
    expect(badWait.err).toContain("Invalid option --max-wait");
    expect(sb.brand.store.accepted).toBe(0);
  });
});
