/**
 * `feedpipe pull partnerboost` through the pure `run(argv, io)` against the sandbox.
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { beforeHandle } from "./helpers/sandbox-hooks.js";
import { collect } from "../src/core/batch.js";
import { openFeed } from "../src/formats/index.js";
import { PUBLISHER_COLUMNS, publisherRow } from "../src/networks/partnerboost/publisher.js";
import { toPublisherProduct } from "../src/sandbox/catalog.js";
import {
  type PartnerboostPublisherOptions,
  partnerboostPublisherModule,
} from "../src/sandbox/partnerboost-publisher.js";
import { type FaultOptions, type RunningSandbox, startSandbox } from "../src/sandbox/server.js";

const TOKEN = "cli-pub-token-77aa55cc";
const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sandbox(options: Partial<PartnerboostPublisherOptions> = {}, faults?: FaultOptions) {
  const mod = partnerboostPublisherModule({ token: TOKEN, products: 400, seed: 21, ...options });
  const sb = await startSandbox({ modules: [mod], faults });
  running.push(sb);
  const env = { PARTNERBOOST_PUBLISHER_TOKEN: TOKEN, PARTNERBOOST_PUBLISHER_API_URL: `${sb.origin}/api.php` };
  return { sb, mod, env };
}

const cli = (argv: string[], env: Record<string, string>, cwd: string, signal?: AbortSignal) =>
  runCli(["pull", "partnerboost", ...argv], { env, cwd, signal });

const tmp = () => mkdtemp(join(tmpdir(), "fp-cli-pull-pb-"));

async function readRows(path: string): Promise<Record<string, string>[]> {
  const feed = await openFeed(path);
  return (await collect(feed.records)).map((r) => r.fields as Record<string, string>);
}

describe("feedpipe pull partnerboost", () => {
  it("exports a brand's products as CSV in the documented column order, with a summary", async () => {
    const { mod, env } = await sandbox();
    const dir = await tmp();
    const r = await cli(["--brand-id", "66303", "-o", "products.csv", "--limit", "20"], env, dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const expected = mod.catalog.filter((p) => p.brand_id === "66303");
    const text = await readFile(join(dir, "products.csv"), "utf8");
    expect(text.split("\n")[0]).toBe(PUBLISHER_COLUMNS.join(","));
    const back = await readRows(join(dir, "products.csv"));
    expect(back.map((p) => p.sku)).toEqual(expected.map((p) => p.sku));
    expect(back[1]).toEqual(publisherRow(toPublisherProduct(expected[1]!)));
    expect(r.out).toContain("feedpipe pull partnerboost → products.csv (csv)");
    expect(r.out).toMatch(new RegExp(`products\\s+${expected.length} written`));
    expect(r.out).toMatch(/duplicates\s+0 dropped/);
    expect(r.out).toMatch(/match\s+yes/);
    expect(r.out).toContain(
      `paged list: ${Math.ceil(expected.length / 20)} pages of up to 20, concurrency 4`,
    );
  });

  it("a value that echoes the run's token is written masked, with a notice (never the token)", async () => {
    const { mod, env } = await sandbox();
    const first = mod.catalog[0]!;
    first.tracking_url = `https://t.example/c?token=${TOKEN}&u=1`;
    const dir = await tmp();
    const r = await cli(["-o", "products.csv", "--limit", "100"], env, dir);
    expect(r.code).toBe(0);
    const text = await readFile(join(dir, "products.csv"), "utf8");
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("https://t.example/c?token=***&u=1");
    expect(r.err).toContain(
      "1 value from the server held a credential of this run; written with it masked (***)",
    );
    expect(r.err + r.out).not.toContain(TOKEN);
  });

  it("--json prints a machine-readable summary; the format follows the extension or --to", async () => {
    const { mod, env } = await sandbox({ shiftAfterPage: 1, shiftCount: 5 });
    const dir = await tmp();
    const r = await cli(["-o", "all.ndjson", "--limit", "50", "--json"], env, dir);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({
      command: "pull partnerboost",
      output: "all.ndjson",
      format: "ndjson",
      mode: "list",
      products: 400,
      duplicates: 5,
      total: 400,
      totalLast: 405,
      match: true,
    });
    const lines = (await readFile(join(dir, "all.ndjson"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(400);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual([...PUBLISHER_COLUMNS]);
    expect(mod.catalog).toHaveLength(405);

    const x = await cli(["--mcid", "kohiworks", "-o", "feed.xml", "--quiet"], env, dir);
    expect(x.code).toBe(0);
    expect(x.out).toBe("");
    const xml = await readFile(join(dir, "feed.xml"), "utf8");
    expect(xml).toContain('xmlns:g="http://base.google.com/ns/1.0"');
    expect(xml).toContain("<g:tracking_url>");
    const t = await cli(["--mcid", "kohiworks", "-o", "feed.data", "--to", "json", "-q"], env, dir);
    expect(t.code).toBe(0);
    expect(JSON.parse(await readFile(join(dir, "feed.data"), "utf8")).length).toBe(
      mod.catalog.filter((p) => p.mcid === "kohiworks").length,
    );
  });

  it("-o - writes the products to stdout and the summary to stderr", async () => {
    const { mod, env } = await sandbox({ products: 60 });
    const dir = await tmp();
    const r = await cli(["-o", "-", "--concurrency", "2", "--limit", "25"], env, dir);
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toBe(PUBLISHER_COLUMNS.join(","));
    expect(r.out).toContain(mod.catalog[59]!.sku);
    expect(r.err).toContain("→ stdout (csv)");
    expect(r.err).toMatch(/match\s+yes/);
    expect(await readdir(dir)).toEqual([]);
    const j = await cli(["-o", "-", "--json"], env, dir);
    expect(j.code).toBe(2);
    expect(j.err).toContain("[USAGE]");
  });

  it("a bad filter value fails before any request, naming the option and the accepted values", async () => {
    const { sb, env } = await sandbox();
    const dir = await tmp();
    const r = await cli(["--price-range", "10-20", "-o", "out.csv"], env, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      'feedpipe: error [INVALID_OPTION]: Invalid option --price-range: expected one of 0-75, 75-150, 150-300, 300-500, 500-1000, 1000+, got "10-20"',
    );
    const d = await cli(["--min-discount", "33", "-o", "out.csv"], env, dir);
    expect(d.err).toContain("Invalid option --min-discount: expected one of 75, 50, 25, 10");
    const l = await cli(["--limit", "500", "-o", "out.csv"], env, dir);
    expect(l.code).toBe(2);
    expect(l.err).toContain("Invalid option --limit");
    expect(sb.stats.requests).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it("a wrong token is a clear auth error (exit 2), never printed, and no file is written", async () => {
    const { env } = await sandbox();
    const dir = await tmp();
    const wrong = "wrong-secret-token-31337";
    const r = await cli(["-o", "out.csv"], { ...env, PARTNERBOOST_PUBLISHER_TOKEN: wrong }, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[NET_AUTH_FAILED]");
    expect(r.err).toContain("PARTNERBOOST_PUBLISHER_TOKEN");
    expect(r.err + r.out).not.toContain(wrong);
    expect(await readdir(dir)).toEqual([]);
    const missing = await cli(
      ["-o", "out.csv"],
      { PARTNERBOOST_PUBLISHER_API_URL: env.PARTNERBOOST_PUBLISHER_API_URL },
      dir,
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("[CONFIG_MISSING]");
  });

  it("a pull that breaks mid-way exits 2 and leaves no output file", async () => {
    const { env } = await sandbox({ products: 1000, failListAfter: 3 });
    const dir = await tmp();
    const r = await cli(["-o", "products.csv", "--limit", "50", "--concurrency", "1", "-q"], env, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("[HTTP_STATUS]");
    expect(await readdir(dir)).toEqual([]);
  });

  it("an interrupt (SIGINT → io.signal) mid-pull exits 2 and leaves no output file", async () => {
    const { mod, env } = await sandbox({ products: 2000 });
    const dir = await tmp();
    const controller = new AbortController();
    // SIGINT arrives with the first request after three list pages (at a request, not a time).
    beforeHandle(mod, () => {
      if (mod.stats.list >= 3) controller.abort();
    });
    const r = await cli(
      ["-o", "products.csv", "--limit", "20", "--concurrency", "1"],
      env,
      dir,
      controller.signal,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain("[ABORTED]");
    expect(mod.stats.list).toBeLessThan(100);
    expect(await readdir(dir)).toEqual([]);
  });

  it("--bulk downloads the brand's file; it needs --brand-id and takes no other filters", async () => {
    const { mod, env } = await sandbox({ downloadPendingPolls: 2 });
    const dir = await tmp();
    const r = await cli(
      ["--bulk", "--brand-id", "81005", "--poll-interval", "5", "-o", "bulk.csv", "--json"],
      env,
      dir,
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    const expected = mod.catalog.filter((p) => p.brand_id === "81005");
    expect(summary).toMatchObject({ mode: "bulk", products: expected.length, total: null, match: null });
    expect(summary.download.polls).toBe(3);
    expect(r.err).toMatch(/requested PartnerBoost download \d+ for brand 81005/);
    expect((await readRows(join(dir, "bulk.csv"))).map((p) => p.sku)).toEqual(expected.map((p) => p.sku));

    const noBrand = await cli(["--bulk", "-o", "x.csv"], env, dir);
    expect(noBrand.code).toBe(2);
    expect(noBrand.err).toContain("--bulk downloads one brand's file: pass --brand-id");
    const extra = await cli(["--bulk", "--brand-id", "81005", "--keywords", "lamp", "-o", "x.csv"], env, dir);
    expect(extra.code).toBe(2);
    expect(extra.err).toContain("--keywords only apply to paged pulls");
    const failing = await sandbox({ downloadFails: true, downloadPendingPolls: 0 });
    const f = await cli(
      ["--bulk", "--brand-id", "81005", "--poll-interval", "5", "-o", "f.csv"],
      failing.env,
      dir,
    );
    expect(f.code).toBe(2);
    expect(f.err).toContain("[NET_DOWNLOAD_FAILED]");
    expect((await readdir(dir)).sort()).toEqual(["bulk.csv"]);
  });

  it("--validate reports problems by rule with examples by sku, exports everything, exits 0", async () => {
    const { env } = await sandbox({ products: 800, flawRate: 0.1 });
    const dir = await tmp();
    const r = await cli(["-o", "all.csv", "--validate"], env, dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Feed quality");
    expect(r.out).toContain("GTIN_CHECK_DIGIT");
    expect(r.out).toMatch(/sku \S+: gtin/);
    expect((await readRows(join(dir, "all.csv"))).length).toBe(800);
    const j = await cli(["-o", "all.csv", "--validate", "--json"], env, dir);
    const summary = JSON.parse(j.out);
    expect(summary.validation.records).toBe(800);
    expect(summary.validation.invalid).toBeGreaterThan(0);
    expect(summary.validation.valid + summary.validation.invalid).toBe(800);
    expect(summary.validation.rules.map((x: { code: string }) => x.code)).toContain("GTIN_CHECK_DIGIT");
  });

  it("documents the columns and exit codes in --help", async () => {
    const r = await cli(["--help"], {}, await tmp());
    expect(r.code).toBe(0);
    expect(r.out).toContain(PUBLISHER_COLUMNS.join(", "));
    expect(r.out).toContain("also when --validate reports invalid products");
    expect(r.out).toContain("PARTNERBOOST_PUBLISHER_API_URL");
  });
});
