/**
 * The HTML reports in a real browser: headless Chromium from the system (Debian's `chromium`
 * package), driven by playwright-core with `executablePath` (no browser download). Each page is
 * opened from a file:// URL and checked: no console errors (a CSP violation is one), no request
 * attempted beyond the page itself, numbers equal to the JSON report, the filter and the search
 * work, charts have drawn bars. A screenshot of each page goes to test-output/ for people to see.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { CREDS, startBrandSandbox } from "./fixtures/push/helpers.js";
import { findExecutable, optionalSuite } from "./helpers/optional.js";
import { HOSTILE } from "./helpers/hostile-feed.js";

/** FEEDPIPE_CHROMIUM names another browser binary (a missing path shows the skip). */
const CHROMIUM = process.env.FEEDPIPE_CHROMIUM
  ? findExecutable(process.env.FEEDPIPE_CHROMIUM)
  : findExecutable("chromium", "chromium-browser", "google-chrome");
const OUT = resolve("test-output");

interface Opened {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

optionalSuite("HTML reports in Chromium", CHROMIUM !== undefined, "chromium", () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    dir = mkdtempSync(join(tmpdir(), "fp-browser-"));
    mkdirSync(OUT, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string, colorScheme: "light" | "dark" = "light"): Promise<Opened> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const self = pathToFileURL(file).href;
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    // Every request the page attempts, other than the page itself, is recorded and refused.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url === self) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(self);
    return { page, consoleErrors, requests };
  }

  async function shot(o: Opened, name: string): Promise<void> {
    await o.page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  }

  async function keyNumber(page: Page, key: string): Promise<number> {
    const t = await page.locator(`[data-key="${key}"]`).first().textContent();
    return Number((t ?? "").replace(/,/g, ""));
  }

  it("validate report: numbers equal the JSON report, filter and search work, charts drawn", async () => {
    const html = join(dir, "validate.html");
    const rejects = join(dir, "rejects.ndjson");
    const r = await runCli([
      "validate",
      "samples/catalog.csv",
      "--report",
      "json",
      "--html",
      html,
      "--rejects",
      rejects,
    ]);
    const json = JSON.parse(r.out) as {
      read: number;
      valid: number;
      invalid: number;
      warnings: number;
      rules: { code: string; count: number }[];
      aggregates: { examples: { rule: string; sku?: string }[]; fill: { field: string; filled: number }[] };
    };
    const o = await open(html);
    const { page } = o;
    expect(await keyNumber(page, "read")).toBe(json.read);
    expect(await keyNumber(page, "valid")).toBe(json.valid);
    expect(await keyNumber(page, "invalid")).toBe(json.invalid);
    expect(await keyNumber(page, "warnings")).toBe(json.warnings);
    for (const rule of json.rules) expect(await keyNumber(page, `rule:${rule.code}`)).toBe(rule.count);
    for (const f of json.aggregates.fill) expect(await keyNumber(page, `fill:${f.field}`)).toBe(f.filled);

    // Charts: one drawn bar per rule, with a width.
    const bars = page.locator(`svg[data-chart="rules"] g.row rect`);
    expect(await bars.count()).toBe(json.rules.length);
    const widths = await bars.evaluateAll((els) =>
      els.map((e) => (e as unknown as { getBBox(): { width: number } }).getBBox().width),
    );
    expect(widths.length).toBe(json.rules.length);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    expect(await page.locator("svg.chart").count()).toBeGreaterThanOrEqual(6);

    // The script shows the controls; the filter keeps one rule's rows, the search narrows to a SKU.
    const rows = page.locator("#examples tbody tr");
    expect(await page.locator("#ex-controls").isVisible()).toBe(true);
    expect(await rows.count()).toBe(json.aggregates.examples.length);
    await page.selectOption("#ex-rule", "GTIN_CHECK_DIGIT");
    const gtin = json.aggregates.examples.filter((e) => e.rule === "GTIN_CHECK_DIGIT").length;
    expect(await page.locator("#examples tbody tr:visible").count()).toBe(gtin);
    expect(await page.locator("#ex-shown").textContent()).toBe(
      `${gtin} of ${json.aggregates.examples.length} shown`,
    );
    await page.selectOption("#ex-rule", "");
    await page.fill("#ex-search", "nr-1013");
    const visible = await page.locator("#examples tbody tr:visible").allTextContents();
    expect(visible.length).toBe(json.aggregates.examples.filter((e) => e.sku === "NR-1013").length);
    for (const t of visible) expect(t).toContain("NR-1013");
    await page.fill("#ex-search", "");
    expect(await page.locator("#examples tbody tr:visible").count()).toBe(json.aggregates.examples.length);
    expect(await page.locator("#rejects-link").getAttribute("href")).toBe("rejects.ndjson");

    // Print: the controls go away and every row is printed.
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("#ex-controls").isVisible()).toBe(false);
    await page.emulateMedia({ media: "screen" });

    await shot(o, "report-validate");
    expect(o.consoleErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    await page.context().close();

    const dark = await open(html, "dark");
    const bg = await dark.page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(bg).toBe("rgb(13, 17, 23)");
    await shot(dark, "report-validate-dark");
    expect(dark.consoleErrors).toEqual([]);
    await dark.page.context().close();
  });

  it("a hostile feed's page runs no injected script and loads nothing", async () => {
    const feed = join(dir, "hostile.csv");
    writeFileSync(feed, HOSTILE);
    const html = join(dir, "hostile.html");
    await runCli(["validate", feed, "--html", html]);
    const o = await open(html);
    const { page } = o;
    // Injected handlers would have run on load; the page sees only its own script and its text.
    expect(await page.evaluate("document.scripts.length")).toBe(1);
    expect(await page.locator("img, iframe, object, embed").count()).toBe(0);
    expect(await page.locator("#examples").textContent()).toContain("<img src=x onerror=alert(3)>");
    await shot(o, "report-hostile");
    expect(o.consoleErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    await page.context().close();
  });

  it("diff page: numbers equal the JSON, the change filter works", async () => {
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    const lines = readFileSync("samples/catalog.csv", "utf8").trim().split("\n");
    writeFileSync(a, `${lines.join("\n")}\n`);
    const changed = lines
      .filter((l) => !l.startsWith("NR-1001,"))
      .map((l) => (l.startsWith("NR-1002,") ? l.replace(",159.00,", ",179.00,") : l));
    writeFileSync(b, `${changed.join("\n")}\n`);
    const html = join(dir, "diff.html");
    const r = await runCli(["diff", a, b, "--json", "--html", html]);
    const json = JSON.parse(r.out) as { added: number; removed: number; changed: number; unchanged: number };
    const o = await open(html);
    for (const k of ["added", "removed", "changed", "unchanged"] as const) {
      expect(await keyNumber(o.page, k)).toBe(json[k]);
    }
    await o.page.selectOption("#ex-rule", "removed");
    expect(await o.page.locator("#examples tbody tr:visible").count()).toBe(json.removed);
    await o.page.selectOption("#ex-rule", "");
    await shot(o, "report-diff");
    expect(o.consoleErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    await o.page.context().close();
  });
  it("push page: sent / unchanged / failed and the diff since the last run equal the JSON", async () => {
    const sb = await startBrandSandbox();
    try {
      const env = {
        PARTNERBOOST_BRAND_API_URL: sb.url,
        PARTNERBOOST_BRAND_ID: CREDS.brandId,
        PARTNERBOOST_TOKEN: CREDS.token,
        PARTNERBOOST_SECRET: CREDS.secret,
      };
      const catalog = resolve("test/fixtures/push/catalog.csv");
      expect((await runCli(["push", catalog, "--quiet"], { env, cwd: dir })).code).toBe(0);
      const lines = readFileSync(catalog, "utf8").trim().split("\n");
      const next = join(dir, "next.csv");
      writeFileSync(
        next,
        `${lines
          .filter((l) => !l.startsWith("TP-001,"))
          .map((l) => (l.startsWith("TP-002,") ? l.replace(",12.50,", ",14.00,") : l))
          .join("\n")}\n`,
      );
      const html = join(dir, "push.html");
      const r = await runCli(["push", next, "--json", "--html", html], { env, cwd: dir });
      const json = JSON.parse(r.out) as {
        sent: number;
        unchanged: number;
        failed: number;
        since: { added: number; removed: number; priceChanges: number };
      };
      const o = await open(html);
      expect(await keyNumber(o.page, "sent")).toBe(json.sent);
      expect(await keyNumber(o.page, "unchanged")).toBe(json.unchanged);
      expect(await keyNumber(o.page, "failed")).toBe(json.failed);
      expect(await keyNumber(o.page, "since:added")).toBe(json.since.added);
      expect(await keyNumber(o.page, "since:removed")).toBe(json.since.removed);
      expect(await keyNumber(o.page, "since:priceChanges")).toBe(json.since.priceChanges);
      expect(await o.page.locator("#since-line").textContent()).toBe(
        `+${json.since.added} new, −${json.since.removed} gone, ${json.since.priceChanges} price changes`,
      );
      await shot(o, "report-push");
      expect(o.consoleErrors).toEqual([]);
      expect(o.requests).toEqual([]);
      await o.page.context().close();
    } finally {
      await sb.server.close();
    }
  });
});
