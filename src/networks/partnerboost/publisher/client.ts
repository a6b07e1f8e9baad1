/**
 * PartnerBoost Publisher API client: the three datafeed operations.
 *
 * Endpoints (see ../shared/reference/partnerboost/publisher-api-full.md):
 *   `api.php?mod=datafeed&op=list`               token + filters, `page` from 1, `limit` <= 100
 *   `api.php?mod=datafeed&op=request_download`   token + brand_id → data.id
 *   `api.php?mod=datafeed&op=get_download_url`   token + id → data.status (OK|FAIL|PENDING), data.url
 *
 * Requests are sent as POST application/x-www-form-urlencoded (the one method every datafeed
 * operation documents), so the token travels in the body, never in a URL. `method: "json"` (POST
 * JSON) and `method: "get"` exist for servers that want them; with GET the token is in the query
 * string, and every URL shown in an error goes through `redactUrl` (which masks `token`). HTTP goes
 * through the one request function in ../request.ts.
 *
 * Errors: 1001 (and 1000) → NET_AUTH_FAILED; 1002 and HTTP 429 → NET_RATE_LIMITED, retried through
 * `withRetry` (the one retry policy, honouring Retry-After); 1003/1004/1005 → NET_BAD_REQUEST with
 * the offending parameter in `context.field` and the message when the server names one. The token
 * is scrubbed from every message.
 */
import { FeedpipeError, NetworkError, redactSecrets, redactUrl } from "../../../core/errors.js";
import {
  type CallOptions,
  checkApiUrl,
  createRequester,
  type RequestMethod,
  type RequesterOptions,
} from "../request.js";
import { isObject, str } from "../values.js";
import { NotAListError, type PublisherPage, parseListData } from "./fields.js";
import { noListError } from "../list-holder.js";
import {
  checkPageLimit,
  filterParams,
  invalidFilter,
  type PublisherFilters,
  type ResolvedFilters,
  resolvePublisherFilters,
} from "./filters.js";

export type { CallOptions } from "../request.js";

export interface PublisherClientConfig {
  token: string;
  /** `https://app.partnerboost.com/api.php` or the sandbox's `http://127.0.0.1:PORT/api.php`. */
  apiUrl: string;
}

export type PublisherRequestMethod = RequestMethod;

export interface PublisherClientOptions extends RequesterOptions {
  /** How parameters are sent (default "form": POST application/x-www-form-urlencoded). */
  method?: PublisherRequestMethod | undefined;
}

export type DownloadStatus = "OK" | "FAIL" | "PENDING";

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
  const u = checkApiUrl(apiUrl, "PARTNERBOOST_PUBLISHER_API_URL");
  u.searchParams.set("mod", "datafeed");
  u.searchParams.set("op", op);
  return u.toString();
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
  const requester = createRequester({ token, method, refine: (err) => refine(err, token) }, options);
  const call = async (op: keyof typeof urls, params: Record<string, string>, callOptions?: CallOptions) =>
    (await requester.call(urls[op], params, callOptions)).data;

  return {
    apiUrl: config.apiUrl,
    get requests() {
      return requester.requests;
    },
    get retries() {
      return requester.retries;
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
      try {
        return parseListData(data);
      } catch (err) {
        if (!(err instanceof NotAListError)) throw err;
        throw noListError(urls.list, "page", page, "product", err.shape);
      }
    },
    async requestDownload(brandId, callOptions) {
      const id = resolvePublisherFilters({ brandId }).brand_id;
      if (id === undefined) throw invalidFilter("brandId", "a brand id of digits (like 66303)", brandId);
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
