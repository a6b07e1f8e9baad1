import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Captured, runCli } from "./helpers/cli.js";
import { type PartnerizeSandboxModule, partnerizeModule } from "../src/sandbox/partnerize.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const APP_KEY = "pz-app-4c1d2e3f";
const USER_KEY = "pz-user-9a8b7c6d";
const BASIC = Buffer.from(`${APP_KEY}:${USER_KEY}`).toString("base64");
const FIXTURES = join(import.meta.dirname, "fixtures/partnerize");

let sandbox: RunningSandbox;
let pz: PartnerizeSandboxModule;
let cwd: string;
const transcript: string[] = [];

/** A brand's own web server: serves test fixtures under /brand/ (no auth). */
const brandHost: SandboxModule = {
  name: "brand-host",
  matches: (req) => req.url.pathname.startsWith("/brand/"),
  faultExempt: () => true,
  handle(req, reply) {
    const name = req.url.pathname.slice("/brand/".length);
    try {
      reply.text(readFileSync(join(FIXTURES, name)), "text/csv; charset=utf-8");
    } catch {
      reply.status(404).text("not found");
    }
  },
};

beforeAll(async () => {
  pz = partnerizeModule({ applicationKey: APP_KEY, userApiKey: USER_KEY, retryAfterSeconds: 0.05 });
  sandbox = await startSandbox({ modules: [pz, brandHost] });
  cwd = await mkdtemp(join(tmpdir(), "feedpipe-pz-register-"));
});

afterAll(async () => {
  await sandbox.close();
  await rm(cwd, { recursive: true, force: true });
  // No secret in anything any command printed.
  const all = transcript.join("\n");
  for (const secret of [APP_KEY, USER_KEY, BASIC]) expect(all).not.toContain(secret);
});

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Captured> {
  const r = await runCli(args, {
    env: {
      PARTNERIZE_APPLICATION_KEY: APP_KEY,
      PARTNERIZE_USER_API_KEY: USER_KEY,
      PARTNERIZE_API_URL: sandbox.origin,
      ...env,
    },
    cwd,
  });
  transcript.push(r.out, r.err);
  return r;
}

const LOCATION = "https://shop.example/feeds/catalog.xml";

describe("feedpipe register partnerize", () => {
  it("creates a feed, then updates it (same location), then deactivates it", async () => {
    const created = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l176",
      "--location",
      LOCATION,
      "--name",
      "Shop catalog",
      "--fetch-frequency",
      "7200",
    ]);
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const id = /created Partnerize feed (\S+) on campaign 10l176/.exec(created.out)?.[1];
    expect(id).toBeDefined();
    expect(created.out).toContain("fetch every  2 h");
    expect(pz.campaignFeeds("10l176").find((f) => f.feedId === id)).toEqual({
      feedId: id,
      location: LOCATION,
      name: "Shop catalog",
      active: true,
      fetchFrequency: 7200,
    });

    const updated = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l176",
      "--location",
      LOCATION,
      "--name",
      "Renamed",
    ]);
    expect(updated.code).toBe(0);
    expect(updated.out).toContain(`updated Partnerize feed ${id} on campaign 10l176`);
    const same = pz.campaignFeeds("10l176").filter((f) => f.location === LOCATION);
    expect(same).toEqual([
      { feedId: id, location: LOCATION, name: "Renamed", active: true, fetchFrequency: 7200 },
    ]);
    const put = pz.requests.at(-1)!;
    expect(put.method).toBe("PUT");
    expect(JSON.parse(put.body)).toEqual({ feeds: [{ feed_id: id, name: "Renamed", active: "y" }] });

    const deactivated = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l176",
      "--location",
      LOCATION,
      "--inactive",
      "--json",
    ]);
    expect(deactivated.code).toBe(0);
    const json = JSON.parse(deactivated.out);
    expect(json).toMatchObject({
      action: "deactivated",
      campaignId: "10l176",
      feed: { feedId: id, active: false, name: "Renamed", location: LOCATION, fetchFrequency: 7200 },
      check: null,
    });
    expect(pz.campaignFeeds("10l176").find((f) => f.feedId === id)?.active).toBe(false);

    // --inactive for a location the campaign has no feed at: refused, nothing created (a typo would
    // use that location up for good: Partnerize has no delete and locations never change).
    const before = pz.campaignFeeds("10l176").length;
    const typo = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l176",
      "--location",
      "https://shop.example/fede.xml",
      "--inactive",
    ]);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain(
      "Campaign 10l176 has no feed at https://shop.example/fede.xml: nothing to deactivate",
    );
    expect(typo.err).toContain("feedpipe feeds partnerize --campaign-id 10l176");
    expect(pz.campaignFeeds("10l176")).toHaveLength(before);
  });

  it("sends HTTP Basic with base64(application key:user API key) on every call", async () => {
    const before = pz.requests.length;
    const r = await cli(["feeds", "partnerize", "--campaign-id", "10l176"]);
    expect(r.code).toBe(0);
    const seen = pz.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const req of seen) expect(req.authorization).toBe(`Basic ${BASIC}`);
  });

  it("lists a campaign's feeds as a table and as JSON", async () => {
    const table = await cli(["feeds", "partnerize", "--campaign-id", "10l176"]);
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^FEED ID\s+NAME\s+ACTIVE\s+FETCH EVERY\s+SIZE\s+LAST PROCESSED\s+LOCATION$/);
    expect(
      lines.some((l) => l.startsWith("1011l10") && l.includes("Trailhead US catalog") && l.includes("1 h")),
    ).toBe(true);
    expect(lines.some((l) => l.includes("Renamed") && l.includes(LOCATION) && /\sn\s/.test(l))).toBe(true);
    // Columns line up: every row's LOCATION starts where the header's does.
    const col = lines[0]!.indexOf("LOCATION");
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^https?:\/\//);

    const json = JSON.parse((await cli(["feeds", "partnerize", "--campaign-id", "10l176", "--json"])).out);
    expect(json.campaignId).toBe("10l176");
    expect(json.feeds[0]).toMatchObject({
      feedId: "1011l10",
      name: "Trailhead US catalog",
      active: true,
      fetchFrequency: 3600,
      lastProcessed: "2024-11-21T07:30:00.000Z",
    });
    expect(json.feeds[0].location).toBe(`${sandbox.origin}/files/partnerize/trailhead-us.csv`);
  });

  it("lists the feeds available to a partner with campaign, name, size and last processed time", async () => {
    const r = await cli(["feeds", "partnerize", "--publisher-id", "1l1007802", "--active", "y"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^CAMPAIGN\s+CAMPAIGN TITLE\s+FEED ID\s+NAME\s+SIZE\s+GZIP\s+LAST PROCESSED\s+FILE$/,
    );
    const trail = lines.find((l) => l.includes("1011l10"))!;
    expect(trail).toMatch(/^10l176\s+Trailhead Outdoor\s+1011l10\s+Trailhead US catalog\s+\d/);
    expect(trail).toContain("2024-11-21 07:30 UTC");
    expect(trail).toContain("trailhead-us.csv");
    expect(r.out).toContain("Nordic Kitchen");
    // The deactivated feed is filtered out by --active y.
    expect(r.out).not.toContain("Renamed");

    const json = JSON.parse(
      (await cli(["feeds", "partnerize", "--publisher-id", "1l1007802", "--campaign-id", "10l177", "--json"]))
        .out,
    );
    expect(json.feeds.map((f: { feedId: string }) => f.feedId)).toContain("1011l11");
    expect(json.feeds[0]).toMatchObject({
      campaignId: "10l177",
      campaignTitle: "Maison Lumière",
      name: "Maison Lumière FR",
      filename: "maison-fr.tsv",
      locationCompressed: null,
    });
    expect(json.feeds[0].filesize).toBeGreaterThan(0);
  });

  it("--check registers a feed that reads and validates", async () => {
    const location = `${sandbox.origin}/files/partnerize/maison-fr.tsv`;
    const r = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l178",
      "--location",
      location,
      "--check",
      "--json",
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.action).toBe("created");
    expect(json.check).toMatchObject({
      ok: true,
      records: 8,
      valid: 7,
      invalid: 1,
      format: "csv",
      preset: "google-merchant",
    });
    expect(json.check.topErrors).toEqual([{ code: "GTIN_CHECK_DIGIT", count: 1 }]);
  });

  it("--check refuses a mostly invalid feed (exit 1) and registers nothing", async () => {
    const location = `${sandbox.origin}/brand/mostly-invalid/feed.csv`;
    const before = pz.campaignFeeds("10l178").length;
    const r = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l178",
      "--location",
      location,
      "--check",
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain("check: 5 products");
    expect(r.err).toContain("1 valid, 4 invalid (80%)");
    expect(r.err).toContain("not registered: 80% of the products are invalid (more than 50%)");
    expect(pz.campaignFeeds("10l178")).toHaveLength(before);

    const lenient = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l178",
      "--location",
      location,
      "--check",
      "--max-invalid",
      "90%",
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.out).toContain("created Partnerize feed");

    // A count works too (as for validate --max-invalid): 4 invalid > 3 allowed.
    const counted = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l177",
      "--location",
      location,
      "--check",
      "--max-invalid",
      "3",
    ]);
    expect(counted.code).toBe(1);
    expect(counted.err).toContain("not registered: 4 products are invalid (more than 3 allowed)");
  });

  it("--check with an unknown preset fails before any request (exit 2)", async () => {
    const before = pz.requests.length;
    const location = `${sandbox.origin}/files/partnerize/maison-fr.tsv`;
    const r = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l178",
      "--location",
      location,
      "--check",
      "--preset",
      "nosuch",
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[PRESET_UNKNOWN]");
    expect(pz.requests.length).toBe(before);
  });

  it("--check refuses an unreadable feed (exit 1)", async () => {
    const location = `${sandbox.origin}/brand/does-not-exist.csv`;
    const r = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l178",
      "--location",
      location,
      "--check",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("could not read the feed");
    expect(r.err).toContain("404");
    expect(pz.campaignFeeds("10l178").some((f) => f.location === location)).toBe(false);
  });

  it("bad keys: exit 2 with NET_AUTH_FAILED and the server's message, never the keys", async () => {
    const r = await cli(["feeds", "partnerize", "--campaign-id", "10l176"], {
      PARTNERIZE_APPLICATION_KEY: "bad-app-key-0001",
      PARTNERIZE_USER_API_KEY: "bad-user-key-0002",
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("[NET_AUTH_FAILED]");
    expect(r.err).toContain("combination is invalid");
    expect(r.err).toContain("PARTNERIZE_APPLICATION_KEY");
    for (const s of [
      "bad-app-key-0001",
      "bad-user-key-0002",
      Buffer.from("bad-app-key-0001:bad-user-key-0002").toString("base64"),
    ]) {
      expect(r.err + r.out).not.toContain(s);
    }
  });

  it("missing keys: CONFIG_MISSING names the variables before any request", async () => {
    const before = pz.requests.length;
    const r = await cli(["register", "partnerize", "--campaign-id", "10l176", "--location", LOCATION], {
      PARTNERIZE_APPLICATION_KEY: undefined,
      PARTNERIZE_USER_API_KEY: "",
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("[CONFIG_MISSING]");
    expect(r.err).toContain("PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY");
    expect(pz.requests.length).toBe(before);
  });

  it("a bad location or campaign fails clearly", async () => {
    const bad = await cli([
      "register",
      "partnerize",
      "--campaign-id",
      "10l176",
      "--location",
      "ftp://x/feed.csv",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("[INVALID_OPTION]");
    expect(bad.err).toContain("--location");

    const unknown = await cli(["register", "partnerize", "--campaign-id", "nope", "--location", LOCATION]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("[NET_API_ERROR]");
    expect(unknown.err).toContain("Campaign nope not found");
  });

  it("a rate limit is waited out (X-RateLimit-Retry-After) with a notice on stderr", async () => {
    pz.rateLimitNext(1);
    const r = await cli(["feeds", "partnerize", "--campaign-id", "10l177"]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("is rate limiting (HTTP 429); waiting 50 ms before the next request");
    expect(r.out).toContain("1011l11");
  });

  it("feeds partnerize needs a campaign or a partner", async () => {
    const r = await cli(["feeds", "partnerize"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--campaign-id ID (brand) or --publisher-id ID (partner)");
  });
});
