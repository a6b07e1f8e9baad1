/**
 * PartnerBoost Publisher API: the publisher-side product source ("give me every product of brand X").
 *
 * Endpoints (see ../shared/reference/partnerboost/publisher-api-full.md):
 *   `api.php?mod=datafeed&op=list`               token + filters, `page` from 1, `limit` <= 100
 *   `api.php?mod=datafeed&op=request_download`   token + brand_id → data.id
 *   `api.php?mod=datafeed&op=get_download_url`   token + id → data.status (OK|FAIL|PENDING), data.url
 *
 * Requests are sent as POST application/x-www-form-urlencoded (the one method every datafeed
 * operation documents), so the token travels in the body, never in a URL. `method: "json"` (POST
 * JSON) and `method: "get"` exist for servers that want them; with GET the token is in the query
 * string, and every URL shown in an error goes through `redactUrl` (which masks `token`).
 *
 * Tolerance: `total` as a string or number; numbers as strings; `data.list` as an array, an
 * index-keyed object ({"0":{…},"1":{…}}) or missing (no products); a `has_more` flag when present;
 * the XML variant's `updated-at` spelling. Every field value becomes a string (null → "").
 * Unknown fields are ignored; list entries that are not objects are counted as malformed.
 *
 * Errors: 1001 (and 1000) → NET_AUTH_FAILED; 1002 and HTTP 429 → NET_RATE_LIMITED, retried through
 * `withRetry` (the one retry policy, honouring Retry-After); 1003/1004/1005 → NET_BAD_REQUEST with
 * the offending parameter in `context.field` and the message when the server names one. The token
 * is scrubbed from every message.
 */
import { FeedpipeError, NetworkError, redactSecrets, redactUrl } from "../../core/errors.js";
import { type PageResult, pagesInOrder } from "../../core/pull.js";
import type { SourceRecord } from "../../core/record.js";
import { RateLimits } from "../../core/rate-limits.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../../core/retry.js";
import { openFeed } from "../../formats/index.js";
import { expectOk, httpRequest, readText, retryAfterFrom } from "../../io/http.js";
import { parseEnvelope } from "./envelope.js";

/** Product fields the Datafeed List API returns, in feedpipe's stable export order. */
export const PUBLISHER_FIELDS = [
  "name",
  "description",
  "brand_id",
  "mcid",
  "merchant_name",
  "url",
  "image",
  "sku",
  "category",
  "price",
  "currency",
  "old_price",
  "brand",
  "availability",
  "gtin",
  "mpn",
  "custom1",
  "custom2",
  "custom3",
  "creative_id",
  "tracking_url",
  "tracking_url_short",
  "tracking_url_smart",
  "updated_at",
] as const;

export type PublisherField = (typeof PUBLISHER_FIELDS)[number];

/** One product as the publisher API returns it; every value is a string ("" when absent). */
export type PublisherProduct = Record<PublisherField, string>;

/** Export columns: the API fields, then `updated_at_iso` (ISO 8601 UTC from the Unix seconds). */
export const PUBLISHER_COLUMNS = [...PUBLISHER_FIELDS, "updated_at_iso"] as const;

export type PublisherRow = PublisherProduct & { updated_at_iso: string };

export const BRAND_TYPES = ["TikTok", "DTC", "Walmart"] as const;
export const PRICE_RANGES = ["0-75", "75-150", "150-300", "300-500", "500-1000", "1000+"] as const;
export const MIN_DISCOUNTS = [75, 50, 25, 10] as const;
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 100;
export const DEFAULT_CONCURRENCY = 4;

export type BrandType = (typeof BRAND_TYPES)[number];
export type PriceRange = (typeof PRICE_RANGES)[number];
export type MinDiscount = (typeof MIN_DISCOUNTS)[number];

/** Filters as a user gives them (loose). */
export interface PublisherFilters {
  brandType?: string | undefined;
  brandId?: string | number | undefined;
  mcid?: string | undefined;
  keywords?: string | undefined;
  priceRange?: string | undefined;
  minDiscount?: string | number | undefined;
}

/** Filters checked and normalised, as sent (API parameter names). */
export interface ResolvedFilters {
  brand_type?: BrandType | undefined;
  brand_id?: string | undefined;
  mcid?: string | undefined;
  keywords?: string | undefined;
  price_range?: PriceRange | undefined;
  min_discount?: MinDiscount | undefined;
}

const OPTION_NAMES: Record<keyof PublisherFilters, string> = {
  brandType: "--brand-type",
  brandId: "--brand-id",
  mcid: "--mcid",
  keywords: "--keywords",
  priceRange: "--price-range",
  minDiscount: "--min-discount",
};

function invalid(
  key: keyof PublisherFilters | "limit" | "concurrency",
  expected: string,
  got: unknown,
): FeedpipeError {
  const name = key === "limit" ? "--limit" : key === "concurrency" ? "--concurrency" : OPTION_NAMES[key];
  const shown =
    typeof got === "string" ? JSON.stringify(got.length > 60 ? `${got.slice(0, 60)}…` : got) : String(got);
  return new FeedpipeError("INVALID_OPTION", `Invalid option ${name}: expected ${expected}, got ${shown}`, {
    context: { field: name },
  });
}

/**
 * Check filters before any request. Throws FeedpipeError INVALID_OPTION, e.g.
 * `Invalid option --price-range: expected one of 0-75, 75-150, ..., 1000+, got "10-20"`.
 * Brand types are matched case-insensitively and sent in the documented spelling.
 */
export function resolvePublisherFilters(input: PublisherFilters = {}): ResolvedFilters {
  const out: ResolvedFilters = {};
  const text = (key: keyof PublisherFilters): string | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" && typeof v !== "number") throw invalid(key, "text", typeof v);
    const s = String(v).trim();
    if (s === "") throw invalid(key, "a value", v);
    return s;
  };
  const brandType = text("brandType");
  if (brandType !== undefined) {
    const found = BRAND_TYPES.find((t) => t.toLowerCase() === brandType.toLowerCase());
    if (!found) throw invalid("brandType", `one of ${BRAND_TYPES.join(", ")}`, input.brandType);
    out.brand_type = found;
  }
  const brandId = text("brandId");
  if (brandId !== undefined) {
    if (!/^\d{1,20}$/.test(brandId))
      throw invalid("brandId", "a brand id of digits (like 66303)", input.brandId);
    out.brand_id = brandId;
  }
  const mcid = text("mcid");
  if (mcid !== undefined) {
    if (mcid.length > 100 || /[\s\u0000-\u001f]/.test(mcid)) {
      throw invalid("mcid", "a brand identifier without spaces (like ulike0)", input.mcid);
    }
    out.mcid = mcid;
  }
  const keywords = text("keywords");
  if (keywords !== undefined) {
    if (keywords.length > 200)
      throw invalid("keywords", "at most 200 characters", `${keywords.length} characters`);
    out.keywords = keywords;
  }
  const priceRange = text("priceRange");
  if (priceRange !== undefined) {
    const found = PRICE_RANGES.find((r) => r === priceRange.replace(/\s+/g, ""));
    if (!found) throw invalid("priceRange", `one of ${PRICE_RANGES.join(", ")}`, input.priceRange);
    out.price_range = found;
  }
  const minDiscount = text("minDiscount");
  if (minDiscount !== undefined) {
    const n = Number(minDiscount.replace(/%$/, ""));
    const found = MIN_DISCOUNTS.find((d) => d === n);
    if (found === undefined)
      throw invalid("minDiscount", `one of ${MIN_DISCOUNTS.join(", ")}`, input.minDiscount);
    out.min_discount = found;
  }
  return out;
}

/** Check a page size: a whole number 1..100. */
export function checkPageLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw invalid("limit", `a whole number from 1 to ${MAX_PAGE_LIMIT}`, limit);
  }
  return limit;
}

function checkConcurrency(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 64) {
    throw invalid("concurrency", "a whole number from 1 to 64", n);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Response normalisation

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v);
}

const FIELD_ALIASES: Record<string, PublisherField> = { "updated-at": "updated_at", updatedat: "updated_at" };

/** Turn one raw product object (JSON list entry or CSV row) into a PublisherProduct. */
export function normalizePublisherProduct(raw: Record<string, unknown>): PublisherProduct {
  const p = {} as PublisherProduct;
  for (const f of PUBLISHER_FIELDS) p[f] = "";
  for (const [key, value] of Object.entries(raw)) {
    const k = key
      .replace(/^\uFEFF/, "")
      .trim()
      .toLowerCase();
    const field = (PUBLISHER_FIELDS as readonly string[]).includes(k)
      ? (k as PublisherField)
      : FIELD_ALIASES[k];
    if (field !== undefined && (p[field] === "" || k === field)) p[field] = str(value).trim();
  }
  return p;
}

/** ISO 8601 UTC (`2024-03-11T02:02:27Z`) from Unix seconds (or milliseconds); "" when not a timestamp. */
export function unixToIso(value: string): string {
  const s = value.trim();
  if (!/^\d{1,14}(\.\d+)?$/.test(s)) return "";
  let n = Number(s);
  if (n >= 1e12) n /= 1000; // milliseconds
  const d = new Date(Math.round(n * 1000));
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().replace(/\.000Z$/, "Z");
}

/** The export row for a product: its fields plus `updated_at_iso`. */
export function publisherRow(p: PublisherProduct): PublisherRow {
  return { ...p, updated_at_iso: unixToIso(p.updated_at) };
}

function toCount(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return Math.floor(v);
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function toFlag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "1" || s === "true" || s === "yes") return true;
    if (s === "0" || s === "false" || s === "no" || s === "") return false;
  }
  return undefined;
}

/** List entries in order: an array, or an object keyed by index (sorted numerically). */
function listEntries(list: unknown): unknown[] {
  if (list === undefined || list === null || list === "") return [];
  if (Array.isArray(list)) return list;
  if (isObject(list)) {
    const keys = Object.keys(list);
    const numeric = keys.every((k) => /^\d+$/.test(k));
    if (numeric) keys.sort((a, b) => Number(a) - Number(b));
    // A single product object (not index-keyed) is a list of one.
    if (!numeric && keys.some((k) => k === "sku" || k === "name")) return [list];
    return keys.map((k) => list[k]);
  }
  return [list];
}

export interface PublisherPage {
  /** `data.total`; undefined when the server did not say. */
  total: number | undefined;
  products: PublisherProduct[];
  /** `data.has_more` when present. */
  hasMore?: boolean | undefined;
  /** List entries that were not product objects (counted, not exported). */
  malformed: number;
}

export function parseListData(data: unknown): PublisherPage {
  const d = isObject(data) ? data : {};
  const products: PublisherProduct[] = [];
  let malformed = 0;
  for (const entry of listEntries(d.list)) {
    if (isObject(entry)) products.push(normalizePublisherProduct(entry));
    else malformed++;
  }
  const page: PublisherPage = { total: toCount(d.total), products, malformed };
  const hasMore = toFlag(d.has_more ?? d.hasMore);
  if (hasMore !== undefined) page.hasMore = hasMore;
  return page;
}

// ---------------------------------------------------------------------------------------------
// Client

export interface PublisherClientConfig {
  token: string;
  /** `https://app.partnerboost.com/api.php` or the sandbox's `http://127.0.0.1:PORT/api.php`. */
  apiUrl: string;
}

export type PublisherRequestMethod = "form" | "json" | "get";

export interface PublisherClientOptions {
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** HTTP connect/response timeout per request (ms). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** How parameters are sent (default "form": POST application/x-www-form-urlencoded). */
  method?: PublisherRequestMethod | undefined;
  /** Jitter source for the retry backoff (tests). */
  random?: (() => number) | undefined;
  /** The run's rate controllers (1002 / 429 pace every request of the run); default: its own. */
  rates?: RateLimits | undefined;
}

export type DownloadStatus = "OK" | "FAIL" | "PENDING";

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface PublisherClient {
  readonly apiUrl: string;
  listPage(
    filters: PublisherFilters | ResolvedFilters,
    page: number,
    limit: number,
    options?: CallOptions,
  ): Promise<PublisherPage>;
  requestDownload(brandId: string | number, options?: CallOptions): Promise<string>;
  getDownloadUrl(
    id: string | number,
    options?: CallOptions,
  ): Promise<{ status: DownloadStatus; url: string }>;
  /** Requests sent so far (including retries). */
  readonly requests: number;
  /** Retries so far. */
  readonly retries: number;
}

/** Parameter names the API knows: an error message that names one is about that parameter. */
const API_PARAMETERS = [
  "brand_type",
  "brand_id",
  "mcid",
  "keywords",
  "price_range",
  "min_discount",
  "page",
  "limit",
  "token",
  "type",
  "id",
];

function offendingParameter(message: string): string | undefined {
  const m = message.toLowerCase();
  // The parameter named first in the message; whole words only (brand_id is not id).
  let best: { p: string; at: number } | undefined;
  for (const p of API_PARAMETERS) {
    const found = new RegExp(`(^|[^a-z_])${p}([^a-z_]|$)`).exec(m);
    if (found === null) continue;
    const at = found.index + found[1]!.length;
    if (best === undefined || at < best.at) best = { p, at };
  }
  return best?.p;
}

function opUrl(apiUrl: string, op: string): string {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `PARTNERBOOST_PUBLISHER_API_URL is not a valid URL: ${JSON.stringify(redactUrl(apiUrl))}`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `PARTNERBOOST_PUBLISHER_API_URL must be http(s), got ${u.protocol}`,
    );
  }
  u.searchParams.set("mod", "datafeed");
  u.searchParams.set("op", op);
  return u.toString();
}

/** Filters to API parameters. Loose and resolved filters are both accepted and (re)checked. */
export function filterParams(filters: PublisherFilters | ResolvedFilters): Record<string, string> {
  const f = filters as PublisherFilters & ResolvedFilters;
  const resolved = resolvePublisherFilters({
    brandType: f.brandType ?? f.brand_type,
    brandId: f.brandId ?? f.brand_id,
    mcid: f.mcid,
    keywords: f.keywords,
    priceRange: f.priceRange ?? f.price_range,
    minDiscount: f.minDiscount ?? f.min_discount,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(resolved)) if (v !== undefined) out[k] = String(v);
  return out;
}

export function createPublisherClient(
  config: PublisherClientConfig,
  options: PublisherClientOptions = {},
): PublisherClient {
  const token = config.token;
  if (typeof token !== "string" || token.trim() === "") {
    throw new FeedpipeError(
      "CONFIG_MISSING",
      "PartnerBoost publisher pull needs PARTNERBOOST_PUBLISHER_TOKEN",
    );
  }
  const method = options.method ?? "form";
  const urls = {
    list: opUrl(config.apiUrl, "list"),
    request_download: opUrl(config.apiUrl, "request_download"),
    get_download_url: opUrl(config.apiUrl, "get_download_url"),
  };
  let requests = 0;
  let retries = 0;
  const rates = options.rates ?? new RateLimits();

  const scrub = (err: unknown): unknown => {
    if (err instanceof Error && err.message.includes(token))
      err.message = redactSecrets(err.message, [token]);
    return err;
  };

  async function call(op: keyof typeof urls, params: Record<string, string>, callOptions: CallOptions = {}) {
    const base = urls[op];
    const signals = [options.signal, callOptions.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal =
      signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const all = { token, ...params };
    let url = base;
    let body: string | undefined;
    const headers: Record<string, string> = { accept: "application/json" };
    if (method === "get") {
      const u = new URL(base);
      for (const [k, v] of Object.entries(all)) u.searchParams.set(k, v);
      url = u.toString();
    } else if (method === "json") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(all);
    } else {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(all).toString();
    }
    try {
      return await withRetry(
        async () => {
          requests++;
          const res = await expectOk(
            await httpRequest(url, {
              method: method === "get" ? "GET" : "POST",
              headers,
              body,
              timeoutMs: options.timeoutMs,
              signal,
              rate: rates.for(url),
            }),
          );
          const text = await readText(res);
          try {
            return parseEnvelope(text, url, retryAfterFrom(res.headers));
          } catch (err) {
            throw refine(err, token);
          }
        },
        {
          policy: options.retry,
          signal,
          random: options.random,
          rate: rates.for(url),
          onRetry: (event) => {
            retries++;
            scrub(event.error);
            options.onRetry?.(event);
          },
        },
      );
    } catch (err) {
      if (signal?.aborted && !(err instanceof FeedpipeError && err.code !== "ABORTED")) {
        throw new FeedpipeError("ABORTED", `The request to ${redactUrl(url)} was interrupted`, {
          cause: err,
        });
      }
      throw scrub(err);
    }
  }

  return {
    apiUrl: config.apiUrl,
    get requests() {
      return requests;
    },
    get retries() {
      return retries;
    },
    async listPage(filters, page, limit, callOptions) {
      const params = filterParams(filters);
      checkPageLimit(limit);
      if (!Number.isInteger(page) || page < 1) {
        throw new FeedpipeError(
          "INVALID_OPTION",
          `Invalid option page: expected a whole number from 1, got ${page}`,
        );
      }
      const data = await call("list", { ...params, page: String(page), limit: String(limit) }, callOptions);
      return parseListData(data);
    },
    async requestDownload(brandId, callOptions) {
      const id = resolvePublisherFilters({ brandId }).brand_id;
      if (id === undefined) throw invalid("brandId", "a brand id of digits (like 66303)", brandId);
      const data = await call("request_download", { brand_id: id }, callOptions);
      const downloadId = isObject(data) ? str(data.id).trim() : "";
      if (downloadId === "") {
        throw new NetworkError(
          "NET_BAD_RESPONSE",
          `PartnerBoost at ${redactUrl(urls.request_download)} accepted the download request but returned no data.id`,
          { context: { url: redactUrl(urls.request_download) } },
        );
      }
      return downloadId;
    },
    async getDownloadUrl(id, callOptions) {
      const data = await call("get_download_url", { id: String(id) }, callOptions);
      const d = isObject(data) ? data : {};
      const status = str(d.status).trim().toUpperCase();
      if (status !== "OK" && status !== "FAIL" && status !== "PENDING") {
        throw new NetworkError(
          "NET_BAD_RESPONSE",
          `PartnerBoost at ${redactUrl(urls.get_download_url)} returned download status ${JSON.stringify(str(d.status))} (expected OK, FAIL or PENDING)`,
          { context: { url: redactUrl(urls.get_download_url) } },
        );
      }
      return { status, url: str(d.url).trim() };
    },
  };
}

/** Publisher-specific wording for auth errors, and the parameter name on 1003/1004/1005. */
function refine(err: unknown, token: string): unknown {
  if (!(err instanceof NetworkError)) return err;
  const apiCode = err.context.apiCode;
  if (err.code === "NET_AUTH_FAILED" && (apiCode === 1001 || apiCode === 1000)) {
    const what =
      apiCode === 1001
        ? "rejected the publisher token (code 1001, invalid token)"
        : "says the publisher account does not exist (code 1000)";
    return new NetworkError(
      "NET_AUTH_FAILED",
      `PartnerBoost ${what}; check PARTNERBOOST_PUBLISHER_TOKEN (or partnerboost.publisherToken in the config file)`,
      { cause: err, context: { ...err.context } },
    );
  }
  if (err.code === "NET_BAD_REQUEST") {
    const field = offendingParameter(redactSecrets(err.message, [token]));
    if (field !== undefined) {
      err.context.field = field;
      if (!err.message.includes(`parameter ${field}`)) err.message = `${err.message} (parameter ${field})`;
    }
  }
  return err;
}

// ---------------------------------------------------------------------------------------------
// Paging

export interface PullStats {
  /** "list" (paged API) or "bulk" (download file). */
  mode: "list" | "bulk";
  pages: number;
  /** Products yielded (after duplicates were dropped). */
  products: number;
  /** Products seen again (same sku and brand_id) and not yielded twice. */
  duplicates: number;
  /** List entries that were not product objects, or unreadable rows of a bulk file. */
  malformed: number;
  /** First examples of malformed entries ("page 3 entry 7: ...", "line 12: ..."). */
  malformedExamples: string[];
  /** `total` from the first page (undefined for bulk downloads and servers that do not say). */
  total: number | undefined;
  /** The largest `total` seen on any page (differs from `total` when the catalog moved). */
  totalLast: number | undefined;
  /** products === total; undefined when there is no total. */
  match: boolean | undefined;
  /** HTTP requests made and retries among them. */
  requests: number;
  retries: number;
}

export interface PullPageInfo {
  page: number;
  lastPage: number;
  total: number | undefined;
  /** Products yielded so far (after duplicates). */
  products: number;
  duplicates: number;
  /** Products in this page (after duplicates). */
  pageProducts: number;
}

export interface PullOptions {
  /** Page size 1..100 (default 100). */
  limit?: number | undefined;
  /** Pages in flight at once (default 4). */
  concurrency?: number | undefined;
  /** Pages held ahead of the consumer (default concurrency * 2). */
  window?: number | undefined;
  signal?: AbortSignal | undefined;
  onPage?: ((info: PullPageInfo) => void) | undefined;
}

export interface PublisherPull {
  /** Product batches (one per page, in page order; duplicates already dropped). */
  products: AsyncIterable<PublisherProduct[]>;
  /** Counters so far; final once `products` is drained. */
  stats(): PullStats;
}

/**
 * The duplicate key: sku + brand_id (two brands may use the same sku; mcid is sometimes empty).
 * A product without a sku has no identity and is never treated as a duplicate.
 */
export function productKey(p: PublisherProduct): string | undefined {
  return p.sku === "" ? undefined : `${p.brand_id}\u0000${p.sku}`;
}

function newStats(mode: PullStats["mode"]): PullStats {
  return {
    mode,
    pages: 0,
    products: 0,
    duplicates: 0,
    malformed: 0,
    malformedExamples: [],
    total: undefined,
    totalLast: undefined,
    match: undefined,
    requests: 0,
    retries: 0,
  };
}

class Deduper {
  private readonly seen = new Set<string>();
  constructor(private readonly stats: PullStats) {}
  filter(products: PublisherProduct[]): PublisherProduct[] {
    const out: PublisherProduct[] = [];
    for (const p of products) {
      const key = productKey(p);
      if (key !== undefined) {
        if (this.seen.has(key)) {
          this.stats.duplicates++;
          continue;
        }
        this.seen.add(key);
      }
      out.push(p);
    }
    this.stats.products += out.length;
    return out;
  }
}

/**
 * Pull every product matching the filters: page 1 alone (it tells `total`), then pages 2..N
 * concurrently within a bounded window, yielded in page order. Stops when page * limit >= total
 * (the largest total seen, so a catalog that grows while paging is followed to its end), on a
 * `has_more: false`, or on an empty page. Filters and options are checked when this is called,
 * before any request.
 */
export function pullPublisherProducts(
  client: PublisherClient,
  filters: PublisherFilters | ResolvedFilters = {},
  options: PullOptions = {},
): PublisherPull {
  const params = filterParams(filters);
  const limit = checkPageLimit(options.limit ?? DEFAULT_PAGE_LIMIT);
  const concurrency = checkConcurrency(options.concurrency ?? DEFAULT_CONCURRENCY);
  const stats = newStats("list");
  const dedupe = new Deduper(stats);
  const requestsBefore = client.requests;
  const retriesBefore = client.retries;
  const snapshot = (): PullStats => ({
    ...stats,
    malformedExamples: [...stats.malformedExamples],
    requests: client.requests - requestsBefore,
    retries: client.retries - retriesBefore,
    match: stats.total === undefined ? undefined : stats.products === stats.total,
  });

  async function* run(): AsyncGenerator<PublisherProduct[]> {
    let known = 0; // largest total seen
    const pages = pagesInOrder<PublisherPage>({
      concurrency,
      window: options.window,
      signal: options.signal,
      fetch: (page, signal) => client.listPage(params, page, limit, { signal }),
      decide: (result, page) => {
        if (result.total !== undefined) {
          if (stats.total === undefined) stats.total = result.total;
          known = Math.max(known, result.total);
          stats.totalLast = known;
        }
        const empty = result.products.length === 0 && result.malformed === 0;
        const stop = empty || result.hasMore === false;
        if (result.total === undefined && stats.total === undefined) {
          // No total: follow has_more, or a full page, one page at a time.
          const more = result.hasMore ?? result.products.length + result.malformed >= limit;
          return { lastPage: more && !stop ? page + 1 : page, stop: stop || !more };
        }
        return { lastPage: Math.ceil(known / limit), stop };
      },
    });
    for await (const { page, result, lastPage } of pages as AsyncIterable<PageResult<PublisherPage>>) {
      stats.pages++;
      if (result.malformed > 0) {
        stats.malformed += result.malformed;
        if (stats.malformedExamples.length < 5) {
          stats.malformedExamples.push(
            `page ${page}: ${result.malformed} list entries that are not products`,
          );
        }
      }
      const batch = dedupe.filter(result.products);
      options.onPage?.({
        page,
        lastPage,
        total: stats.total,
        products: stats.products,
        duplicates: stats.duplicates,
        pageProducts: batch.length,
      });
      yield batch;
    }
  }

  return { products: run(), stats: snapshot };
}

// ---------------------------------------------------------------------------------------------
// Bulk download

export interface BulkPollInfo {
  id: string;
  polls: number;
  status: DownloadStatus;
  elapsedMs: number;
}

export interface BulkOptions {
  /** First wait between polls (ms, default 2000); grows by half each poll up to maxPollIntervalMs. */
  pollIntervalMs?: number | undefined;
  /** Longest wait between polls (ms, default 30000). */
  maxPollIntervalMs?: number | undefined;
  /** Give up waiting for the file after this long (ms, default 10 minutes): NET_TIMEOUT. */
  timeoutMs?: number | undefined;
  /** HTTP timeout for the file download (ms). */
  downloadTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onRequested?: ((id: string) => void) | undefined;
  onPoll?: ((info: BulkPollInfo) => void) | undefined;
  /** Called as the file's raw bytes arrive. */
  onBytes?: ((n: number) => void) | undefined;
  /** Products per yielded batch are whatever the CSV reader yields. */
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new FeedpipeError("ABORTED", "The pull was interrupted"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new FeedpipeError("ABORTED", "The pull was interrupted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Request a brand's download file and poll until it is ready. Returns the file URL.
 * FAIL → NET_DOWNLOAD_FAILED; not ready within `timeoutMs` → NET_TIMEOUT.
 */
export async function waitForDownload(
  client: PublisherClient,
  brandId: string | number,
  options: BulkOptions = {},
): Promise<{ id: string; url: string; polls: number }> {
  const interval = options.pollIntervalMs ?? 2_000;
  const maxInterval = Math.max(interval, options.maxPollIntervalMs ?? 30_000);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = Date.now();
  const id = await client.requestDownload(brandId, { signal: options.signal });
  options.onRequested?.(id);
  let wait = interval;
  for (let polls = 1; ; polls++) {
    const { status, url } = await client.getDownloadUrl(id, { signal: options.signal });
    const elapsedMs = Date.now() - started;
    options.onPoll?.({ id, polls, status, elapsedMs });
    if (status === "OK") {
      if (url === "") {
        throw new NetworkError(
          "NET_BAD_RESPONSE",
          `PartnerBoost said download ${id} is ready (OK) but gave no URL`,
          { context: { downloadId: id } },
        );
      }
      return { id, url, polls };
    }
    if (status === "FAIL") {
      throw new NetworkError(
        "NET_DOWNLOAD_FAILED",
        `PartnerBoost could not prepare the product file for brand ${String(brandId)} (download ${id}: status FAIL); try again later or pull page by page without --bulk`,
        { context: { downloadId: id, brandId: String(brandId) } },
      );
    }
    if (elapsedMs + wait > timeoutMs) {
      throw new NetworkError(
        "NET_TIMEOUT",
        `PartnerBoost's product file for brand ${String(brandId)} (download ${id}) was still PENDING after ${Math.round(elapsedMs / 1000)} s and ${polls} polls; try again later or raise the bulk timeout`,
        { context: { downloadId: id, brandId: String(brandId), polls } },
      );
    }
    await sleep(wait, options.signal);
    wait = Math.min(maxInterval, Math.ceil(wait * 1.5));
  }
}

function describeProblem(r: SourceRecord): string {
  const where = r.line !== undefined ? `line ${r.line}` : `record ${r.index}`;
  return `${where}: ${r.problem?.message ?? "unreadable row"}`;
}

/**
 * The bulk path: request the brand's file, poll until ready, then stream the CSV at the URL through
 * the ingest reader (openFeed). Rows the reader could not read cleanly (ragged rows, bad bytes) are
 * counted as malformed with examples, not exported; duplicates are dropped as in the paged pull.
 */
export function bulkPublisherProducts(
  client: PublisherClient,
  brandId: string | number,
  options: BulkOptions = {},
): PublisherPull & { download(): { id: string; url: string; polls: number } | undefined } {
  const resolved = resolvePublisherFilters({ brandId }).brand_id;
  if (resolved === undefined) throw invalid("brandId", "a brand id of digits (like 66303)", brandId);
  const stats = newStats("bulk");
  const dedupe = new Deduper(stats);
  const requestsBefore = client.requests;
  const retriesBefore = client.retries;
  let download: { id: string; url: string; polls: number } | undefined;

  async function* run(): AsyncGenerator<PublisherProduct[]> {
    download = await waitForDownload(client, resolved!, options);
    const feed = await openFeed(download.url, {
      format: "csv",
      timeoutMs: options.downloadTimeoutMs,
      signal: options.signal,
      onBytes: options.onBytes,
    }).catch((err: unknown) => {
      if (err instanceof FeedpipeError && err.code === "FEED_EMPTY") return undefined; // no products
      throw err;
    });
    if (feed === undefined) return;
    for await (const records of feed.records) {
      if (options.signal?.aborted) throw new FeedpipeError("ABORTED", "The pull was interrupted");
      const products: PublisherProduct[] = [];
      for (const r of records) {
        if (r.problem?.severity === "error") {
          stats.malformed++;
          if (stats.malformedExamples.length < 5) stats.malformedExamples.push(describeProblem(r));
          continue;
        }
        products.push(normalizePublisherProduct(r.fields));
      }
      stats.pages++;
      yield dedupe.filter(products);
    }
  }

  return {
    products: run(),
    stats: () => ({
      ...stats,
      pages: 0,
      malformedExamples: [...stats.malformedExamples],
      requests: client.requests - requestsBefore,
      retries: client.retries - retriesBefore,
    }),
    download: () => download,
  };
}

/** Publisher product → the product-rules candidate (for `--validate`). */
export function publisherCandidate(p: PublisherProduct): Record<string, string> {
  return {
    name: p.name,
    url: p.url,
    image: p.image,
    sku: p.sku,
    price: p.price,
    currency: p.currency,
    description: p.description,
    category: p.category,
    old_price: p.old_price,
    brand: p.brand,
    gtin: p.gtin,
    mpn: p.mpn,
    availability: p.availability,
  };
}
