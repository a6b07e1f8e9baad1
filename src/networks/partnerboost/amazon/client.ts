/**
 * PartnerBoost's Amazon publisher endpoints (see ../shared/reference/partnerboost/amazon-api.md):
 * POST JSON with `token` in the body, envelope `{status:{code,msg}, data}`, every call through the
 * one request function (../request.ts: retries, Retry-After, token scrubbed).
 *
 *   get_fba_products           page, page_size, filters → data.list, data.has_more (no total)
 *   get_fba_products_link      product_ids (comma-joined), uid → data[], error_list[]
 *   get_amazon_link_by_asin    asins, country_code, uid, return_partnerboost_link → data[], error_list[]
 *   get_amazon_joined_brands   bids, page, page_size → data.list, data.hasMore
 *   get_fba_brand_link         bids, uid → data[] (storefront links), error_list[]
 *   get_amazon_link_status     link_ids → data[] with `active`
 *
 * `apiUrl` is the folder holding the operations: `https://app.partnerboost.com/api/datafeed` by
 * default (the endpoint reference); `https://amazon-service.partnerboost.com/amazon_api` (the seed
 * page's base) or the sandbox's `http://127.0.0.1:PORT/api/datafeed` work the same way.
 */
import { FeedpipeError, NetworkError } from "../../../core/errors.js";
import { describeShape, listHolder, noListError, NotAListError } from "../list-holder.js";
import type { ListPage } from "../paging.js";
import { type CallOptions, checkApiUrl, createRequester, type RequesterOptions } from "../request.js";
import { isObject, listEntries, str, toFlag } from "../values.js";
import { type AmazonProduct, parseAmazonProductsData } from "./fields.js";
import type { AmazonParams } from "./filters.js";

export const AMAZON_OPERATIONS = [
  "get_fba_products",
  "get_fba_products_link",
  "get_amazon_link_by_asin",
  "get_amazon_joined_brands",
  "get_fba_brand_link",
  "get_amazon_link_status",
] as const;
export type AmazonOperation = (typeof AMAZON_OPERATIONS)[number];

export interface AmazonClientConfig {
  token: string;
  /** Folder of the operations (see above). */
  apiUrl: string;
}

export type AmazonClientOptions = RequesterOptions;

/** One answer item: every field as text; `error_list` entries carry `message`. */
export type AmazonItem = Record<string, string>;

export interface AmazonLinkAnswer {
  /** `data[]` entries (links, or storefront links). */
  items: AmazonItem[];
  /** `error_list[]` entries, each with the server's `message`. */
  errors: AmazonItem[];
}

export interface AmazonBrandsPage {
  brands: AmazonItem[];
  hasMore: boolean | undefined;
}

export interface AmazonLinkStatus {
  link_id: string;
  active: boolean | undefined;
  asin: string;
  brand_id: string;
  link: string;
  country: string;
  type: string;
  uid: string;
}

export interface AmazonClient {
  readonly apiUrl: string;
  productsPage(
    params: AmazonParams,
    page: number,
    pageSize: number,
    options?: CallOptions,
  ): Promise<ListPage<AmazonProduct>>;
  productLinks(productIds: readonly string[], uid?: string, options?: CallOptions): Promise<AmazonLinkAnswer>;
  asinLinks(
    asins: readonly string[],
    request: { countryCode: string; uid?: string | undefined; partnerboostLink?: boolean | undefined },
    options?: CallOptions,
  ): Promise<AmazonLinkAnswer>;
  joinedBrands(
    bids: readonly string[],
    page: number,
    pageSize: number,
    options?: CallOptions,
  ): Promise<AmazonBrandsPage>;
  storefrontLinks(bids: readonly string[], uid?: string, options?: CallOptions): Promise<AmazonLinkAnswer>;
  linkStatus(linkIds: readonly string[], options?: CallOptions): Promise<AmazonLinkStatus[]>;
  readonly requests: number;
  readonly retries: number;
}

/** The URL of one operation under the configured folder (its query string is kept). */
export function amazonOpUrl(apiUrl: string, op: AmazonOperation): string {
  const u = checkApiUrl(apiUrl, "PARTNERBOOST_AMAZON_API_URL");
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/${op}`;
  return u.toString();
}

function items(list: unknown): AmazonItem[] {
  const out: AmazonItem[] = [];
  for (const entry of listEntries(list, ["link_id", "bid", "asin", "product_id"])) {
    if (!isObject(entry)) continue;
    const item: AmazonItem = {};
    for (const [k, v] of Object.entries(entry)) item[k] = str(v).trim();
    out.push(item);
  }
  return out;
}

/** `data` as a list: an array, an index-keyed object, one item, or `{list: …}`. */
function listOf(data: unknown): unknown {
  return isObject(data) && "list" in data ? data.list : data;
}

/** Amazon wording for auth failures (the same publisher token as the datafeed). */
function refine(err: unknown): unknown {
  if (
    err instanceof NetworkError &&
    err.code === "NET_AUTH_FAILED" &&
    typeof err.context.apiCode === "number"
  ) {
    return new NetworkError(
      "NET_AUTH_FAILED",
      `PartnerBoost's Amazon API rejected the publisher token (code ${err.context.apiCode}); check PARTNERBOOST_PUBLISHER_TOKEN (or partnerboost.publisherToken in the config file)`,
      { cause: err, context: { ...err.context } },
    );
  }
  return err;
}

export function createAmazonClient(
  config: AmazonClientConfig,
  options: AmazonClientOptions = {},
): AmazonClient {
  const token = config.token;
  if (typeof token !== "string" || token.trim() === "") {
    throw new FeedpipeError("CONFIG_MISSING", "PartnerBoost's Amazon API needs PARTNERBOOST_PUBLISHER_TOKEN");
  }
  const urls = Object.fromEntries(
    AMAZON_OPERATIONS.map((op) => [op, amazonOpUrl(config.apiUrl, op)]),
  ) as Record<AmazonOperation, string>;
  const requester = createRequester({ token, method: "json", refine }, options);
  const call = (op: AmazonOperation, params: Record<string, string | number>, callOptions?: CallOptions) =>
    requester.call(urls[op], params, callOptions);
  const linkAnswer = async (
    op: AmazonOperation,
    params: Record<string, string | number>,
    callOptions?: CallOptions,
  ): Promise<AmazonLinkAnswer> => {
    const { data, body } = await call(op, params, callOptions);
    return { items: items(listOf(data)), errors: items(isObject(body) ? body.error_list : undefined) };
  };
  const page = (n: number) => {
    if (!Number.isInteger(n) || n < 1) {
      throw new FeedpipeError(
        "INVALID_OPTION",
        `Invalid option page: expected a whole number from 1, got ${n}`,
      );
    }
    return n;
  };

  return {
    apiUrl: config.apiUrl,
    get requests() {
      return requester.requests;
    },
    get retries() {
      return requester.retries;
    },
    async productsPage(params, n, pageSize, callOptions) {
      const { data } = await call(
        "get_fba_products",
        { ...params, page: page(n), page_size: pageSize },
        callOptions,
      );
      try {
        return parseAmazonProductsData(data);
      } catch (err) {
        if (!(err instanceof NotAListError)) throw err;
        throw noListError(config.apiUrl, "Amazon products page", n, "product", err.shape);
      }
    },
    productLinks(productIds, uid, callOptions) {
      const params: Record<string, string> = { product_ids: productIds.join(",") };
      if (uid) params.uid = uid;
      return linkAnswer("get_fba_products_link", params, callOptions);
    },
    asinLinks(asins, request, callOptions) {
      return linkAnswer(
        "get_amazon_link_by_asin",
        {
          asins: asins.join(","),
          country_code: request.countryCode,
          uid: request.uid ?? "",
          return_partnerboost_link: request.partnerboostLink ? 1 : 0,
        },
        callOptions,
      );
    },
    async joinedBrands(bids, n, pageSize, callOptions) {
      const params: Record<string, string | number> = { page: page(n), page_size: pageSize };
      if (bids.length > 0) params.bids = bids.join(",");
      const { data } = await call("get_amazon_joined_brands", params, callOptions);
      const d = listHolder(data);
      if (d === undefined)
        throw noListError(config.apiUrl, "joined brands page", n, "brand", describeShape(data));
      return { brands: items(d.list), hasMore: toFlag(d.hasMore ?? d.has_more) };
    },
    storefrontLinks(bids, uid, callOptions) {
      const params: Record<string, string> = { bids: bids.join(",") };
      if (uid) params.uid = uid;
      return linkAnswer("get_fba_brand_link", params, callOptions);
    },
    async linkStatus(linkIds, callOptions) {
      const { data } = await call("get_amazon_link_status", { link_ids: linkIds.join(",") }, callOptions);
      return items(listOf(data)).map((i) => ({
        link_id: i.link_id ?? "",
        active: i.active === undefined || i.active === "" ? undefined : toFlag(i.active),
        asin: i.asin ?? "",
        brand_id: i.brand_id ?? "",
        link: i.link ?? "",
        country: i.country ?? "",
        type: i.type ?? "",
        uid: i.uid ?? "",
      }));
    },
  };
}
