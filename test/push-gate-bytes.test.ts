/**
 * The publish gate and the send see the same bytes. A URL whose content changes between requests
 * (a full catalog the first time, a shrunken one after) cannot pass the gate with one content and
 * be sent with the other: the push job downloads it once (spooled to a temporary file), counts and
 * sends from that copy, and removes it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { type BrandSandbox, CREDS, startBrandSandbox } from "./fixtures/push/helpers.js";

const CATALOG = resolve("test/fixtures/push/catalog.csv");
const FULL = readFileSync(CATALOG, "utf8");
// The header and the first two products only: a drop far over the gate's 30%.
const SHRUNK = FULL.split("\n").slice(0, 3).join("\n") + "\n";

let sb: BrandSandbox;
let cwd: string;
let feed: Server;
let origin = "";
let requests = 0;

beforeEach(async () => {
  sb = await startBrandSandbox();
  cwd = mkdtempSync(join(tmpdir(), "feedpipe-gate-bytes-"));
  requests = 0;
  feed = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "text/csv" });
    res.end(requests === 1 ? FULL : SHRUNK);
  });
  await new Promise<void>((r) => feed.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
});
afterEach(async () => {
  feed.closeAllConnections();
  await new Promise((r) => feed.close(r));
  await sb.server.close();
  rmSync(cwd, { recursive: true, force: true });
});

const env = () => ({
  PARTNERBOOST_BRAND_API_URL: sb.url,
  PARTNERBOOST_BRAND_ID: CREDS.brandId,
  PARTNERBOOST_TOKEN: CREDS.token,
  PARTNERBOOST_SECRET: CREDS.secret,
});
const spools = () => readdirSync(tmpdir()).filter((n) => n.startsWith("feedpipe-spool-")).length;

describe("publish gate over a URL", () => {
  it("counts and sends one download: a source that changes cannot pass with one content and send another", async () => {
    // A baseline: 12 valid products.
    const base = await runCli(["push", CATALOG, "--json"], { env: env(), cwd });
    expect(base.code).toBe(0);
    expect(JSON.parse(base.out)).toMatchObject({ valid: 12, status: "ok" });

    const before = spools();
    const r = await runCli(["push", `${origin}/feed.csv`, "--full", "--json"], { env: env(), cwd });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    // Gate and send saw the same 12 products, from the one download.
    expect(json.gate).toMatchObject({ currentValid: 12, refused: false });
    expect(json).toMatchObject({ valid: 12, sent: 12 });
    expect(requests).toBe(1);
    expect(spools()).toBe(before); // the spooled copy is removed
  });

  it("the shrunken content is refused whole, never sent after a passing count", async () => {
    const base = await runCli(["push", CATALOG, "--json"], { env: env(), cwd });
    expect(base.code).toBe(0);
    requests = 1; // the server now serves the shrunken catalog
    const accepted = sb.brand.store.accepted;
    const r = await runCli(["push", `${origin}/feed.csv`, "--full", "--json"], { env: env(), cwd });
    expect(r.code).toBe(2);
    expect(r.err).toContain("PUBLISH_GATE");
    expect(sb.brand.store.accepted).toBe(accepted);
    expect(requests).toBe(2);
  });
});
