import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Captured, runCli } from "./helpers/cli.js";
import { PARTNERIZE_PULL_COLUMNS } from "../src/networks/partnerize/feeds.js";
import {
  type PartnerizeSandboxModule,
  partnerizeModule,
  type SandboxCatalogFeed,
} from "../src/sandbox/partnerize.js";
import { type RunningSandbox, startSandbox } from "../src/sandbox/server.js";

const APP_KEY = "pull-app-5e6f7a8b";
const USER_KEY = "pull-user-1c2d3e4f";
const BASIC = Buffer.from(`${APP_KEY}:${USER_KEY}`).toString("base64");
const PUBLISHER = "1l1007802";

let sandbox: RunningSandbox;
let pz: PartnerizeSandboxModule;
let dir: string;
const transcript: string[] = [];

beforeAll(async () => {
  pz = partnerizeModule({ applicationKey: APP_KEY, userApiKey: USER_KEY, brokenFeeds: true });
  sandbox = await startSandbox({ modules: [pz] });
  dir = await mkdtemp(join(tmpdir(), "feedpipe-pz-pull-"));
});

afterAll(async () => {
  await sandbox.close();
  // No secret in anything printed or written.
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
  const all = [...transcript, ...files].join("\n");
  for (const secret of [APP_KEY, USER_KEY, BASIC]) expect(all).not.toContain(secret);
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<Captured> {
  const r = await runCli(args, {
    env: {
      PARTNERIZE_APPLICATION_KEY: APP_KEY,
      PARTNERIZE_USER_API_KEY: USER_KEY,
      PARTNERIZE_API_URL: sandbox.origin,
    },
    cwd: dir,
  });
  transcript.push(r.out, r.err);
  return r;
}

function feed(id: string): SandboxCatalogFeed {
  const f = pz.catalog.find((c) => c.feedId === id);
  if (!f) throw new Error(`no feed ${id}`);
  return f;
}

/** What the export should hold for a seeded feed: its valid products, with the campaign columns. */
function expectedRows(f: SandboxCatalogFeed) {
  return f.products
    .filter((p) => p.valid)
    .map((p) => ({
      sku: p.sku,
      name: p.name,
      url: p.url,
      image: p.image,
      price: p.price.toFixed(2).replace(/\.?0+$/, ""),
      currency: p.currency,
      description: p.description,
      brand: p.brand,
      gtin: p.gtin,
      campaign_id: f.campaignId,
      campaign_title: f.campaignTitle,
      feed_id: f.feedId,
    }));
}

function pick(row: Record<string, string>) {
  const {
    sku,
    name,
    url,
    image,
    price,
    currency,
    description,
    brand,
    gtin,
    campaign_id,
    campaign_title,
    feed_id,
  } = row;
  return {
    sku,
    name,
    url,
    image,
    price,
    currency,
    description,
    brand,
    gtin,
    campaign_id,
    campaign_title,
    feed_id,
  };
}

const GOOD = ["1011l10", "1011l11", "1011l12"];

describe("feedpipe pull partnerize", () => {
  it("pulls three campaign feeds in three formats (gzipped CSV, TSV, Google RSS) into one CSV", async () => {
    const out = join(dir, "all.csv");
    const before = pz.requests.length;
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--feed-id",
      GOOD.join(","),
      "-o",
      out,
    ]);
    expect(r.err).toBe("");
    // One product per feed has a bad GTIN check digit: rejected, so exit 1.
    expect(r.code).toBe(1);
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(PARTNERIZE_PULL_COLUMNS);
    expect(rows.map(pick)).toEqual(GOOD.flatMap((id) => expectedRows(feed(id))));
    expect(rows.filter((row) => row.feed_id === "1011l12").every((row) => row.availability !== "")).toBe(
      true,
    );

    expect(r.out).toContain("pulled 3 of 3 Partnerize feeds for partner 1l1007802");
    expect(r.out).toMatch(/10l176\/1011l10 .*csv\+gzip, preset awin: 8 products, 7 exported, 1 rejected/);
    expect(r.out).toMatch(
      /10l177\/1011l11 .*tsv, preset google-merchant: 8 products, 7 exported, 1 rejected/,
    );
    expect(r.out).toMatch(
      /10l178\/1011l12 .*xml, preset google-merchant: 8 products, 7 exported, 1 rejected/,
    );
    expect(r.out).toContain("GTIN_CHECK_DIGIT ×1, first at line 5 (sku TH-1004)");
    expect(r.out).toContain("exported 21 products; 3 rejected");

    // The gzip copy was preferred, and feed files on the API's host got the Basic header.
    const files = pz.requests.slice(before).filter((q) => q.path.startsWith("/files/"));
    expect(files.map((q) => q.path)).toEqual([
      "/files/partnerize/trailhead-us.csv.gz",
      "/files/partnerize/maison-fr.tsv",
      "/files/partnerize/nordic-uk.xml",
    ]);
    for (const q of files) expect(q.authorization).toBe(`Basic ${BASIC}`);
  });

  it("--rejects keeps every rejected product with its issues, feed URL and line", async () => {
    const out = join(dir, "kept.csv");
    const rejects = join(dir, "rejects.ndjson");
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--feed-id",
      GOOD.join(","),
      "-o",
      out,
      "--rejects",
      rejects,
      "--quiet",
    ]);
    expect(r.code).toBe(1);
    const lines = readFileSync(rejects, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { source: string; sku?: string; issues: { code: string }[] });
    expect(lines).toHaveLength(3); // the summary says 3 rejected
    expect(lines.every((l) => l.issues.some((i) => i.code === "GTIN_CHECK_DIGIT"))).toBe(true);
    expect(lines.map((l) => l.source)).toEqual([
      expect.stringMatching(/trailhead-us\.csv\.gz$/),
      expect.stringMatching(/maison-fr\.tsv$/),
      expect.stringMatching(/nordic-uk\.xml$/),
    ]);
    expect(lines[0]!.sku).toBe("TH-1004");
    const same = await cli(["pull", "partnerize", "--publisher-id", PUBLISHER, "-o", out, "--rejects", out]);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/--rejects and --output must be different files/);
  });

  it("reports broken feeds (truncated gzip, missing file) while the others export", async () => {
    const out = join(dir, "with-broken.ndjson");
    const r = await cli(["pull", "partnerize", "--publisher-id", PUBLISHER, "-o", out, "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("pulled 3 of 5 Partnerize feeds");
    expect(r.out).toMatch(
      /10l179\/1011l13\s+Truncated download \(Broken Brand\): FAILED after reading [\d,]+ records, none exported \[FEED_GZIP_TRUNCATED\]/,
    );
    expect(r.out).toMatch(/10l179\/1011l14\s+Missing file \(Broken Brand\): FAILED \[HTTP_STATUS\] .*404/);
    expect(r.out).toContain("exported 21 products; 3 rejected; 2 feeds failed");
    expect(r.out).not.toContain("records read so far were kept");
    const rows = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(21);
    // Nothing of the truncated feed leaks into the output, though some of its records were read.
    expect(rows.some((row) => String(row.sku).startsWith("BB-"))).toBe(false);
    expect(new Set(rows.map((row) => row.feed_id))).toEqual(new Set(GOOD));
    expect(rows[0]).toMatchObject({
      sku: "TH-1001",
      campaign_id: "10l176",
      campaign_title: "Trailhead Outdoor",
      feed_id: "1011l10",
    });
    expect(typeof rows[0].price).toBe("number");
  });

  it("without --quiet, each failed feed is also named on stderr", async () => {
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--campaign-id",
      "10l179",
      "-o",
      join(dir, "x.csv"),
    ]);
    expect(r.err).toContain("feed 10l179/1011l13 failed: [FEED_GZIP_TRUNCATED]");
    expect(r.err).toContain("feed 10l179/1011l14 failed: [HTTP_STATUS]");
    // Every selected feed failed: exit 2 and no output file.
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, "x.csv"))).toBe(false);
    expect(r.out).toContain("pulled 0 of 2 Partnerize feeds for partner 1l1007802 → nothing written");
  });

  it("writes one file per feed into a directory (-o DIR/)", async () => {
    const outDir = join(dir, "per-feed/");
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "-o",
      outDir,
      "--to",
      "ndjson",
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect(readdirSync(outDir).sort()).toEqual([
      "10l176-1011l10.ndjson",
      "10l177-1011l11.ndjson",
      "10l178-1011l12.ndjson",
    ]);
    for (const id of GOOD) {
      const f = feed(id);
      const rows = readFileSync(join(outDir, `${f.campaignId}-${id}.ndjson`), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(rows.map((row) => row.sku)).toEqual(f.products.filter((p) => p.valid).map((p) => p.sku));
      expect(rows.every((row) => row.feed_id === id && row.campaign_id === f.campaignId)).toBe(true);
    }
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({
      publisherId: PUBLISHER,
      exported: 21,
      rejected: 3,
      failedFeeds: 2,
      format: "ndjson",
    });
    expect(summary.outputs).toHaveLength(3);
    const broken = summary.feeds.find((f: { feedId: string }) => f.feedId === "1011l13");
    expect(broken).toMatchObject({
      status: "failed",
      exported: 0,
      downloaded: "location_compressed",
      error: { code: "FEED_GZIP_TRUNCATED" },
    });
    expect(broken.records).toBeGreaterThan(0);
  });

  it("exports Google RSS XML and JSON as well", async () => {
    const xml = join(dir, "one.xml");
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--campaign-id",
      "10l177",
      "-o",
      xml,
    ]);
    expect(r.code).toBe(1);
    const text = readFileSync(xml, "utf8");
    expect(text).toContain("<g:id>ML-1001</g:id>");
    expect(text).toContain("<g:campaign_id>10l177</g:campaign_id>");
    expect(text).toContain("<g:feed_id>1011l11</g:feed_id>");

    const json = join(dir, "one.json");
    const j = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--feed-id",
      "1011l12",
      "-o",
      json,
    ]);
    expect(j.code).toBe(1);
    const rows = JSON.parse(readFileSync(json, "utf8"));
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({
      campaign_id: "10l178",
      campaign_title: "Nordic Kitchen",
      feed_id: "1011l12",
      currency: "GBP",
    });
  });

  it("products on stdout (-o -), summary on stderr", async () => {
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--feed-id",
      "1011l11",
      "-o",
      "-",
      "--to",
      "csv",
    ]);
    expect(r.code).toBe(1);
    const rows = parse(r.out, { columns: true }) as Record<string, string>[];
    expect(rows.map(pick)).toEqual(expectedRows(feed("1011l11")));
    expect(r.err).toContain("pulled 1 of 1 Partnerize feed for partner 1l1007802 → stdout (csv)");
  });

  it("an unknown --feed-id fails before any download, naming what is available", async () => {
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "--feed-id",
      "nope",
      "-o",
      join(dir, "n.csv"),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[USAGE]: No feed nope is available to partner 1l1007802");
    expect(r.err).toContain("10l176/1011l10");
    expect(existsSync(join(dir, "n.csv"))).toBe(false);
  });

  it("an unknown preset fails before any request (exit 2)", async () => {
    const before = pz.requests.length;
    const r = await cli([
      "pull",
      "partnerize",
      "--publisher-id",
      PUBLISHER,
      "-o",
      join(dir, "q.csv"),
      "--preset",
      "nosuch",
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[PRESET_UNKNOWN]");
    expect(pz.requests.length).toBe(before);
  });

  it("another partner's id is an auth failure (exit 2)", async () => {
    const r = await cli(["pull", "partnerize", "--publisher-id", "1l42", "-o", join(dir, "p.csv")]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[NET_AUTH_FAILED]");
    expect(r.err).toContain("Permission Denied");
  });
});
