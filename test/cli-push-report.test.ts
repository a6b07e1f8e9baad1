import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SyncState } from "../src/sync/state.js";
import { runCli } from "./helpers/cli.js";
import { type BrandSandbox, CREDS, startBrandSandbox } from "./fixtures/push/helpers.js";

const CATALOG = resolve("test/fixtures/push/catalog.csv");

let sb: BrandSandbox;
let cwd: string;
beforeEach(async () => {
  sb = await startBrandSandbox();
  cwd = mkdtempSync(join(tmpdir(), "fp-push-report-"));
});
afterEach(async () => {
  await sb.server.close();
  rmSync(cwd, { recursive: true, force: true });
});

const env = () => ({
  PARTNERBOOST_BRAND_API_URL: sb.url,
  PARTNERBOOST_BRAND_ID: CREDS.brandId,
  PARTNERBOOST_TOKEN: CREDS.token,
  PARTNERBOOST_SECRET: CREDS.secret,
});

/** The catalog with TP-001 gone, TP-002 dearer, TP-003 cheaper, TP-004 renamed and TP-100 new. */
function nextCatalog(): string {
  const lines = readFileSync(CATALOG, "utf8").trim().split("\n");
  const out = [lines[0]!];
  for (const l of lines.slice(1)) {
    if (l.startsWith("TP-001,")) continue;
    if (l.startsWith("TP-002,")) out.push(l.replace(",12.50,", ",15.00,"));
    else if (l.startsWith("TP-003,")) out.push(l.replace(",13.50,", ",9.99,"));
    else if (l.startsWith("TP-004,")) out.push(l.replace("Test Product 4", "Test Product Four"));
    else out.push(l);
  }
  out.push(
    "TP-100,New One,https://shop.example/p/tp-100,https://shop.example/img/tp-100.jpg,5.00,USD,New,Acme,in_stock",
  );
  const path = join(cwd, "next.csv");
  writeFileSync(path, `${out.join("\n")}\n`);
  return path;
}

describe("push --html: the report with the diff since the last confirmed state", () => {
  it("shows +new, −gone and the price changes against the last confirmed push; --json carries them", async () => {
    const first = await runCli(["push", CATALOG, "--html", "first.html"], { env: env(), cwd });
    expect(first.code).toBe(0);
    const firstPage = readFileSync(join(cwd, "first.html"), "utf8");
    expect(firstPage).toContain(`data-key="since:added">12<`);
    expect(firstPage).toContain(`data-key="sent">12<`);

    const next = nextCatalog();
    const r = await runCli(["push", next, "--html", "second.html", "--json"], { env: env(), cwd });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { since: Record<string, number>; aggregates: unknown; sent: number };
    expect(json.since).toMatchObject({
      previous: 12,
      added: 1,
      removed: 1,
      changed: 3,
      unchanged: 8,
      priceChanges: 2,
      priceUp: 1,
      priceDown: 1,
      priceUnknown: 0,
    });
    expect(json.sent).toBe(4);
    const page = readFileSync(join(cwd, "second.html"), "utf8");
    expect(page).toContain(`<p class="since" id="since-line">+1 new, −1 gone, 2 price changes</p>`);
    expect(page).toContain(`data-key="unchanged">8<`);
    expect(page).toContain(`data-key="failed">0<`);

    // The saved push JSON renders the same page content.
    writeFileSync(join(cwd, "push.json"), r.out);
    expect((await runCli(["report", "push.json"], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, "push.html"), "utf8")).toContain("+1 new, −1 gone, 2 price changes");
  });

  it("the sync state records the confirmed price, and an older state file gains the column", () => {
    const path = join(cwd, "old.db");
    const db = new Database(path);
    db.exec(
      "CREATE TABLE products (brand_id TEXT NOT NULL, sku TEXT NOT NULL, hash TEXT NOT NULL, confirmed_at TEXT NOT NULL, PRIMARY KEY (brand_id, sku)) WITHOUT ROWID;" +
        "INSERT INTO products VALUES ('b', 'S1', 'h1', '2026-01-01T00:00:00Z');",
    );
    db.close();
    const s = SyncState.open(path);
    expect(s.confirmedHash("b", "S1")).toBe("h1");
    expect(s.confirmedPrice("b", "S1")).toBeUndefined();
    s.confirm("b", "S2", "h2", undefined, "12.5 EUR");
    expect(s.confirmedPrice("b", "S2")).toBe("12.5 EUR"); // buffered
    s.close();
    const ro = SyncState.open(path, { readonly: true });
    expect(ro.confirmedPrice("b", "S2")).toBe("12.5 EUR");
    ro.close();
  });
});
