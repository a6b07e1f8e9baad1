/**
 * `feedpipe pull partnerboost-amazon` and `feedpipe amazon …` through the pure `run(argv, io)`
 * against the sandbox: exports, --links with rejects, every subcommand's table / -o / --json, exit
 * codes, the base-URL override (environment and config file), and no token in any output.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { collect } from "../src/core/batch.js";
import { openFeed } from "../src/formats/index.js";
import { amazonRow, normalizeAmazonProduct } from "../src/networks/partnerboost/amazon.js";
import {
  type PartnerboostAmazonOptions,
  partnerboostAmazonModule,
} from "../src/sandbox/partnerboost-amazon.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const TOKEN = "cli-amz-token-6e2a90f4d1";
const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sandbox(options: Partial<PartnerboostAmazonOptions> = {}) {
  const mod = partnerboostAmazonModule({ token: TOKEN, products: 120, seed: 8, ...options });
  const sb = await startSandbox({ modules: [mod] });
  running.push(sb);
  const env = {
    PARTNERBOOST_PUBLISHER_TOKEN: TOKEN,
    PARTNERBOOST_AMAZON_API_URL: `${sb.origin}/api/datafeed`,
  };
  return { sb, mod, env };
}

const tmp = () => mkdtemp(join(tmpdir(), "fp-cli-amz-"));

async function readRows(path: string): Promise<Record<string, string>[]> {
  const feed = await openFeed(path);
  return (await collect(feed.records)).map((r) => r.fields as Record<string, string>);
}

/** Every output of a run plus every file it left (but the config file holding it), checked for the token. */
async function expectNoToken(r: { out: string; err: string }, dir: string): Promise<void> {
  expect(r.out).not.toContain(TOKEN);
  expect(r.err).not.toContain(TOKEN);
  for (const f of await readdir(dir)) {
    if (f !== "feedpipe.config.json") expect(await readFile(join(dir, f), "utf8")).not.toContain(TOKEN);
  }
}

/** A row as the CSV reader gives it back: every value as text, empty for undefined. */
function asText(row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === undefined ? "" : String(v)]));
}

describe("feedpipe pull partnerboost-amazon", () => {
  it("exports every product with every field flattened, in page order", async () => {
    const { mod, env } = await sandbox();
    const dir = await tmp();
    const r = await runCli(["pull", "partnerboost-amazon", "-o", "amazon.csv", "--page-size", "25"], {
      env,
      cwd: dir,
    });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const back = await readRows(join(dir, "amazon.csv"));
    expect(back.map((p) => p.product_id)).toEqual(mod.catalog.map((p) => p.product_id));
    for (const i of [0, 1, 7, 50]) {
      expect(back[i]).toEqual(asText(amazonRow(normalizeAmazonProduct(mod.catalog[i]!.wire))));
    }
    expect(Object.keys(back[0]!)).not.toContain("link");
    expect(r.out).toMatch(/products\s+120 written/);
    await expectNoToken(r, dir);
  });

  it("--links joins link and link_id; error_list products keep an empty link, are listed escaped, and go to --rejects (exit 1)", async () => {
    const { mod, env } = await sandbox({
      errorMessage: "No relationship \u001b[2J\u001b[31mreally\r\nfake: ok",
    });
    const dir = await tmp();
    const r = await runCli(
      [
        "pull",
        "partnerboost-amazon",
        "-o",
        "amazon.ndjson",
        "--links",
        "--uid",
        "u1",
        "--link-batch",
        "9",
        "--rejects",
        "rejects.ndjson",
      ],
      { env, cwd: dir },
    );
    expect(r.code).toBe(1);
    const rows = (await readFile(join(dir, "amazon.ndjson"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(120);
    const unlinkable = mod.catalog.filter((p) => !p.linkable);
    expect(unlinkable.length).toBeGreaterThan(5);
    for (const [i, row] of rows.entries()) {
      const p = mod.catalog[i]!;
      expect(row.product_id).toBe(p.product_id);
      if (p.linkable) expect(row.link_id).toBe(mod.linkIdFor(p.product_id, "u1"));
      else expect([row.link, row.link_id]).toEqual(["", ""]);
    }
    expect(mod.stats.linkBatches.every((n) => n <= 9)).toBe(true);
    const rejects = (await readFile(join(dir, "rejects.ndjson"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.map((x) => x.sku)).toEqual(unlinkable.map((p) => p.product_id));
    const escaped = "No relationship \\u001b[2J\\u001b[31mreally\\u000d\\u000afake: ok";
    expect(rejects[0].issues[0]).toMatchObject({
      code: "AMAZON_LINK_FAILED",
      field: "link",
      message: escaped,
    });
    expect(rejects[0].fields.asin).toBe(unlinkable[0]!.asin);
    expect(r.out).toContain(`${unlinkable.length} products without a link`);
    expect(r.out).toContain(`${unlinkable[0]!.product_id} ${unlinkable[0]!.asin}: ${escaped}`);
    expect(r.out).not.toContain("\u001b");
    await expectNoToken(r, dir);
  });

  it("--json summary; usage errors before any request", async () => {
    const { mod, env } = await sandbox({ products: 30 });
    const dir = await tmp();
    const r = await runCli(["pull", "partnerboost-amazon", "-o", "a.csv", "--links", "--json"], {
      env,
      cwd: dir,
    });
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({
      command: "pull partnerboost-amazon",
      products: 30,
      duplicates: 0,
      repeatedPage: null,
    });
    expect(s.links.linked + s.links.failed).toBe(30);
    expect(s.linkFailures).toHaveLength(s.links.failed);
    const calls = { ...mod.stats.calls };
    for (const argv of [
      ["--uid", "x"],
      ["--country", "USA"],
      ["--links", "--uid", "bad uid"],
      ["--links", "--rejects", "a.csv"],
      ["--json", "-o", "-"],
    ]) {
      const bad = await runCli(["pull", "partnerboost-amazon", "-o", "a.csv", ...argv], { env, cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/feedpipe: error \[(USAGE|INVALID_OPTION)\]/);
    }
    expect(mod.stats.calls).toEqual(calls);
  });

  it("the base URL comes from PARTNERBOOST_AMAZON_API_URL, else the config file; a missing token names the variable", async () => {
    const { sb, mod } = await sandbox({ products: 10 });
    const dir = await tmp();
    await writeFile(
      join(dir, "feedpipe.config.json"),
      JSON.stringify({ partnerboost: { publisherToken: TOKEN, amazonApiUrl: `${sb.origin}/amazon_api` } }),
    );
    const fromFile = await runCli(["pull", "partnerboost-amazon", "-o", "f.csv", "--json"], {
      env: {},
      cwd: dir,
    });
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.out).products).toBe(10);
    const env = { PARTNERBOOST_AMAZON_API_URL: "http://127.0.0.1:9/nowhere" };
    const envWins = await runCli(["pull", "partnerboost-amazon", "-o", "g.csv", "-q"], { env, cwd: dir });
    expect(envWins.code).toBe(2);
    expect(envWins.err).toContain("127.0.0.1:9/nowhere");
    expect(mod.stats.calls.get_fba_products).toBe(1);
    const none = await runCli(["pull", "partnerboost-amazon", "-o", "h.csv"], { env: {}, cwd: await tmp() });
    expect(none.code).toBe(2);
    expect(none.err).toContain("PARTNERBOOST_PUBLISHER_TOKEN");
    await expectNoToken({ out: fromFile.out + envWins.out, err: fromFile.err + envWins.err }, dir);
  }, 60_000);
});

describe("feedpipe amazon", () => {
  it("brands: every page (hasMore), as a table, --json and -o", async () => {
    const { env } = await sandbox();
    const dir = await tmp();
    const table = await runCli(["amazon", "brands"], { env, cwd: dir });
    expect(table.code).toBe(0);
    expect(table.out.split("\n")[0]).toMatch(/^bid\s+brand_name\s+support_storefront_link$/);
    expect(table.out).toContain("Blåbær Küche DE");
    expect(table.out).not.toContain("95102"); // not joined
    const json = JSON.parse(
      (await runCli(["amazon", "brands", "--json", "--bids", "90863,93018"], { env, cwd: dir })).out,
    );
    expect(json.results.map((b: { bid: string }) => b.bid)).toEqual(["90863", "93018"]);
    const file = await runCli(["amazon", "brands", "-o", "brands.csv"], { env, cwd: dir });
    expect((await readRows(join(dir, "brands.csv"))).map((b) => b.bid)).toEqual([
      "90863",
      "91207",
      "92544",
      "93018",
      "94410",
    ]);
    await expectNoToken(file, dir);
  });

  it("storefront-links and links: results, error_list entries on stderr (escaped), exit 1", async () => {
    const { mod, env } = await sandbox();
    const dir = await tmp();
    const sf = await runCli(
      ["amazon", "storefront-links", "--bids", "90863,92544,77", "--uid", "zxf", "--json"],
      { env, cwd: dir },
    );
    expect(sf.code).toBe(1);
    const s = JSON.parse(sf.out);
    expect(s.results).toHaveLength(1);
    expect(s.results[0]).toMatchObject({ bid: "90863", link_id: mod.linkIdFor("storefront:90863", "zxf") });
    expect(s.results[0].storefront_short_link).toContain("uid=zxf");
    expect(s.errors).toEqual([
      { id: "92544", message: "Brand does not support storefront links." },
      { id: "77", message: "Bid not found or no relationship." },
    ]);
    const linkable = mod.catalog.find((p) => p.linkable && p.country === "DE")!;
    const links = await runCli(
      ["amazon", "links", "--asins", `${linkable.asin},B0CQ2JMS73`, "--country", "de"],
      { env, cwd: dir },
    );
    expect(links.code).toBe(1);
    expect(links.out).toContain(linkable.asin);
    expect(links.out).toContain(mod.linkIdFor(linkable.product_id, ""));
    expect(links.err).toContain("B0CQ2JMS73: Product not found or no relationship");
    const ok = await runCli(["amazon", "links", "--asins", linkable.asin, "--country", "DE", "-o", "l.csv"], {
      env,
      cwd: dir,
    });
    expect(ok.code).toBe(0);
    expect((await readRows(join(dir, "l.csv")))[0]).toMatchObject({
      asin: linkable.asin,
      country_code: "DE",
    });
    const bad = await runCli(["amazon", "links", "--asins", "short"], { env, cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--asins");
    await expectNoToken({ out: sf.out + links.out, err: sf.err + links.err }, dir);
  });

  it("link-status: a file of ids, a pulled table, or stdin; dead links listed, exit 1", async () => {
    const { mod, env } = await sandbox({ products: 45 });
    const dir = await tmp();
    const pull = await runCli(["pull", "partnerboost-amazon", "-o", "pulled.csv", "--links", "-q"], {
      env,
      cwd: dir,
    });
    expect(pull.code).toBe(1);
    const ids = (await readRows(join(dir, "pulled.csv"))).map((r) => r.link_id).filter(Boolean) as string[];
    const all = await runCli(["amazon", "link-status", "pulled.csv"], { env, cwd: dir });
    expect(all.code).toBe(0);
    expect(all.out).toContain(
      `${ids.length} links checked in ${Math.ceil(ids.length / 20)} requests: ${ids.length} active, 0 inactive, 0 unknown`,
    );
    mod.deactivate(ids[3]!);
    await writeFile(
      join(dir, "ids.txt"),
      `# my links\n${ids.slice(0, 6).join("\n")}\n\nnot-a-link-we-made\n`,
    );
    const some = await runCli(["amazon", "link-status", "ids.txt", "--batch", "4", "-o", "status.csv"], {
      env,
      cwd: dir,
    });
    expect(some.code).toBe(1);
    expect(some.out).toContain("7 links checked in 2 requests: 5 active, 1 inactive, 1 unknown");
    const status = await readRows(join(dir, "status.csv"));
    expect(status.map((s) => s.state)).toEqual([
      "active",
      "active",
      "active",
      "inactive",
      "active",
      "active",
      "unknown",
    ]);
    const piped = await runCli(["amazon", "link-status", "-", "--json"], {
      env,
      cwd: dir,
      stdin: `${ids[3]}\n${ids[4]}\n`,
    });
    const j = JSON.parse(piped.out);
    expect(j).toMatchObject({ checked: 2, active: 1, inactive: 1, unknown: 0 });
    expect(j.dead.map((d: { link_id: string }) => d.link_id)).toEqual([ids[3]]);
    // `cut -d, -f1 ids.csv | …` keeps the column's name on the first line: a header, not an id.
    const cut = await runCli(["amazon", "link-status", "-", "--json"], {
      env,
      cwd: dir,
      stdin: `id\n${ids[3]}\n${ids[4]}\n`,
    });
    expect(JSON.parse(cut.out)).toMatchObject({ checked: 2, active: 1, inactive: 1, unknown: 0 });
    const missing = await runCli(["amazon", "link-status", "nope.txt"], { env, cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("[IO_NOT_FOUND]");
    await expectNoToken({ out: all.out + some.out + piped.out, err: all.err + some.err + piped.err }, dir);
  });

  it("a server echoing the token in its errors: the token is in no output", async () => {
    for (const status of [200, 400]) {
      const echo: SandboxModule = {
        name: "echo",
        matches: () => true,
        handle(req, reply) {
          const said = `Invalid input: token ${String(req.params.token)} is not allowed here`;
          if (status === 200) reply.json({ status: { code: 1003, msg: said } });
          else reply.status(status).text(said);
        },
      };
      const sb = await startSandbox({ modules: [echo] });
      running.push(sb);
      const env = { PARTNERBOOST_PUBLISHER_TOKEN: TOKEN, PARTNERBOOST_AMAZON_API_URL: `${sb.origin}/x` };
      const dir = await tmp();
      for (const argv of [
        ["pull", "partnerboost-amazon", "-o", "a.csv", "--links"],
        ["amazon", "links", "--asins", "B0CQT26VCW"],
        ["amazon", "brands", "--json"],
      ]) {
        const r = await runCli([...argv, "--timeout", "2000"], {
          env: { ...env, FEEDPIPE_DEBUG: "1" },
          cwd: dir,
        });
        expect(r.code).toBe(2);
        expect(r.err).toContain("Invalid input: token");
        await expectNoToken(r, dir);
      }
    }
  }, 60_000);

  it("every command has --help with examples", async () => {
    for (const argv of [
      ["pull", "partnerboost-amazon"],
      ["amazon", "brands"],
      ["amazon", "storefront-links"],
      ["amazon", "links"],
      ["amazon", "link-status"],
    ]) {
      const r = await runCli([...argv, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("Examples:");
      expect(r.out).toContain(`$ feedpipe ${argv.join(" ")}`);
    }
  });
});
