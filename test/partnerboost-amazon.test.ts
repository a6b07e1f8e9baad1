/**
 * PartnerBoost's Amazon endpoints: the exact export row of every documented field, tolerant page
 * reading, the client and pull against the sandbox (paging to the end under faults and rate
 * limits, filters), link batches with errors, link status, and the base-URL override.
 */
import { afterEach, describe, expect, it } from "vitest";
import { caught } from "./helpers/errors.js";
import { collect } from "../src/core/batch.js";
import { closeHttpAgents } from "../src/io/http.js";
import {
  AMAZON_COLUMNS,
  type AmazonClientOptions,
  amazonRow,
  type AmazonRowIssue,
  checkLinkStatus,
  createAmazonClient,
  normalizeAmazonProduct,
  parseAmazonProductsData,
  pullAmazonProducts,
  readAmazonPrice,
  withProductLinks,
} from "../src/networks/partnerboost/amazon.js";
import {
  type PartnerboostAmazonOptions,
  partnerboostAmazonModule,
} from "../src/sandbox/partnerboost-amazon.js";
import {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  startSandbox,
} from "../src/sandbox/server.js";
import { RateLimits } from "../src/core/rate-limits.js";
import { NotAListError } from "../src/networks/partnerboost/list-holder.js";
import { StepClock } from "./helpers/clock.js";

const TOKEN = "amz-token-3d9f0b7c51e2";
const FAST_RETRY = { attempts: 60, baseDelayMs: 2, maxDelayMs: 20, maxRetryAfterMs: 20 };

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

/** With `clock`, the sandbox's rate windows run on it (a StepClock shared with the client's controller). */
async function sandbox(
  options: Partial<PartnerboostAmazonOptions> = {},
  faults?: FaultOptions,
  clock?: StepClock,
) {
  const mod = partnerboostAmazonModule({ token: TOKEN, products: 250, seed: 3, ...options });
  const sb = await startSandbox({ modules: [mod], faults, clock });
  running.push(sb);
  const apiUrl = `${sb.origin}/api/datafeed`;
  const client = (o: AmazonClientOptions = {}) =>
    createAmazonClient({ token: TOKEN, apiUrl }, { retry: FAST_RETRY, ...o });
  return { sb, mod, apiUrl, client };
}

/** The documented example product, as PartnerBoost sends it. */
const EXAMPLE = {
  product_id: "007d030d256e3e35774d65822f89c778",
  product_name:
    "Midea MERC07C4BAWW 7.0 Cubic Feet Chest Freezer Cu.ft-Convertible, White 7.0 Cu.ft-Convertible",
  image: "https://m.media-amazon.com/images/I/21iIQfKFRmL._SS500_.jpg",
  asin: "B0CQT26VCW",
  discount: "0%",
  discount_code: null,
  coupon: null,
  commission: "10%",
  category: "Appliances",
  subcategory: "Chest Freezers",
  parent_asin: "B0DK1Z5TLX",
  variant_asin: "B0CQT1JGQQ,B00MVVITWC,B0CQT2VXS8",
  availability: "IN_STOCK",
  rating: "4.4",
  reviews: "10196",
  url: "https://www.amazon.com/dp/B0CQT26VCW",
  brand_id: "90863",
  brand_name: "Midea_US",
  update_time: "2025-03-18",
  country_code: "US",
  relationship: 1,
  original_price: "$269.99",
  discount_price: "$269.99",
  currency: "USD",
  acc_commission: "23%",
  acc_start_date: "2025-07-15T00:00:00-07:00",
  acc_end_date: "2025-07-31T00:00:00-07:00",
  promo_code_list: [
    {
      promotion_title: "MPC-S Percentage Off 2025/01/02 2-48-59-631",
      tracking_id: "PLM-1fe2b2df-333-111-222",
      promo_code: "Codes1",
      buyer_gets: "0.2",
      promo_code_start_time: "2025-04-09T10:00:00-07:00",
      promo_code_end_time: "2025-04-19T11:00:00-07:00",
      redemptions_per_customer: 1,
      can_combine_with_coupon: false,
      promotional_price: "$199.99",
    },
    { promo_code: "SECOND", promotional_price: "$189.99" },
  ],
};

describe("export row", () => {
  it("flattens every documented field of the example exactly", () => {
    const issues: AmazonRowIssue[] = [];
    const row = amazonRow(normalizeAmazonProduct(EXAMPLE), issues);
    expect(Object.keys(row).sort()).toEqual([...AMAZON_COLUMNS].sort());
    expect(row).toEqual({
      product_id: "007d030d256e3e35774d65822f89c778",
      asin: "B0CQT26VCW",
      product_name: EXAMPLE.product_name,
      url: "https://www.amazon.com/dp/B0CQT26VCW",
      image: "https://m.media-amazon.com/images/I/21iIQfKFRmL._SS500_.jpg",
      brand_id: "90863",
      brand_name: "Midea_US",
      country_code: "US",
      category: "Appliances",
      subcategory: "Chest Freezers",
      parent_asin: "B0DK1Z5TLX",
      variant_asin: "B0CQT1JGQQ,B00MVVITWC,B0CQT2VXS8",
      variant_count: 3,
      relationship: 1,
      availability: "IN_STOCK",
      rating: 4.4,
      reviews: 10196,
      currency: "USD",
      original_price: 269.99,
      original_price_currency: "USD",
      discount_price: 269.99,
      discount_price_currency: "USD",
      discount: 0,
      discount_code: "",
      coupon: "",
      commission: 10,
      acc_commission: 23,
      acc_start_date: "2025-07-15T00:00:00-07:00",
      acc_end_date: "2025-07-31T00:00:00-07:00",
      update_time: "2025-03-18",
      promo_code_count: 2,
      promo_title: "MPC-S Percentage Off 2025/01/02 2-48-59-631",
      promo_tracking_id: "PLM-1fe2b2df-333-111-222",
      promo_code: "Codes1",
      promo_buyer_gets: 0.2,
      promo_start_time: "2025-04-09T10:00:00-07:00",
      promo_end_time: "2025-04-19T11:00:00-07:00",
      promo_redemptions_per_customer: 1,
      promo_can_combine_with_coupon: false,
      promo_price: 199.99,
      promo_price_currency: "USD",
    });
    expect(issues).toEqual([]);
  });

  it("a product without promo codes, variants or ACC leaves those cells empty; bad numbers are counted, not guessed", () => {
    const issues: AmazonRowIssue[] = [];
    const row = amazonRow(
      normalizeAmazonProduct({
        product_id: "p2",
        asin: "B000000002",
        variant_asin: " B0A , ,B0B,",
        rating: "n/a",
        original_price: "call us",
        discount_price: "",
        currency: "EUR",
        commission: "12.5 %",
        promo_code_list: [],
      }),
      issues,
    );
    expect(row).toMatchObject({
      variant_asin: "B0A,B0B",
      variant_count: 2,
      rating: undefined,
      original_price: undefined,
      original_price_currency: "EUR",
      discount_price: undefined,
      discount_price_currency: "",
      commission: 12.5,
      acc_commission: undefined,
      promo_code_count: 0,
      promo_code: "",
      promo_price: undefined,
      promo_can_combine_with_coupon: undefined,
    });
    expect(issues).toEqual([
      { field: "original_price", value: "call us" },
      { field: "rating", value: "n/a" },
    ]);
  });

  it("reads prices of every marketplace style", () => {
    expect(readAmazonPrice("$1,269.99", "USD")).toEqual({ amount: 1269.99, currency: "USD" });
    expect(readAmazonPrice("1.299,00 €", "EUR")).toEqual({ amount: 1299, currency: "EUR" });
    expect(readAmazonPrice("269,99 €", "USD")).toEqual({ amount: 269.99, currency: "EUR" });
    expect(readAmazonPrice("£19.99", "GBP")).toEqual({ amount: 19.99, currency: "GBP" });
    expect(readAmazonPrice("￥2,980", "JPY")).toEqual({ amount: 2980, currency: "JPY" });
    expect(readAmazonPrice("CA$19.99", "CAD")).toEqual({ amount: 19.99, currency: "CAD" });
    expect(readAmazonPrice("$19.99", "CAD")).toEqual({ amount: 19.99, currency: "CAD" });
    expect(readAmazonPrice("$19.99", "EUR")).toEqual({ amount: 19.99, currency: "USD" });
    expect(readAmazonPrice("19.99 USD", "EUR")).toEqual({ amount: 19.99, currency: "USD" });
    expect(readAmazonPrice("49,90 zł", "PLN")).toEqual({ amount: 49.9, currency: "PLN" });
    expect(readAmazonPrice("12.50", "GBP")).toEqual({ amount: 12.5, currency: "GBP" });
    expect(readAmazonPrice("", "USD")).toEqual({ amount: undefined, currency: "" });
  });

  it("reads pages tolerantly: index-keyed lists, has_more spellings, entries that are not products", () => {
    const page = parseAmazonProductsData({
      list: { "1": { product_id: "b" }, "0": { product_id: "a", relationship: 1 }, "2": "junk" },
      has_more: "1",
    });
    expect(page.products.map((p) => p.product_id)).toEqual(["a", "b"]);
    expect(page.products[0]?.relationship).toBe("1");
    expect(page).toMatchObject({ total: undefined, hasMore: true, malformed: 1 });
    expect(parseAmazonProductsData({ list: [], hasMore: false }).hasMore).toBe(false);
    // No list at all is not an empty page (it would replace a good export with an empty one).
    for (const data of [undefined, null, {}, { has_more: 0 }, "none"]) {
      expect(() => parseAmazonProductsData(data)).toThrow(NotAListError);
    }
    expect(parseAmazonProductsData({ result: { list: [{ product_id: "p1" }] } }).products).toHaveLength(1);
  });
});

describe("pull against the sandbox", () => {
  it("pages to the end in page order, every product once, following has_more", async () => {
    const { mod, client } = await sandbox();
    const pull = pullAmazonProducts(client(), {}, { pageSize: 20, concurrency: 4 });
    const got = (await collect(pull.products)).map((p) => p.product_id);
    expect(got).toEqual(mod.catalog.map((p) => p.product_id));
    expect(pull.stats()).toMatchObject({ pages: 13, products: 250, duplicates: 0, total: undefined });
  });

  for (const style of ["code", "http"] as const) {
    it(`under faults and rate limiting (${style === "code" ? "code 1002" : "HTTP 429"}): every product exactly once, in order`, async () => {
      // The rate windows and the run's controller share virtual time: the limit of 15/s is hit
      // however slow the machine (time moves only while no request is in flight).
      const clock = new StepClock();
      const rates = new RateLimits({ clock });
      const { sb, mod, client, apiUrl } = await sandbox(
        { products: 600, retryAfterSeconds: 0.01 },
        { latencyMs: 5, errorRate: 0.1, dropRate: 0.05, rateLimit: 15, rateLimitStyle: style, seed: 9 },
        clock,
      );
      clock.busy = () => rates.for(apiUrl).inFlight;
      const pull = pullAmazonProducts(client({ rates }), {}, { pageSize: 25, concurrency: 6 });
      const got = (await collect(pull.products)).map((p) => p.product_id);
      expect(got).toEqual(mod.catalog.map((p) => p.product_id));
      expect(sb.stats.faults.errors + sb.stats.faults.drops).toBeGreaterThan(0);
      expect(pull.stats().retries).toBeGreaterThan(0);
      expect(pull.stats()).toMatchObject({ products: 600, duplicates: 0, malformed: 0 });
      expect(sb.stats.faults.rateLimited).toBeGreaterThan(0);
    });
  }

  it("sends the filters and the sandbox applies them", async () => {
    const { mod, client } = await sandbox();
    const pull = pullAmazonProducts(
      client(),
      { countryCode: "de", hasPromoCode: true, brandId: "91207" },
      { pageSize: 10 },
    );
    const got = await collect(pull.products);
    const expected = mod.filtered({ country_code: "DE", has_promo_code: 1, brand_id: "91207" });
    expect(expected.length).toBeGreaterThan(3);
    expect(got.map((p) => p.product_id)).toEqual(expected.map((p) => p.product_id));
    expect(mod.stats.productParams[0]).toMatchObject({
      country_code: "DE",
      brand_id: "91207",
      has_promo_code: 1,
      page: 1,
      page_size: 10,
    });
  });

  it("checks filters and options before any request", async () => {
    const { mod, client } = await sandbox();
    const c = client();
    expect(() => pullAmazonProducts(c, { countryCode: "USA" })).toThrow(/--country/);
    expect(() => pullAmazonProducts(c, { asins: "B0CQT26VCW,nope" })).toThrow(/--asins/);
    expect(() => pullAmazonProducts(c, { brandId: "x1" })).toThrow(/--brand-id/);
    expect(() => pullAmazonProducts(c, {}, { pageSize: 500 })).toThrow(/--page-size/);
    expect(mod.stats.calls).toEqual({});
  });

  it("a bad token is NET_AUTH_FAILED naming the variable, never the token", async () => {
    const { apiUrl } = await sandbox();
    const wrong = "wrong-token-aa11bb22cc33";
    const c = createAmazonClient({ token: wrong, apiUrl }, { retry: FAST_RETRY });
    const err = await caught(collect(pullAmazonProducts(c).products));
    expect(err.code).toBe("NET_AUTH_FAILED");
    expect(err.message).toContain("PARTNERBOOST_PUBLISHER_TOKEN");
    expect(JSON.stringify({ m: err.message, c: err.context })).not.toContain(wrong);
  });
});

describe("links", () => {
  it("generates links in bounded batches; error_list products keep an empty link and the server's message", async () => {
    const { mod, client } = await sandbox({ products: 80 });
    const c = client();
    const linked = withProductLinks(pullAmazonProducts(c, {}, { pageSize: 20 }).products, c, {
      batchSize: 7,
      uid: "spring",
    });
    const items = (await collect(linked.products)).flat();
    expect(items.map((i) => i.product.product_id)).toEqual(mod.catalog.map((p) => p.product_id));
    expect(mod.stats.linkBatches.every((n) => n >= 1 && n <= 7)).toBe(true);
    expect(mod.stats.linkBatches.reduce((a, b) => a + b, 0)).toBe(80);
    for (const item of items) {
      const p = mod.catalog.find((x) => x.product_id === item.product.product_id)!;
      if (p.linkable) {
        expect(item.link_id).toBe(mod.linkIdFor(p.product_id, "spring"));
        expect(item.link).toContain(`aa_adgroupid=${item.link_id}`);
        expect(item.error).toBeUndefined();
      } else {
        expect(item).toMatchObject({ link: "", link_id: "", error: "Product not found or no relationship" });
      }
    }
    const failed = items.filter((i) => i.error !== undefined).length;
    expect(failed).toBeGreaterThan(5);
    expect(linked.stats()).toMatchObject({ requested: 80, linked: 80 - failed, failed });
  });

  it("a product missing from the answer, or without a product_id, is accounted for; messages are escaped", async () => {
    const mod: SandboxModule = {
      name: "stub",
      matches: () => true,
      handle(req, reply) {
        const ids = String(req.params.product_ids).split(",");
        reply.json({
          status: { code: 0, msg: "success" },
          data: ids.includes("a") ? [{ product_id: "a", link: "https://x.example/a", link_id: "LA" }] : [],
          error_list: [{ product_id: "b", message: "no\u001b[31m red\nline" }],
        });
      },
    };
    const sb = await startSandbox({ modules: [mod] });
    running.push(sb);
    const c = createAmazonClient({ token: TOKEN, apiUrl: `${sb.origin}/api/datafeed` });
    const products = ["a", "b", "c", ""].map((id) => normalizeAmazonProduct({ product_id: id, asin: "B0X" }));
    async function* one() {
      yield products;
    }
    const items = (await collect(withProductLinks(one(), c).products)).flat();
    expect(items.map((i) => [i.link_id, i.error])).toEqual([
      ["LA", undefined],
      ["", "no\\u001b[31m red\\u000aline"],
      ["", "not in PartnerBoost's answer (neither a link nor an error)"],
      ["", "no product_id to ask a link for"],
    ]);
  });
});

describe("an Amazon products answer without a list", () => {
  /** A client of a stub that answers every call with success and `data`. */
  async function answering(data: unknown) {
    const mod: SandboxModule = {
      name: "no-list",
      matches: () => true,
      handle: (_req, reply) => reply.json({ status: { code: 0, msg: "success" }, data }),
    };
    const sb = await startSandbox({ modules: [mod] });
    running.push(sb);
    return createAmazonClient({ token: TOKEN, apiUrl: `${sb.origin}/api/datafeed` }, { retry: FAST_RETRY });
  }

  it("is NET_BAD_RESPONSE naming the page, not an empty (successful) pull", async () => {
    for (const data of [null, {}, { has_more: false }]) {
      const c = await answering(data);
      const err = await caught(collect(pullAmazonProducts(c).products));
      expect(err.code).toBe("NET_BAD_RESPONSE");
      expect(err.message).toMatch(/answered Amazon products page 1 without a product list/);
    }
  });

  it("joined brands: no list is NET_BAD_RESPONSE too, an empty list is an empty page", async () => {
    for (const [data, listed] of [
      [null, false],
      [{}, false],
      [{ list: [], has_more: false }, true],
    ] as const) {
      const c = await answering(data);
      if (listed) {
        expect((await c.joinedBrands([], 1, 100)).brands).toEqual([]);
      } else {
        const err = await caught(c.joinedBrands([], 1, 100));
        expect(err.code).toBe("NET_BAD_RESPONSE");
        expect(err.message).toMatch(/answered joined brands page 1 without a brand list/);
      }
    }
  });
});

describe("link status", () => {
  it("active, inactive and unknown in batches; each id checked once", async () => {
    const { mod, client } = await sandbox({ products: 40 });
    const c = client();
    const linked = withProductLinks(pullAmazonProducts(c).products, c);
    const ids = (await collect(linked.products))
      .flat()
      .filter((i) => i.link_id !== "")
      .map((i) => i.link_id);
    mod.deactivate(ids[2]!);
    mod.deactivate(ids[5]!);
    async function* input() {
      yield* ids;
      yield ids[0]!;
      yield "never-issued-id";
    }
    const check = checkLinkStatus(input(), c, { batchSize: 8 });
    const results = (await collect(check.results)).flat();
    expect(results.map((r) => r.link_id)).toEqual([...ids, "never-issued-id"]);
    expect(results.filter((r) => r.state === "inactive").map((r) => r.link_id)).toEqual([ids[2], ids[5]]);
    expect(results.at(-1)).toMatchObject({ state: "unknown", active: undefined });
    expect(results[0]).toMatchObject({ state: "active", active: true, type: "product" });
    expect(mod.stats.statusBatches.every((n) => n <= 8)).toBe(true);
    expect(check.stats()).toMatchObject({ checked: ids.length + 1, inactive: 2, unknown: 1 });
  });
});

describe("base URL", () => {
  it("operations are appended to the configured folder, whatever its prefix (the seed page's base works too)", async () => {
    const { sb, mod } = await sandbox({ products: 5 });
    const c = createAmazonClient({ token: TOKEN, apiUrl: `${sb.origin}/amazon_api/` }, { retry: FAST_RETRY });
    expect((await collect(pullAmazonProducts(c).products)).flat()).toHaveLength(5);
    expect(mod.stats.calls).toEqual({ get_fba_products: 1 });
    expect(() => createAmazonClient({ token: TOKEN, apiUrl: "ftp://x/y" })).toThrow(
      /PARTNERBOOST_AMAZON_API_URL must be http\(s\)/,
    );
    expect(() => createAmazonClient({ token: "", apiUrl: sb.origin })).toThrow(
      /PARTNERBOOST_PUBLISHER_TOKEN/,
    );
  });
});
