/**
 * PartnerBoost Publisher API: response tolerance, filter checks, the client against the sandbox
 * (every request method, filters, result codes, retries) and the sandbox's own contract.
 */
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { checkGtin } from "../schemas/normalize.js";
import type { Clock } from "../src/core/clock.js";
import { FeedpipeError, NetworkError } from "../src/core/errors.js";
import { RateLimits } from "../src/core/rate-limits.js";
import { closeHttpAgents } from "../src/io/http.js";
import {
  createPublisherClient,
  normalizePublisherProduct,
  PUBLISHER_FIELDS,
  type PublisherClientOptions,
  parseListData,
  resolvePublisherFilters,
  unixToIso,
  waitForDownload,
} from "../src/networks/partnerboost/publisher.js";
import { DEFAULT_BRANDS, generateCatalog, toPublisherProduct } from "../src/sandbox/catalog.js";
import {
  type PartnerboostPublisherOptions,
  partnerboostPublisherModule,
} from "../src/sandbox/partnerboost-publisher.js";
import {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  startSandbox,
} from "../src/sandbox/server.js";
import { StepClock } from "./helpers/clock.js";

const TOKEN = "pub-token-5f1c2a9e77";
const FAST_RETRY = { attempts: 40, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 40 };

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

async function sandbox(
  options: Partial<PartnerboostPublisherOptions> = {},
  faults?: FaultOptions,
  clock?: Clock,
): Promise<{ sb: RunningSandbox; mod: ReturnType<typeof partnerboostPublisherModule>; apiUrl: string }> {
  const mod = partnerboostPublisherModule({ token: TOKEN, products: 300, seed: 5, ...options });
  const sb = await startSandbox({ modules: [mod], faults, clock });
  running.push(sb);
  return { sb, mod, apiUrl: `${sb.origin}/api.php` };
}

/** A sandbox module answering every datafeed request with a fixed envelope. */
async function stub(answer: (params: Record<string, unknown>) => unknown, status = 200) {
  let requests = 0;
  const mod: SandboxModule = {
    name: "stub",
    matches: (req) => req.url.pathname === "/api.php",
    handle(req, reply) {
      requests++;
      reply.status(status).json(answer(req.params));
    },
  };
  const sb = await startSandbox({ modules: [mod] });
  running.push(sb);
  return { apiUrl: `${sb.origin}/api.php`, requests: () => requests };
}

function client(apiUrl: string, options: PublisherClientOptions = {}, token = TOKEN) {
  return createPublisherClient({ token, apiUrl }, { retry: FAST_RETRY, ...options });
}

async function caught(p: Promise<unknown>): Promise<FeedpipeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    return err as FeedpipeError;
  }
  throw new Error("expected a rejection");
}

describe("list response tolerance", () => {
  it("reads the documented example: total as a string, every field a string", async () => {
    const json = JSON.parse(await readFile("test/fixtures/pull/list-documented/response.json", "utf8"));
    const page = parseListData(json.data);
    expect(page.total).toBe(9);
    expect(page.hasMore).toBeUndefined();
    expect(page.products).toHaveLength(1);
    const p = page.products[0]!;
    expect(Object.keys(p)).toEqual([...PUBLISHER_FIELDS]);
    expect(p.sku).toBe("f5f41766");
    expect(p.price).toBe("34.32");
    expect(p.tracking_url_smart).toBe(""); // not in the example: present and empty
    expect(unixToIso(p.updated_at)).toBe("2024-03-11T02:02:27Z");
  });

  it("reads list as an index-keyed object in index order, numbers as numbers, nulls, has_more and the updated-at spelling", async () => {
    const json = JSON.parse(await readFile("test/fixtures/pull/list-object/response.json", "utf8"));
    const page = parseListData(json.data);
    expect(page.total).toBe(12);
    expect(page.hasMore).toBe(true);
    expect(page.products.map((p) => p.sku)).toEqual(["KW-000001", "KW-000002"]);
    expect(page.malformed).toBe(1);
    const [a, b] = page.products;
    expect(a!.updated_at).toBe("1710122000");
    expect(b!.brand_id).toBe("70112");
    expect(b!.price).toBe("24.5");
    expect(b!.old_price).toBe("");
    expect(b!.updated_at).toBe("1710122547");
    expect(b!.name).toBe('Kōhī Pour-Over Set, "Glass"');
    expect(b).not.toHaveProperty("unknown_field");
  });

  it("treats an empty list or a total of 0 as no products, and no data as no list", () => {
    expect(parseListData({ total: "0" })).toEqual({ total: 0, products: [], malformed: 0 });
    expect(parseListData({ total: "0", list: "" }).products).toEqual([]);
    // No data at all is not an empty catalog: the page could not be read (NET_BAD_RESPONSE in the client).
    expect(() => parseListData(undefined)).toThrow(/no data\.list \(no data\)/);
    expect(parseListData({ list: [], has_more: 0 }).hasMore).toBe(false);
  });

  it("normalises CSV-style rows (BOM, case, spaces) and timestamps", () => {
    const p = normalizePublisherProduct({ "\uFEFFSKU": "A1", " Name ": "Lamp", price: " 9.90 " });
    expect(p.sku).toBe("A1");
    expect(p.name).toBe("Lamp");
    expect(p.price).toBe("9.90");
    expect(unixToIso("1710122547000")).toBe("2024-03-11T02:02:27Z");
    expect(unixToIso("")).toBe("");
    expect(unixToIso("yesterday")).toBe("");
  });
});

describe("filters are checked before any request", () => {
  it("normalises good values", () => {
    expect(
      resolvePublisherFilters({
        brandType: "tiktok",
        brandId: 66303,
        mcid: "ulike0",
        keywords: " coffee ",
        priceRange: "1000+",
        minDiscount: "25",
      }),
    ).toEqual({
      brand_type: "TikTok",
      brand_id: "66303",
      mcid: "ulike0",
      keywords: "coffee",
      price_range: "1000+",
      min_discount: 25,
    });
  });

  it.each([
    [
      { priceRange: "10-20" },
      'Invalid option --price-range: expected one of 0-75, 75-150, 150-300, 300-500, 500-1000, 1000+, got "10-20"',
    ],
    [{ minDiscount: "30" }, 'Invalid option --min-discount: expected one of 75, 50, 25, 10, got "30"'],
    [
      { brandType: "Amazon" },
      'Invalid option --brand-type: expected one of TikTok, DTC, Walmart, got "Amazon"',
    ],
    [
      { brandId: "ulike0" },
      'Invalid option --brand-id: expected a brand id of digits (like 66303), got "ulike0"',
    ],
    [{ mcid: "has space" }, "Invalid option --mcid"],
  ])("rejects %j", (filters, message) => {
    expect(() => resolvePublisherFilters(filters)).toThrow(message);
    try {
      resolvePublisherFilters(filters);
    } catch (err) {
      expect((err as FeedpipeError).code).toBe("INVALID_OPTION");
    }
  });

  it("the client sends nothing for a bad filter or page size: the sandbox sees 0 requests", async () => {
    const { sb, apiUrl } = await sandbox();
    const c = client(apiUrl);
    expect((await caught(c.listPage({ priceRange: "cheap" }, 1, 10))).code).toBe("INVALID_OPTION");
    expect((await caught(c.listPage({}, 1, 101))).message).toContain("Invalid option --limit");
    expect((await caught(c.listPage({}, 1, 0))).code).toBe("INVALID_OPTION");
    expect((await caught(c.requestDownload("abc"))).code).toBe("INVALID_OPTION");
    expect(sb.stats.requests).toBe(0);
    expect(c.requests).toBe(0);
  });
});

describe("client against the sandbox", () => {
  it.each(["form", "json", "get"] as const)("lists a page with method %s", async (method) => {
    const { mod, apiUrl } = await sandbox();
    const c = client(apiUrl, { method });
    const page = await c.listPage({}, 2, 25);
    expect(page.total).toBe(300);
    expect(page.products.map((p) => p.sku)).toEqual(mod.catalog.slice(25, 50).map((p) => p.sku));
    expect(page.products[0]).toEqual(toPublisherProduct(mod.catalog[25]!));
    expect(mod.stats.listParams[0]).toMatchObject({ mod: "datafeed", op: "list", page: "2", limit: "25" });
    expect(mod.stats.listParams[0]).not.toHaveProperty("token");
  });

  it("reads list-as-object answers", async () => {
    const { mod, apiUrl } = await sandbox({ listAsObject: true });
    const page = await client(apiUrl).listPage({}, 1, 100);
    expect(page.products.map((p) => p.sku)).toEqual(mod.catalog.slice(0, 100).map((p) => p.sku));
  });

  it("the sandbox applies every filter", async () => {
    const { mod, apiUrl } = await sandbox({ products: 1500 });
    const c = client(apiUrl);
    const cases = [
      { brandId: "66303" },
      { brandType: "Walmart" },
      { mcid: "kohiworks" },
      { keywords: "Brew kit" },
      { priceRange: "1000+" },
      { priceRange: "75-150", minDiscount: 25 },
      { brandType: "DTC", minDiscount: 50 },
    ];
    for (const filters of cases) {
      const page = await c.listPage(filters, 1, 100);
      const params: Record<string, unknown> = {};
      const r = resolvePublisherFilters(filters);
      for (const [k, v] of Object.entries(r)) params[k] = String(v);
      const expected = mod.filtered(params);
      expect(expected.length, JSON.stringify(filters)).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(mod.catalog.length);
      expect(page.total).toBe(expected.length);
      expect(page.products.map((p) => p.sku)).toEqual(expected.slice(0, 100).map((p) => p.sku));
      for (const p of page.products) {
        if (r.brand_id) expect(p.brand_id).toBe(r.brand_id);
        if (r.mcid) expect(p.mcid).toBe(r.mcid);
        if (r.price_range === "1000+") expect(Number(p.price)).toBeGreaterThanOrEqual(1000);
        if (r.price_range === "75-150") {
          expect(Number(p.price)).toBeGreaterThanOrEqual(75);
          expect(Number(p.price)).toBeLessThan(150);
        }
        if (r.min_discount) {
          const d = (Number(p.old_price) - Number(p.price)) / Number(p.old_price);
          expect(d).toBeGreaterThanOrEqual(r.min_discount / 100);
        }
        if (r.keywords)
          expect(`${p.name} ${p.description}`.toLowerCase()).toMatch(/brew[\s\S]*kit|kit[\s\S]*brew/);
      }
    }
  });

  it("1001: a clear auth error, not retried, and the token appears nowhere (form and GET)", async () => {
    const { sb, apiUrl } = await sandbox();
    for (const method of ["form", "get"] as const) {
      const secret = `wrong-token-${method}-9f8e7d`;
      const err = await caught(client(apiUrl, { method }, secret).listPage({}, 1, 10));
      expect(err.code).toBe("NET_AUTH_FAILED");
      expect(err.message).toContain("code 1001");
      expect(err.message).toContain("PARTNERBOOST_PUBLISHER_TOKEN");
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.context)).not.toContain(secret);
      expect(String((err.cause as Error | undefined)?.message ?? "")).not.toContain(secret);
    }
    expect(sb.stats.requests).toBe(2);
  });

  it("1003/1004/1005 name the offending parameter", async () => {
    const { apiUrl } = await sandbox();
    const c = client(apiUrl);
    const badId = await caught(c.getDownloadUrl("999999"));
    expect(badId.code).toBe("NET_BAD_REQUEST");
    expect(badId.context.field).toBe("id");
    expect(badId.message).toContain("code 1003");
    const noBrand = await caught(c.requestDownload("12345"));
    expect(noBrand.context.field).toBe("brand_id");
    expect(noBrand.message).toContain("brand_id 12345 has no products");
    const longMcid = await caught(c.listPage({ mcid: "m".repeat(80) }, 1, 10));
    expect(longMcid.code).toBe("NET_BAD_REQUEST");
    expect(longMcid.message).toContain("code 1005");
    expect(longMcid.context.field).toBe("mcid");

    const s = await stub(() => ({ status: { code: 1003, msg: "Invalid input: price_range" } }));
    const e3 = await caught(client(s.apiUrl).listPage({ priceRange: "0-75" }, 1, 10));
    expect(e3.context.field).toBe("price_range");
    expect(e3.message).toMatch(/code 1003.*price_range/);
    expect(s.requests()).toBe(1); // not retried
    const s4 = await stub(() => ({
      status: { code: 1004, msg: "Too many input: limit at most 100 per page" },
    }));
    const e4 = await caught(client(s4.apiUrl).listPage({}, 1, 100));
    expect(e4.context.field).toBe("limit");
  });

  it("1002 waits in the run's rate controller until it passes, and stops at --max-wait", async () => {
    let n = 0;
    const s = await stub(() =>
      ++n <= 3
        ? { status: { code: 1002, msg: "Too many request" } }
        : { status: { code: 0, msg: "ok" }, data: { total: "0", list: [] } },
    );
    const events: number[] = [];
    const c = client(s.apiUrl, { onRetry: (e) => events.push(e.attempt), retry: { attempts: 1 } });
    expect((await c.listPage({}, 1, 10)).total).toBe(0);
    expect(events).toEqual([]); // not errors: no attempt was used up
    expect(c.retries).toBe(0);
    expect(c.requests).toBe(4);

    const always = await stub(() => ({ status: { code: 1002, msg: "Too many request" } }));
    // --max-wait on virtual time: 200 ms of nothing but rate-limit answers, however slow the machine.
    const clock = new StepClock();
    const rates = new RateLimits({ maxWaitMs: 200, clock });
    clock.busy = () => rates.for(always.apiUrl).inFlight;
    const err = await caught(client(always.apiUrl, { rates }).listPage({}, 1, 10));
    expect(err.code).toBe("NET_RATE_LIMITED");
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/--max-wait 0.2 s/);
    expect(rates.stats()[0]!.rateLimited).toBe(always.requests());
  });

  it("sandbox rate limiting in both styles (code 1002 and HTTP 429) is absorbed by the controller", async () => {
    for (const style of ["code", "http"] as const) {
      // Virtual time for the sandbox's windows and the controller: no dependence on wall seconds.
      const clock = new StepClock();
      const rates = new RateLimits({ clock });
      const { sb, mod, apiUrl } = await sandbox({}, { rateLimit: 3, rateLimitStyle: style }, clock);
      clock.busy = () => rates.for(apiUrl).inFlight;
      const c = client(apiUrl, { retry: { ...FAST_RETRY, attempts: 1 }, rates });
      const pages = await Promise.all([1, 2, 3, 4, 5, 6].map((p) => c.listPage({}, p, 50)));
      expect(pages.flatMap((p) => p.products.map((x) => x.sku))).toEqual(mod.catalog.map((p) => p.sku));
      expect(sb.stats.faults.rateLimited).toBeGreaterThan(0);
      expect(c.retries).toBe(0);
      expect(rates.stats()[0]!.rateLimited).toBe(sb.stats.faults.rateLimited);
      expect(clock.now()).toBeGreaterThanOrEqual(1000); // the second window took the rest
    }
  });

  it("bulk: request_download → PENDING polls → OK with a URL the sandbox serves", async () => {
    const { mod, apiUrl } = await sandbox({ downloadPendingPolls: 3 });
    const c = client(apiUrl);
    const statuses: string[] = [];
    const d = await waitForDownload(c, "66303", {
      pollIntervalMs: 1,
      onPoll: (i) => statuses.push(i.status),
    });
    expect(statuses).toEqual(["PENDING", "PENDING", "PENDING", "OK"]);
    expect(d.polls).toBe(4);
    expect(d.url).toMatch(/\/files\/pb-download-\d+\.csv$/);
    expect(mod.stats.requestDownload).toBe(1);
    const text = await (await fetch(d.url)).text();
    expect(text.split("\n")[0]).toBe(PUBLISHER_FIELDS.join(","));
  });

  it("bulk: FAIL is NET_DOWNLOAD_FAILED and a file that never comes is NET_TIMEOUT", async () => {
    const failing = await sandbox({ downloadFails: true, downloadPendingPolls: 1 });
    const err = await caught(waitForDownload(client(failing.apiUrl), "66303", { pollIntervalMs: 1 }));
    expect(err.code).toBe("NET_DOWNLOAD_FAILED");
    expect(err.message).toContain("status FAIL");
    const slow = await sandbox({ downloadPendingPolls: 1_000_000 });
    const late = await caught(
      waitForDownload(client(slow.apiUrl), "66303", {
        pollIntervalMs: 5,
        maxPollIntervalMs: 5,
        timeoutMs: 60,
      }),
    );
    expect(late.code).toBe("NET_TIMEOUT");
    expect(late.message).toContain("still PENDING");
  });

  it("HTTP errors name the endpoint without the token", async () => {
    const s = await stub(() => ({ error: "boom" }), 404);
    const err = await caught(client(s.apiUrl, { method: "get" }).listPage({}, 1, 10));
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.message).toContain("op=list");
    expect(err.message).not.toContain(TOKEN);
  });
});

describe("sandbox contract (raw HTTP)", () => {
  interface RawAnswer {
    status: { code: number; msg: string };
    data: { total: string; has_more?: number; list: Record<string, unknown>[] };
  }
  async function raw(
    apiUrl: string,
    params: Record<string, string>,
    how: "get" | "form" | "json" = "get",
  ): Promise<RawAnswer> {
    const url = new URL(apiUrl);
    if (how === "get") {
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return (await (await fetch(url)).json()) as RawAnswer;
    }
    const body = how === "json" ? JSON.stringify(params) : new URLSearchParams(params).toString();
    const type = how === "json" ? "application/json" : "application/x-www-form-urlencoded";
    return (await (
      await fetch(url, { method: "POST", body, headers: { "content-type": type } })
    ).json()) as RawAnswer;
  }

  it("serves string numbers, total as a string, documented codes", async () => {
    const { apiUrl } = await sandbox({ products: 30, hasMore: true });
    const base = { mod: "datafeed", op: "list", token: TOKEN };
    const ok = await raw(apiUrl, { ...base, limit: "20", page: "2" }, "json");
    expect(ok.status).toEqual({ code: 0, msg: "success" });
    expect(ok.data.total).toBe("30");
    expect(ok.data.has_more).toBe(0);
    expect(ok.data.list).toHaveLength(10);
    for (const v of Object.values(ok.data.list[0]!)) expect(typeof v).toBe("string");
    expect((await raw(apiUrl, { ...base, page: "9" }, "form")).data.list).toEqual([]);
    expect((await raw(apiUrl, { ...base, limit: "101" })).status.code).toBe(1004);
    expect((await raw(apiUrl, { ...base, token: "nope" })).status.code).toBe(1001);
    expect((await raw(apiUrl, { mod: "datafeed", op: "list" })).status.code).toBe(1001);
    const bad = await raw(apiUrl, { ...base, price_range: "5-10" });
    expect(bad.status.code).toBe(1003);
    expect(bad.status.msg).toContain("price_range");
    expect((await raw(apiUrl, { ...base, min_discount: "30" })).status.msg).toContain("min_discount");
    expect((await raw(apiUrl, { ...base, page: "0" })).status.msg).toContain("page");
    expect((await raw(apiUrl, { ...base, type: "xml" })).status.code).toBe(1003);
    expect((await raw(apiUrl, { ...base, op: "get_amazon_link" })).status.code).toBe(1003);
  });

  it("download files are exempt from faults", async () => {
    const { sb, apiUrl } = await sandbox({ downloadPendingPolls: 0 }, {});
    const c = client(apiUrl, { retry: { attempts: 1 } });
    const d = await waitForDownload(c, "73461", { pollIntervalMs: 1 });
    sb.setFaults({ errorRate: 1 });
    const res = await fetch(d.url);
    expect(res.status).toBe(200);
    expect((await c.getDownloadUrl(d.id).catch((e: FeedpipeError) => e)) as FeedpipeError).toMatchObject({
      code: "HTTP_STATUS",
    });
  });
});

describe("seeded catalog", () => {
  it("is reproducible, spread over the brands, with valid GTINs and realistic text", () => {
    const a = generateCatalog({ count: 3000, seed: 11, flawRate: 0 });
    expect(generateCatalog({ count: 3000, seed: 11, flawRate: 0 })).toEqual(a);
    expect(generateCatalog({ count: 50, seed: 12 })).not.toEqual(a.slice(0, 50));
    expect(new Set(a.map((p) => p.brand_id))).toEqual(new Set(DEFAULT_BRANDS.map((b) => b.id)));
    const keys = new Set(a.map((p) => `${p.brand_id}/${p.sku}`));
    expect(keys.size).toBe(a.length);
    // Two brands number SKUs the same way: the same sku exists under two brand ids.
    expect(new Set(a.map((p) => p.sku)).size).toBeLessThan(a.length);
    const offenders = a.filter(
      (p) =>
        (p.gtin !== "" && checkGtin(p.gtin).code !== undefined) ||
        !(Number(p.price) > 0) ||
        (p.old_price !== "" && !(Number(p.old_price) > Number(p.price))) ||
        PUBLISHER_FIELDS.some((f) => /^[=+\-@]/.test(p[f])),
    );
    expect(offenders).toEqual([]);
    expect(a.some((p) => /[^\x00-\x7f]/.test(p.name + p.description))).toBe(true);
    expect(a.some((p) => p.description.includes('"'))).toBe(true);
    expect(a.some((p) => p.description.includes("\n"))).toBe(true);
    expect(a.some((p) => Number(p.price) >= 1000)).toBe(true);
    expect(a.filter((p) => p.gtin === "").length).toBeGreaterThan(0);
  });

  it("flaws make a share of products fail the product rules", () => {
    const flawed = generateCatalog({ count: 2000, seed: 3, flawRate: 0.1 });
    const bad = flawed.filter(
      (p) =>
        p.image === "" ||
        p.url.startsWith("/") ||
        p.availability === "limited" ||
        (p.gtin !== "" && checkGtin(p.gtin).code),
    );
    expect(bad.length).toBeGreaterThan(100);
    expect(bad.length).toBeLessThan(300);
  });
});
