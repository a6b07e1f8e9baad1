/**
 * Sandbox module: PartnerBoost's Amazon publisher endpoints, served from a seeded catalog
 * (amazon-catalog.ts). Every operation is `POST <prefix>/<operation>` with a JSON body holding
 * `token`; any prefix is accepted (`/api/datafeed/…` as the endpoint reference has it,
 * `/amazon_api/…` as the seed page's base has it), so base-URL overrides can be tested.
 *
 *   get_fba_products          page, page_size (1..100, default 20), country_code, brand_id, asins,
 *                             has_promo_code, has_acc, relationship → data.list + data.has_more
 *   get_fba_products_link     product_ids (≤ 100) → data[] {product_id, link, link_id}; products
 *                             without a relationship (and unknown ids) in error_list[] {product_id, message}
 *   get_amazon_link_by_asin   asins (≤ 100), country_code → data[] / error_list[] {asin, country_code, message}
 *   get_amazon_joined_brands  bids, page, page_size → data.list {bid, brand_name, support_storefront_link},
 *                             data.hasMore (the other spelling, as documented)
 *   get_fba_brand_link        bids → data[] storefront links; unknown, unjoined or storefront-less
 *                             brands in error_list[] {bid, brand_name, message}
 *   get_amazon_link_status    link_ids (≤ 100) → data[] for links the sandbox issued ({active:false}
 *                             once `deactivate(link_id)` was called); unknown ids are left out
 *
 * Codes: 1001 "Invalid token"; 1003 "Invalid input: <param> …"; 1004 "Too many input: <param> …";
 * 1002 (HTTP 200) or HTTP 429 + Retry-After when rate limited (style from the fault options).
 * `errorMessage` replaces the error_list message (tests put control characters in it).
 */
import { createHash } from "node:crypto";
import { type AmazonSandboxProduct, AMAZON_SANDBOX_BRANDS, generateAmazonCatalog } from "./amazon-catalog.js";
import { envelope, ParamError, text } from "./partnerboost-common.js";
import type { SandboxModule, SandboxReply, SandboxRequest } from "./server.js";

export const AMAZON_OPERATION_PATH =
  /\/(get_fba_products|get_fba_products_link|get_amazon_link_by_asin|get_amazon_joined_brands|get_fba_brand_link|get_amazon_link_status)$/;

export interface PartnerboostAmazonOptions {
  token: string;
  /** Catalog size (default 300). */
  products?: number | undefined;
  seed?: number | undefined;
  /** Seconds sent in Retry-After on HTTP 429 answers (default 1). */
  retryAfterSeconds?: number | undefined;
  /** The message of every error_list entry (default: the documented ones). */
  errorMessage?: string | undefined;
}

export interface AmazonSandboxStats {
  /** Requests per operation. */
  calls: Record<string, number>;
  /** Pages asked of get_fba_products, in arrival order. */
  pages: number[];
  /** Ids per link / status request, in arrival order. */
  linkBatches: number[];
  statusBatches: number[];
  /** Parameters of every get_fba_products request (token removed). */
  productParams: Record<string, unknown>[];
}

export interface PartnerboostAmazonModule extends SandboxModule {
  readonly catalog: readonly AmazonSandboxProduct[];
  readonly stats: AmazonSandboxStats;
  /** The products a get_fba_products request with these parameters pages through. */
  filtered(params: Record<string, unknown>): AmazonSandboxProduct[];
  /** The link id the sandbox issues for a product (or a brand's storefront) and uid. */
  linkIdFor(id: string, uid?: string): string;
  /** Make an issued link inactive. */
  deactivate(linkId: string): void;
}

const MAX_PAGE_SIZE = 100;
const MAX_IDS = 100;

function ids(params: Record<string, unknown>, name: string, required = true): string[] {
  const list = text(params[name])
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (required && list.length === 0) throw new ParamError(1003, `Invalid input: ${name} is required`);
  if (list.length > MAX_IDS)
    throw new ParamError(1004, `Too many input: ${name} takes at most ${MAX_IDS} ids`);
  return list;
}

function whole(params: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const t = text(params[name]) || String(fallback);
  if (!/^\d+$/.test(t) || Number(t) < 1)
    throw new ParamError(1003, `Invalid input: ${name} must be a whole number from 1`);
  if (Number(t) > max) throw new ParamError(1004, `Too many input: ${name} must be at most ${max}`);
  return Number(t);
}

const flag = (v: unknown) => text(v) === "1" || text(v).toLowerCase() === "true";

export function partnerboostAmazonModule(options: PartnerboostAmazonOptions): PartnerboostAmazonModule {
  const catalog = generateAmazonCatalog(options.products ?? 300, options.seed ?? 11);
  const byId = new Map(catalog.map((p) => [p.product_id, p]));
  const issued = new Map<string, { p?: AmazonSandboxProduct; bid?: string; uid: string; active: boolean }>();
  const stats: AmazonSandboxStats = {
    calls: {},
    pages: [],
    linkBatches: [],
    statusBatches: [],
    productParams: [],
  };
  const message = (documented: string) => options.errorMessage ?? documented;

  const linkIdFor = (id: string, uid = "") =>
    createHash("sha256").update(`${id}|${uid}`).digest("base64url").slice(0, 40).replace(/-/g, "_a");
  const trackingLink = (base: string, linkId: string) =>
    `${base}?maas=maas_adg_api_588397405087409390_static_12_201&ref_=aa_maas&aa_campaignid=7bb4254d6ba7ff445e3b8c3fd3ac9a98&aa_adgroupid=${linkId}&aa_creativeid=935buodNOa3UBB44_c`;
  const productLink = (p: AmazonSandboxProduct, uid: string) => {
    const link_id = linkIdFor(p.product_id, uid);
    if (!issued.has(link_id)) issued.set(link_id, { p, uid, active: true });
    return { link: trackingLink(String(p.wire.url), link_id), link_id };
  };

  function filtered(params: Record<string, unknown>): AmazonSandboxProduct[] {
    const country = text(params.country_code).toUpperCase();
    const brand = text(params.brand_id);
    const asins = new Set(ids(params, "asins", false).map((a) => a.toUpperCase()));
    if (country && !/^[A-Z]{2}$/.test(country)) throw new ParamError(1003, "Invalid input: country_code");
    if (brand && !/^\d+$/.test(brand)) throw new ParamError(1003, "Invalid input: brand_id must be a number");
    return catalog.filter(
      (p) =>
        (!country || p.country === country) &&
        (!brand || p.bid === brand) &&
        (asins.size === 0 || asins.has(p.asin)) &&
        (!flag(params.has_promo_code) || p.hasPromo) &&
        (!flag(params.has_acc) || p.hasAcc),
    );
  }

  function products(req: SandboxRequest, reply: SandboxReply): void {
    const { token: _t, ...rest } = req.params;
    stats.productParams.push(rest);
    const page = whole(req.params, "page", 1, Number.MAX_SAFE_INTEGER);
    const size = whole(req.params, "page_size", 20, MAX_PAGE_SIZE);
    stats.pages.push(page);
    const all = filtered(req.params);
    const list = all.slice((page - 1) * size, page * size).map((p) => p.wire);
    reply.json(envelope(0, "success", { list, has_more: page * size < all.length }));
  }

  function productLinks(req: SandboxRequest, reply: SandboxReply): void {
    const list = ids(req.params, "product_ids");
    stats.linkBatches.push(list.length);
    const uid = text(req.params.uid);
    const data: unknown[] = [];
    const error_list: unknown[] = [];
    for (const id of list) {
      const p = byId.get(id);
      if (p?.linkable) data.push({ product_id: id, ...productLink(p, uid) });
      else error_list.push({ product_id: id, message: message("Product not found or no relationship") });
    }
    reply.json(envelope(0, "success", data, { error_list }));
  }

  function asinLinks(req: SandboxRequest, reply: SandboxReply): void {
    const list = ids(req.params, "asins").map((a) => a.toUpperCase());
    stats.linkBatches.push(list.length);
    const country = text(req.params.country_code).toUpperCase() || "US";
    const uid = text(req.params.uid);
    const withPb = flag(req.params.return_partnerboost_link);
    const data: unknown[] = [];
    const error_list: unknown[] = [];
    for (const asin of list) {
      const p = catalog.find((c) => c.asin === asin && c.country === country && c.linkable);
      if (!p) {
        error_list.push({
          asin,
          country_code: country,
          message: message("Product not found or no relationship"),
        });
        continue;
      }
      const { link, link_id } = productLink(p, uid);
      const partnerboost_link = withPb
        ? `https://pboost.me/${link_id.slice(0, 8)}${uid ? `?uid=${uid}` : ""}`
        : "";
      data.push({ asin, link, partnerboost_link, link_id });
    }
    reply.json(envelope(0, "success", data, { error_list }));
  }

  function joinedBrands(req: SandboxRequest, reply: SandboxReply): void {
    const page = whole(req.params, "page", 1, Number.MAX_SAFE_INTEGER);
    const size = whole(req.params, "page_size", 20, MAX_PAGE_SIZE);
    const bids = new Set(ids(req.params, "bids", false));
    const all = AMAZON_SANDBOX_BRANDS.filter((b) => b.joined && (bids.size === 0 || bids.has(b.bid)));
    const list = all.slice((page - 1) * size, page * size).map((b) => ({
      bid: b.bid,
      brand_name: b.brand_name,
      support_storefront_link: b.storefront ? "yes" : "no",
    }));
    reply.json(envelope(0, "success", { list, hasMore: page * size < all.length }));
  }

  function storefrontLinks(req: SandboxRequest, reply: SandboxReply): void {
    const bids = ids(req.params, "bids");
    const uid = text(req.params.uid);
    const data: unknown[] = [];
    const error_list: unknown[] = [];
    for (const bid of bids) {
      const b = AMAZON_SANDBOX_BRANDS.find((x) => x.bid === bid);
      if (!b || !b.joined || !b.storefront) {
        const why =
          !b || !b.joined ? "Bid not found or no relationship." : "Brand does not support storefront links.";
        error_list.push({ bid, brand_name: b?.brand_name ?? "", message: message(why) });
        continue;
      }
      const link_id = linkIdFor(`storefront:${bid}`, uid);
      if (!issued.has(link_id)) issued.set(link_id, { bid, uid, active: true });
      data.push({
        bid,
        brand_name: b.brand_name,
        storefront_link: trackingLink(`https://www.amazon.com/stores/page/SBX-${bid}`, link_id),
        storefront_short_link: `https://pboost.me/${link_id.slice(0, 8)}${uid ? `?uid=${uid}` : ""}`,
        link_id,
      });
    }
    reply.json(envelope(0, "success", data, { error_list }));
  }

  function linkStatus(req: SandboxRequest, reply: SandboxReply): void {
    const list = ids(req.params, "link_ids");
    stats.statusBatches.push(list.length);
    const data: unknown[] = [];
    for (const link_id of list) {
      const l = issued.get(link_id);
      if (!l) continue;
      data.push({
        link_id,
        active: l.active,
        asin: l.p?.asin ?? "",
        brand_id: Number(l.p?.bid ?? l.bid),
        link: trackingLink(
          String(l.p?.wire.url ?? `https://www.amazon.com/stores/page/SBX-${l.bid}`),
          link_id,
        ),
        country: l.p?.country ?? "US",
        type: l.p ? "product" : "storefront",
        uid: l.uid,
      });
    }
    reply.json(envelope(0, "success", data));
  }

  const handlers: Record<string, (req: SandboxRequest, reply: SandboxReply) => void> = {
    get_fba_products: products,
    get_fba_products_link: productLinks,
    get_amazon_link_by_asin: asinLinks,
    get_amazon_joined_brands: joinedBrands,
    get_fba_brand_link: storefrontLinks,
    get_amazon_link_status: linkStatus,
  };

  return {
    name: "partnerboost-amazon",
    catalog,
    stats,
    filtered,
    linkIdFor,
    deactivate(linkId) {
      const l = issued.get(linkId);
      if (l) l.active = false;
    },
    matches: (req) => AMAZON_OPERATION_PATH.test(req.url.pathname),
    rateLimited(_req, reply, style) {
      if (style === "http") reply.status(429).header("retry-after", String(options.retryAfterSeconds ?? 1));
      reply.json(envelope(1002, "Too many request"));
    },
    describe(origin) {
      return [
        `PartnerBoost Amazon API: PARTNERBOOST_AMAZON_API_URL=${origin}/api/datafeed (${catalog.length} products, ${AMAZON_SANDBOX_BRANDS.length} brands)`,
      ];
    },
    handle(req, reply) {
      const op = AMAZON_OPERATION_PATH.exec(req.url.pathname)?.[1] ?? "";
      stats.calls[op] = (stats.calls[op] ?? 0) + 1;
      try {
        if (req.method !== "POST") throw new ParamError(1003, `Invalid input: ${op} takes POST`);
        if (text(req.params.token) !== options.token) {
          reply.json(envelope(1001, "Invalid token"));
          return;
        }
        handlers[op]?.(req, reply);
      } catch (err) {
        if (err instanceof ParamError) reply.json(envelope(err.code, err.message));
        else throw err;
      }
    },
  };
}
