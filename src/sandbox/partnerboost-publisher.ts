/**
 * Sandbox module: PartnerBoost Publisher API datafeed operations, served from a seeded catalog.
 *
 *   /api.php?mod=datafeed&op=list               GET, POST form or POST JSON (parameters merged)
 *   /api.php?mod=datafeed&op=request_download   brand_id → data.id
 *   /api.php?mod=datafeed&op=get_download_url   id → data.status PENDING (first `downloadPendingPolls`
 *                                                polls), then OK with data.url
 *   /files/pb-download-<id>.csv                 the brand's products as CSV (exempt from faults)
 *
 * Contract as served (and documented choices where the real API is silent):
 * - Envelope `{"status":{"code":0,"msg":"success"},"data":{"total":"123","list":[…]}}`; `total` and
 *   every product value are strings. `listAsObject: true` sends `list` as {"0":{…},"1":{…}};
 *   `hasMore: true` adds a `has_more` flag.
 * - Codes: 1001 "Invalid token" for a missing or wrong token; 1003 "Invalid input: <param> …" for a
 *   bad parameter (it is named in the message: brand_type, brand_id, price_range, min_discount, page,
 *   limit, type, id, op); 1004 "Too many input: limit …" for limit over 100; 1005 "Identifier too long:
 *   mcid" for an mcid over 64 characters; 1002 (HTTP 200) or HTTP 429 when rate limited (style from the
 *   fault options).
 * - Paging: `page` from 1 (default 1), `limit` 1..100 (default 20); a page past the end is an empty
 *   list with the total.
 * - Filters: brand_type (case-insensitive), brand_id, mcid (exact); keywords: every word must appear in
 *   the name or description (case-insensitive); price_range: lower bound inclusive, upper exclusive
 *   ("1000+" is >= 1000); min_discount: (old_price - price) / old_price >= d% (products without an
 *   old price above the price have no discount).
 * - `shiftAfterPage: k`: once a list page k has been served, `shiftCount` (default 10) new products are
 *   inserted at the front of the catalog (the catalog moved while paging: later pages repeat products).
 * - `failListAfter: n`: after n list answers, every list request gets HTTP 503 (a server that breaks
 *   down mid-pull).
 * - `downloadFails: true`: get_download_url answers FAIL after the pending polls.
 * - request_download for a brand with no products: 1003 "Invalid input: brand_id … has no products".
 */
import { PUBLISHER_FIELDS } from "../networks/partnerboost/publisher.js";
import { type CatalogBrand, type CatalogProduct, generateCatalog } from "./catalog.js";
import { envelope, ParamError, text } from "./partnerboost-common.js";
import type { SandboxModule, SandboxReply, SandboxRequest } from "./server.js";

export interface PartnerboostPublisherOptions {
  /** The publisher token the sandbox accepts. */
  token: string;
  /** Catalog size (default 2500). */
  products?: number | undefined;
  seed?: number | undefined;
  /** Brands (a list, or how many of the default brands). */
  brands?: number | readonly CatalogBrand[] | undefined;
  /** Catalog flaw rate (see catalog.ts; default 0.02). */
  flawRate?: number | undefined;
  /** get_download_url answers PENDING this many times per id before OK (default 2). */
  downloadPendingPolls?: number | undefined;
  /** get_download_url ends in FAIL instead of OK. */
  downloadFails?: boolean | undefined;
  /** Send data.list as an index-keyed object. */
  listAsObject?: boolean | undefined;
  /** Add data.has_more. */
  hasMore?: boolean | undefined;
  /** After list page k is served (first time), insert `shiftCount` products at the front. */
  shiftAfterPage?: number | undefined;
  shiftCount?: number | undefined;
  /** After this many list answers, list requests fail with HTTP 503. */
  failListAfter?: number | undefined;
  /** Seconds sent in Retry-After on HTTP 429 answers (default 1). */
  retryAfterSeconds?: number | undefined;
}

export interface PublisherSandboxStats {
  list: number;
  requestDownload: number;
  getDownloadUrl: number;
  files: number;
  /** Every list request's parameters (token removed), in arrival order. */
  listParams: Record<string, string>[];
}

export interface PartnerboostPublisherModule extends SandboxModule {
  /** The catalog as served (changes when a shift happens). */
  readonly catalog: readonly CatalogProduct[];
  readonly stats: PublisherSandboxStats;
  /** The products a list request with these filters would page through. */
  filtered(params: Record<string, unknown>): readonly CatalogProduct[];
}

const BRAND_TYPES = ["tiktok", "dtc", "walmart"];
const PRICE_RANGES: Record<string, [number, number]> = {
  "0-75": [0, 75],
  "75-150": [75, 150],
  "150-300": [150, 300],
  "300-500": [300, 500],
  "500-1000": [500, 1000],
  "1000+": [1000, Number.POSITIVE_INFINITY],
};
const DISCOUNTS = new Set(["75", "50", "25", "10"]);
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 20;

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function discountOf(p: CatalogProduct): number {
  const price = Number(p.price);
  const old = Number(p.old_price);
  if (p.old_price === "" || !Number.isFinite(old) || !Number.isFinite(price) || old <= price || old <= 0)
    return 0;
  return ((old - price) / old) * 100;
}

export function partnerboostPublisherModule(
  options: PartnerboostPublisherOptions,
): PartnerboostPublisherModule {
  let catalog: CatalogProduct[] = generateCatalog({
    count: options.products ?? 2500,
    seed: options.seed,
    brands: options.brands,
    flawRate: options.flawRate,
  });
  let version = 0;
  let shifted = false;
  let listAnswers = 0;
  const cache = new Map<string, CatalogProduct[]>();
  const downloads = new Map<string, { brandId: string; polls: number }>();
  let nextDownloadId = 371;
  const pending = options.downloadPendingPolls ?? 2;
  const stats: PublisherSandboxStats = {
    list: 0,
    requestDownload: 0,
    getDownloadUrl: 0,
    files: 0,
    listParams: [],
  };

  function checkFilters(params: Record<string, unknown>): Record<string, string> {
    const f: Record<string, string> = {};
    const brandType = text(params.brand_type);
    if (brandType) {
      if (!BRAND_TYPES.includes(brandType.toLowerCase())) {
        throw new ParamError(1003, "Invalid input: brand_type must be one of TikTok, DTC, Walmart");
      }
      f.brand_type = brandType.toLowerCase();
    }
    const brandId = text(params.brand_id);
    if (brandId) {
      if (!/^\d+$/.test(brandId)) throw new ParamError(1003, "Invalid input: brand_id must be a number");
      f.brand_id = brandId;
    }
    const mcid = text(params.mcid);
    if (mcid) {
      if (mcid.length > 64) throw new ParamError(1005, "Identifier too long: mcid");
      f.mcid = mcid;
    }
    const keywords = text(params.keywords);
    if (keywords) f.keywords = keywords.toLowerCase();
    const priceRange = text(params.price_range);
    if (priceRange) {
      if (!(priceRange in PRICE_RANGES)) {
        throw new ParamError(
          1003,
          `Invalid input: price_range must be one of ${Object.keys(PRICE_RANGES).join(", ")}`,
        );
      }
      f.price_range = priceRange;
    }
    const minDiscount = text(params.min_discount);
    if (minDiscount) {
      if (!DISCOUNTS.has(minDiscount))
        throw new ParamError(1003, "Invalid input: min_discount must be one of 75, 50, 25, 10");
      f.min_discount = minDiscount;
    }
    return f;
  }

  function applyFilters(f: Record<string, string>): CatalogProduct[] {
    const key = `${version}|${JSON.stringify(f)}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const words = f.keywords ? f.keywords.split(/\s+/).filter(Boolean) : [];
    const range = f.price_range ? PRICE_RANGES[f.price_range] : undefined;
    const minDiscount = f.min_discount ? Number(f.min_discount) : 0;
    const out = catalog.filter((p) => {
      if (f.brand_type && p.brand_type.toLowerCase() !== f.brand_type) return false;
      if (f.brand_id && p.brand_id !== f.brand_id) return false;
      if (f.mcid && p.mcid !== f.mcid) return false;
      if (words.length > 0) {
        const hay = `${p.name} ${p.description}`.toLowerCase();
        if (!words.every((w) => hay.includes(w))) return false;
      }
      if (range) {
        const price = Number(p.price);
        if (!(price >= range[0] && price < range[1])) return false;
      }
      if (minDiscount > 0 && discountOf(p) < minDiscount) return false;
      return true;
    });
    if (cache.size > 64) cache.clear();
    cache.set(key, out);
    return out;
  }

  function wireProduct(p: CatalogProduct): Record<string, string> {
    const o: Record<string, string> = {};
    for (const f of PUBLISHER_FIELDS) o[f] = p[f];
    return o;
  }

  function shift(): void {
    const count = options.shiftCount ?? 10;
    const fresh = generateCatalog({
      count,
      seed: (options.seed ?? 42) + 7919,
      brands: options.brands,
      flawRate: 0,
      skuPrefix: "NEW-",
    });
    catalog = [...fresh, ...catalog];
    version++;
    cache.clear();
  }

  function list(req: SandboxRequest, reply: SandboxReply): void {
    if (options.failListAfter !== undefined && listAnswers >= options.failListAfter) {
      reply.status(503).header("retry-after", "0").text("Service Unavailable (sandbox: failListAfter)");
      return;
    }
    const params = req.params;
    const filters = checkFilters(params);
    const pageText = text(params.page) || "1";
    if (!/^\d+$/.test(pageText) || Number(pageText) < 1) {
      throw new ParamError(1003, "Invalid input: page must be a whole number from 1");
    }
    const limitText = text(params.limit) || String(DEFAULT_LIMIT);
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) {
      throw new ParamError(1003, "Invalid input: limit must be a whole number from 1 to 100");
    }
    const limit = Number(limitText);
    if (limit > MAX_LIMIT)
      throw new ParamError(1004, "Too many input: limit must be at most 100 products per page");
    const page = Number(pageText);
    const all = applyFilters(filters);
    const slice = all.slice((page - 1) * limit, page * limit).map(wireProduct);
    const data: Record<string, unknown> = {
      total: String(all.length),
      list: options.listAsObject ? Object.fromEntries(slice.map((p, i) => [String(i), p])) : slice,
    };
    if (options.hasMore) data.has_more = page * limit < all.length ? 1 : 0;
    listAnswers++;
    reply.json(envelope(0, "success", data));
    if (!shifted && options.shiftAfterPage !== undefined && page === options.shiftAfterPage) {
      shifted = true;
      shift();
    }
  }

  function requestDownload(req: SandboxRequest, reply: SandboxReply): void {
    const brandId = text(req.params.brand_id);
    if (!brandId) throw new ParamError(1003, "Invalid input: brand_id is required");
    if (!/^\d+$/.test(brandId)) throw new ParamError(1003, "Invalid input: brand_id must be a number");
    if (!catalog.some((p) => p.brand_id === brandId)) {
      throw new ParamError(1003, `Invalid input: brand_id ${brandId} has no products`);
    }
    const id = nextDownloadId++;
    downloads.set(String(id), { brandId, polls: 0 });
    reply.json(envelope(0, "success", { id }));
  }

  function getDownloadUrl(req: SandboxRequest, reply: SandboxReply): void {
    const id = text(req.params.id);
    const d = downloads.get(id);
    if (!d) throw new ParamError(1003, "Invalid input: id is not a download request");
    d.polls++;
    if (d.polls <= pending) {
      reply.json(envelope(0, "success", { url: "", status: "PENDING" }));
      return;
    }
    if (options.downloadFails) {
      reply.json(envelope(0, "success", { url: "", status: "FAIL" }));
      return;
    }
    const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
    reply.json(envelope(0, "success", { url: `${origin}/files/pb-download-${id}.csv`, status: "OK" }));
  }

  function file(req: SandboxRequest, reply: SandboxReply): void {
    const m = /^\/files\/pb-download-(\d+)\.csv$/.exec(req.url.pathname);
    const d = m ? downloads.get(m[1] as string) : undefined;
    if (!d || d.polls <= pending || options.downloadFails) {
      reply.status(404).text("Not Found");
      return;
    }
    stats.files++;
    let out = `${PUBLISHER_FIELDS.join(",")}\n`;
    for (const p of catalog) {
      if (p.brand_id !== d.brandId) continue;
      out += `${PUBLISHER_FIELDS.map((f) => csvCell(p[f])).join(",")}\n`;
    }
    reply.text(out, "text/csv; charset=utf-8");
  }

  const module: PartnerboostPublisherModule = {
    name: "partnerboost-publisher",
    get catalog() {
      return catalog;
    },
    stats,
    filtered(params) {
      return applyFilters(checkFilters(params));
    },
    matches(req) {
      const path = req.url.pathname;
      if (path.startsWith("/files/pb-download-")) return true;
      return (path === "/api.php" || path.endsWith("/api.php")) && text(req.params.mod) === "datafeed";
    },
    faultExempt(req) {
      return req.url.pathname.startsWith("/files/");
    },
    rateLimited(_req, reply, style) {
      if (style === "http") {
        reply
          .status(429)
          .header("retry-after", String(options.retryAfterSeconds ?? 1))
          .json(envelope(1002, "Too many request"));
      } else reply.json(envelope(1002, "Too many request"));
    },
    describe(origin) {
      return [
        `PartnerBoost publisher API: PARTNERBOOST_PUBLISHER_API_URL=${origin}/api.php (${catalog.length} products, ${new Set(catalog.map((p) => p.brand_id)).size} brands)`,
      ];
    },
    handle(req, reply) {
      if (req.url.pathname.startsWith("/files/")) {
        file(req, reply);
        return;
      }
      const op = text(req.params.op);
      try {
        if (text(req.params.token) !== options.token) {
          reply.json(envelope(1001, "Invalid token"));
          return;
        }
        const type = text(req.params.type);
        if (type && type.toLowerCase() !== "json") {
          throw new ParamError(1003, "Invalid input: type (the sandbox answers json only)");
        }
        if (op === "list") {
          stats.list++;
          const { token: _t, ...rest } = Object.fromEntries(
            Object.entries(req.params).map(([k, v]) => [k, text(v)]),
          );
          stats.listParams.push(rest);
          list(req, reply);
        } else if (op === "request_download") {
          stats.requestDownload++;
          requestDownload(req, reply);
        } else if (op === "get_download_url") {
          stats.getDownloadUrl++;
          getDownloadUrl(req, reply);
        } else {
          throw new ParamError(1003, `Invalid input: op ${JSON.stringify(op)} is not a datafeed operation`);
        }
      } catch (err) {
        if (err instanceof ParamError) reply.json(envelope(err.code, err.message));
        else throw err;
      }
    },
  };
  return module;
}
