/**
 * PartnerBoost Brand API client: push one product (`datafeed/new`) and register the hosted feed
 * (`datafeed/setting`). Action names are not published; both are configurable (see config.ts).
 *
 * Every call is a POST of JSON to the brand API URL:
 *   {"bid": "...", "token": "...", "action": "datafeed/new", "version": "1.0", "sku": "...", ...}
 * with headers Content-Type, X-PARTNERBOOST-DATE (RFC 1123) and X-PARTNERBOOST-AUTHENTICATION
 * (sha256 hex of `token;action;date;secret`, recomputed for every attempt).
 *
 * Outcomes: result code 0 → confirmed; 1000/1001 or HTTP 401/403 → NET_AUTH_FAILED (stops a run);
 * 1002 or HTTP 429 → NET_RATE_LIMITED (handed to the run's rate controller: every request waits,
 * Retry-After honoured, never counted as a failed attempt); 5xx, timeouts and connection resets →
 * retried; 1003/1004/1005 → NET_BAD_REQUEST (this product is refused; not retried). Requests go
 * the one HTTP path (../http-client.ts: retry, abort, the run's rate controller per host); the
 * answer is read by the one PartnerBoost reader (`readAnswer`, ./envelope.ts).
 *
 * Secrets: the token and secret are only in the request; every error leaving the client has both
 * redacted (../http-client.ts), so no message carries them even if a server echoes them.
 */
import type { Product } from "../../../schemas/product.js";
import { FeedpipeError } from "../../core/errors.js";
import type { RetryEvent, RetryPolicy } from "../../core/retry.js";
import {
  type CallOptions as BaseCallOptions,
  createHttpClient,
  type HttpClientOptions,
} from "../http-client.js";
import { authHash, rfc1123 } from "./auth.js";
import { readAnswer } from "./envelope.js";

export interface BrandClientConfig {
  brandId: string;
  token: string;
  secret: string;
  /** Brand API URL, e.g. https://app.partnerboost.com/api/brand */
  apiUrl: string;
  /** Action for one product (default `datafeed/new`). */
  productAction?: string | undefined;
  /** Action for the fetch settings (default `datafeed/setting`). */
  settingAction?: string | undefined;
}

export interface BrandClientOptions extends Omit<HttpClientOptions, "onRetry"> {
  onRetry?: ((event: RetryEvent & { action: string; sku?: string | undefined }) => void) | undefined;
  /** Clock for the date header (tests). */
  now?: (() => Date) | undefined;
}

export type FetchPeriod = "NEVER" | "DAILY" | "WEEKLY" | "MONTH";
export const FETCH_PERIODS: readonly FetchPeriod[] = ["NEVER", "DAILY", "WEEKLY", "MONTH"];

export interface FetchSettings {
  fetch_url: string;
  fetch_period: FetchPeriod;
}

export interface CallOptions extends BaseCallOptions {
  /** Override the client's retry policy for this call (the push's slower final pass). */
  retry?: Partial<RetryPolicy> | undefined;
}

/** What a push pipeline needs of a brand-side sink. */
export interface ProductSink {
  /** Send one product; resolves once the network confirmed it, throws a coded error otherwise. */
  pushProduct(product: Product, options?: CallOptions): Promise<unknown>;
}

export interface BrandClient extends ProductSink {
  readonly apiUrl: string;
  readonly brandId: string;
  /** Register (or change) the hosted feed the network fetches; resolves to the response `data`. */
  setFetchSettings(settings: FetchSettings, options?: CallOptions): Promise<unknown>;
  /** Any action with top-level fields (for actions feedpipe does not model). */
  call(action: string, fields: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

export const DEFAULT_PRODUCT_ACTION = "datafeed/new";
export const DEFAULT_SETTING_ACTION = "datafeed/setting";

/** The JSON body for one call: auth parameters first, then the fields at the top level. */
export function requestBody(
  config: Pick<BrandClientConfig, "brandId" | "token">,
  action: string,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const body: Record<string, unknown> = { bid: config.brandId, token: config.token, action, version: "1.0" };
  for (const [k, v] of Object.entries(fields)) if (!(k in body) && v !== undefined) body[k] = v;
  return body;
}

/** The product fields in documented order, without undefined values. */
export function productFields(product: Product): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(product)) if (v !== undefined) out[k] = v;
  return out;
}

export const REDACTED = "REDACTED";

/**
 * What a call would send, with the token and the authentication hash replaced by REDACTED. Needs no
 * secret (used by `push --dry-run`).
 */
export function describeRequest(
  config: { brandId?: string | undefined; apiUrl: string },
  action: string,
  fields: Record<string, unknown>,
  now: Date = new Date(),
): { method: "POST"; url: string; headers: Record<string, string>; body: Record<string, unknown> } {
  return {
    method: "POST",
    url: config.apiUrl,
    headers: {
      "content-type": "application/json",
      "x-partnerboost-date": rfc1123(now),
      "x-partnerboost-authentication": REDACTED,
    },
    body: requestBody({ brandId: config.brandId ?? "", token: REDACTED }, action, fields),
  };
}

function checkConfig(config: BrandClientConfig): void {
  for (const key of ["brandId", "token", "secret", "apiUrl"] as const) {
    if (!config[key]) throw new FeedpipeError("CONFIG_MISSING", `PartnerBoost brand client needs ${key}`);
  }
  if (!/^https?:\/\//i.test(config.apiUrl)) {
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `PartnerBoost brand API URL must be an absolute http(s) URL, got "${config.apiUrl}"`,
    );
  }
}

export function createBrandClient(config: BrandClientConfig, options: BrandClientOptions = {}): BrandClient {
  checkConfig(config);
  const productAction = config.productAction || DEFAULT_PRODUCT_ACTION;
  const settingAction = config.settingAction || DEFAULT_SETTING_ACTION;
  const now = options.now ?? (() => new Date());
  const url = config.apiUrl;
  const { onRetry, ...httpOptions } = options;
  const http = createHttpClient([config.token, config.secret], httpOptions);
  const read = (answer: Parameters<typeof readAnswer>[0]) => readAnswer(answer).data;

  /** The signed headers of one attempt (the date, and so the hash, change per attempt). */
  const headersFor = (action: string) => (): Record<string, string> => {
    const date = rfc1123(now());
    return {
      "content-type": "application/json",
      accept: "application/json",
      "x-partnerboost-date": date,
      "x-partnerboost-authentication": authHash(config.token, action, date, config.secret),
    };
  };

  function call(
    action: string,
    fields: Record<string, unknown>,
    callOptions: CallOptions = {},
    sku?: string | undefined,
  ): Promise<unknown> {
    const body = JSON.stringify(requestBody(config, action, fields));
    return http.request(
      { method: "POST", url, headers: headersFor(action), body, read },
      {
        signal: callOptions.signal,
        retry: callOptions.retry,
        onRetry: onRetry ? (e) => onRetry({ ...e, action, sku }) : undefined,
      },
    );
  }

  return {
    apiUrl: url,
    brandId: config.brandId,
    call,
    pushProduct(product, callOptions) {
      return call(productAction, productFields(product), callOptions, product.sku);
    },
    setFetchSettings(settings, callOptions) {
      return call(
        settingAction,
        { fetch_url: settings.fetch_url, fetch_period: settings.fetch_period },
        callOptions,
      );
    },
  };
}
