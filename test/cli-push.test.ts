import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/run.js";
import { type Captured, runCli } from "./helpers/cli.js";
import { type BrandSandbox, CREDS, startBrandSandbox } from "./fixtures/push/helpers.js";

const FIX = resolve("test/fixtures/push");
const CATALOG = join(FIX, "catalog.csv");
const MIXED = join(FIX, "mixed.csv");

let sb: BrandSandbox;
let cwd: string;
/** Everything any command printed (scanned for secrets at the end). */
const printed: string[] = [];

beforeEach(async () => {
  sb = await startBrandSandbox();
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-cli-push-"));
});
afterEach(async () => {
  await sb.server.close();
  // The state database never holds a secret.
  const dir = join(cwd, ".feedpipe");
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(Buffer.from(CREDS.token))).toBe(false);
      expect(bytes.includes(Buffer.from(CREDS.secret))).toBe(false);
    }
  }
  rmSync(cwd, { recursive: true, force: true });
});

function env(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PARTNERBOOST_BRAND_API_URL: sb.url,
    PARTNERBOOST_BRAND_ID: CREDS.brandId,
    PARTNERBOOST_TOKEN: CREDS.token,
    PARTNERBOOST_SECRET: CREDS.secret,
    ...over,
  };
}

async function cli(
  argv: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<Captured> {
  const r = await runCli(argv, { stdin: options.stdin, env: options.env ?? env(), cwd });
  printed.push(r.out, r.err);
  return r;
}

describe("feedpipe push", () => {
  it("pushes every valid product, then sends nothing the second time", async () => {
    const first = await cli(["push", CATALOG]);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/valid\s+12/);
    expect(first.out).toMatch(/sent\s+12/);
    expect(first.out).toContain(`PartnerBoost brand ${CREDS.brandId}`);
    expect(sb.brand.store.products.size).toBe(12);
    expect(existsSync(join(cwd, ".feedpipe", "state.db"))).toBe(true);

    const second = await cli(["push", CATALOG, "--json"]);
    expect(second.code).toBe(0);
    const json = JSON.parse(second.out);
    expect(json).toMatchObject({ ok: true, valid: 12, sent: 0, unchanged: 12, failed: 0, status: "ok" });
    expect(json.gate).toMatchObject({ previousValid: 12, currentValid: 12, refused: false });
    expect(sb.brand.store.accepted).toBe(12);

    const full = await cli(["push", CATALOG, "--full", "--concurrency", "2", "--json"]);
    expect(JSON.parse(full.out)).toMatchObject({ sent: 12, unchanged: 0 });
  });

  it("never sends invalid records: exit 1, rejects file, --max-invalid", async () => {
    const rejects = join(cwd, "rejects.ndjson");
    const r = await cli(["push", MIXED, "--rejects", rejects, "--state", "s.db"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/rejected\s+2/);
    expect(r.out).toContain("REQUIRED_MISSING");
    expect(r.out).toMatch(/sent\s+10/);
    expect(sb.brand.store.products.size).toBe(10);
    expect(sb.brand.store.products.has("TP-101")).toBe(false);
    const lines = readFileSync(rejects, "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).sku)).toEqual(["TP-101", "TP-102"]);
    expect(existsSync(join(cwd, "s.db"))).toBe(true);

    const allowed = await cli(["push", MIXED, "--max-invalid", "2", "--state", "s.db"]);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toMatch(/unchanged\s+10/);
  });

  it("--dry-run prints the requests with secrets redacted, sends nothing and needs no credentials", async () => {
    const r = await cli(["push", CATALOG, "--dry-run"], {
      env: { PARTNERBOOST_BRAND_API_URL: sb.url, PARTNERBOOST_BRAND_ID: CREDS.brandId },
    });
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatchObject({
      method: "POST",
      url: sb.url,
      headers: { "content-type": "application/json", "x-partnerboost-authentication": "REDACTED" },
      body: {
        bid: CREDS.brandId,
        token: "REDACTED",
        action: "datafeed/new",
        version: "1.0",
        sku: "TP-001",
        price: 11.5,
      },
    });
    expect(r.err).toMatch(/would send\s+12/);
    expect(sb.brand.requests).toHaveLength(0);
    expect(existsSync(join(cwd, ".feedpipe"))).toBe(false);

    // With credentials configured, nothing secret is printed either.
    const withCreds = await cli(["push", CATALOG, "--dry-run"]);
    expect(withCreds.code).toBe(0);
    expect(withCreds.out).not.toContain(CREDS.token);
  });

  it("explains missing credentials and auth failures (exit 2) without printing secrets", async () => {
    const missing = await cli(["push", CATALOG], { env: { PARTNERBOOST_BRAND_API_URL: sb.url } });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("CONFIG_MISSING");
    expect(missing.err).toContain("PARTNERBOOST_TOKEN");
    expect(missing.err).toContain("PARTNERBOOST_SECRET");

    const bad = await cli(["push", CATALOG], {
      env: env({ PARTNERBOOST_SECRET: "wrong-secret-for-the-test" }),
    });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("NET_AUTH_FAILED");
    expect(bad.err).toContain("stopped after 0 confirmed products");
    expect(sb.brand.store.products.size).toBe(0);
    expect(sb.brand.requests.length).toBeLessThanOrEqual(4);
  });

  it("reports a product whose retries ran out (exit 1) and sends only it next time", async () => {
    sb.brand.failSku("TP-004");
    const r = await cli(["push", CATALOG, "--retries", "1"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/sent\s+11/);
    expect(r.out).toMatch(/failed\s+1/);
    expect(r.out).toMatch(/line 5 sku TP-004: \[HTTP_STATUS\] HTTP 500 .*after 4 attempts/); // 2 + 2 in the final pass
    expect(r.out).toMatch(/final pass\s+0 {2}of 1 transient failures/);
    const again = await cli(["push", CATALOG, "--json", "--retries", "1"]);
    expect(JSON.parse(again.out)).toMatchObject({ sent: 0, unchanged: 11, failed: 1, ok: false });
    expect(again.code).toBe(1);
  });

  it("the publish gate refuses a shrunken feed (exit 2) until --force or a wider --gate", async () => {
    expect((await cli(["push", CATALOG])).code).toBe(0);
    const half = join(cwd, "half.csv");
    writeFileSync(half, readFileSync(CATALOG, "utf8").split("\n").slice(0, 7).join("\n"));
    const refused = await cli(["push", half]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("PUBLISH_GATE");
    expect(refused.err).toContain("6 valid products, 50% fewer than the 12");
    expect(sb.brand.store.accepted).toBe(12);

    const dry = await cli(["push", half, "--dry-run"]);
    expect(dry.code).toBe(2);
    expect(dry.err).toContain("publish gate would refuse");

    const wider = await cli(["push", half, "--gate", "60%", "--json"]);
    expect(wider.code).toBe(0);
    expect(JSON.parse(wider.out)).toMatchObject({ sent: 0, unchanged: 6 });
    expect((await cli(["push", CATALOG, "--json"])).code).toBe(0); // growth passes
    const forced = await cli(["push", half, "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/publish gate\s+forced/);
    expect(await cli(["push", CATALOG, "--gate", "bogus"])).toMatchObject({ code: 2 });
  });

  it("reads stdin, spooling it when the gate needs two passes", async () => {
    const text = readFileSync(CATALOG, "utf8");
    const first = await cli(["push", "-", "--json"], { stdin: text });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ sent: 12, passes: 1 });
    const second = await cli(["push", "-", "--json"], { stdin: text });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({ sent: 0, unchanged: 12, passes: 2 });
  });
});

describe("feedpipe register partnerboost", () => {
  it("registers the fetch URL and period", async () => {
    const url = sb.server.origin + sb.brand.host("feed.csv", readFileSync(CATALOG));
    const r = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      url,
      "--fetch-period",
      "WEEKLY",
      "--check",
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("fetch_period  WEEKLY");
    expect(r.out).toContain("12 of 12 products valid");
    expect(sb.brand.store.settings).toMatchObject({ fetch_url: url, fetch_period: "WEEKLY" });
    const j = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      url,
      "--fetch-period",
      "NEVER",
      "--json",
    ]);
    expect(JSON.parse(j.out)).toMatchObject({
      registered: true,
      fetch_period: "NEVER",
      response: { fetch_period: "NEVER" },
    });
  });

  it("a refusal that echoes fetch_url shows its token masked, in text and --json", async () => {
    const url = "https://shop.example/feed.csv?access_token=feed-token-7f3a9c&lang=en";
    for (const json of [false, true]) {
      sb.script.push({ kind: "code", code: 1003, msg: `fetch_url ${url} is not reachable` });
      const r = await cli([
        "register",
        "partnerboost",
        "--fetch-url",
        url,
        "--fetch-period",
        "DAILY",
        ...(json ? ["--json"] : []),
      ]);
      expect(r.code).toBe(2);
      expect(r.err).toContain("is not reachable");
      expect(r.err).toContain("lang=en");
      expect(r.out + r.err).not.toContain("feed-token-7f3a9c");
    }
  });

  it("--check refuses unreadable or mostly invalid feeds (exit 1); bad options are usage errors", async () => {
    const mixed = sb.server.origin + sb.brand.host("mixed.csv", readFileSync(MIXED));
    const strict = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      mixed,
      "--fetch-period",
      "DAILY",
      "--check",
      "--check-threshold",
      "10%",
    ]);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain("2 of 12 products (16.7%) are invalid");
    const missing = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      `${sb.server.origin}/files/partnerboost/nope.csv`,
      "--fetch-period",
      "DAILY",
      "--check",
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("cannot be read");
    expect(sb.brand.store.settings).toBeUndefined();
    const lenient = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      mixed,
      "--fetch-period",
      "DAILY",
      "--check",
    ]);
    expect(lenient.code).toBe(0);

    const period = await cli(["register", "partnerboost", "--fetch-url", mixed, "--fetch-period", "HOURLY"]);
    expect(period.code).toBe(2);
    expect(period.err).toContain("HOURLY");
    const url = await cli([
      "register",
      "partnerboost",
      "--fetch-url",
      "shop.example/feed",
      "--fetch-period",
      "DAILY",
    ]);
    expect(url.code).toBe(2);
    expect(url.err).toContain("absolute http(s) URL");
  });
});

describe("feedpipe sandbox", () => {
  it("prints its URLs and demo credentials and stops on the signal", async () => {
    const ac = new AbortController();
    let out = "";
    const done = run(["sandbox", "--port", "0", "--products", "5", "--latency", "1"], {
      stdout: {
        write: (s: string) => {
          out += s;
          if (s.includes("Ctrl-C")) queueMicrotask(() => ac.abort());
        },
      },
      stderr: { write: (s: string) => (out += s) },
      env: {},
      cwd,
      signal: ac.signal,
    });
    expect(await done).toBe(0);
    expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain(`PARTNERBOOST_BRAND_ID=${CREDS.brandId}`);
    expect(out).toContain("PARTNERBOOST_TOKEN=");
    expect(out).toMatch(/hosted catalog: http:\/\/127\.0\.0\.1:\d+\/files\/partnerboost\/catalog\.csv/);
    expect(out).toContain("faults: latency 1 ms");
    expect(out).toMatch(/export PARTNERBOOST_PUBLISHER_API_URL=http:\/\/127\.0\.0\.1:\d+\/api\.php/);
    expect(out).toContain("export PARTNERIZE_APPLICATION_KEY=");
    expect(out).toContain("feedpipe sandbox stopped");
  });
});

describe("secrets", () => {
  it("no token or secret appeared in anything the commands above printed", () => {
    const all = printed.join("\n");
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(CREDS.token);
    expect(all).not.toContain(CREDS.secret);
    expect(all).not.toContain("wrong-secret-for-the-test");
  });
});

describe("parseGate", () => {
  it("reads a bare number from 1 up as a percentage and below 1 as a fraction", async () => {
    const { parseGate } = await import("../src/cli/commands/push.js");
    expect(parseGate("1")).toBe(0.01);
    expect(parseGate("1.5")).toBe(0.015);
    expect(parseGate("30")).toBe(0.3);
    expect(parseGate("30%")).toBe(0.3);
    expect(parseGate("0.3")).toBe(0.3);
    expect(parseGate("1%")).toBe(0.01);
    expect(parseGate("100")).toBe(1);
    expect(parseGate("0")).toBe(0);
    expect(() => parseGate("101")).toThrow(/--gate/);
  });
});
