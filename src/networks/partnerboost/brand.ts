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
 * retried; 1003/1004/1005 → NET_BAD_REQUEST (this product is refused; not retried). All retries go
 * through `withRetry` (src/core/retry.ts), all pacing through `RateLimits` (src/core/rate.ts).
 *
 * Secrets: the token and secret are only in the request; server text quoted in errors is passed
 * through `redactSecrets` with both, so no message carries them even if a server echoes them.
 */
import type { Product } from "../../../schemas/product.js";
import { cutText, FeedpipeError, redactSecrets, redactUrl } from "../../core/errors.js";
import { RateLimits } from "../../core/rate-limits.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../../core/retry.js";
import { httpRequest, readText, retryAfterFrom, statusError } from "../../io/http.js";
import { authHash, rfc1123 } from "./auth.js";
import { codeError, parseEnvelope, readStatus } from "./envelope.js";
import { runSignal, toAborted } from "../../core/abort.js";

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

export interface BrandClientOptions {
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent & { action: string; sku?: string | undefined }) => void) | undefined;
  /** Connect + response header timeout per attempt (ms). */
  timeoutMs?: number | undefined;
  /** Aborts every request and retry wait of this client. */
  signal?: AbortSignal | undefined;
  /** Clock for the date header (tests). */
  now?: (() => Date) | undefined;
  /** Randomness for the retry jitter (tests). */
  random?: (() => number) | undefined;
  /** The run's rate controllers (shared with its other clients); default: one of its own. */
  rates?: RateLimits | undefined;
}

export type FetchPeriod = "NEVER" | "DAILY" | "WEEKLY" | "MONTH";
export const FETCH_PERIODS: readonly FetchPeriod[] = ["NEVER", "DAILY", "WEEKLY", "MONTH"];

export interface FetchSettings {
  fetch_url: string;
  fetch_period: FetchPeriod;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
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
  const secrets = [config.token, config.secret];
  const productAction = config.productAction || DEFAULT_PRODUCT_ACTION;
  const settingAction = config.settingAction || DEFAULT_SETTING_ACTION;
  const now = options.now ?? (() => new Date());
  const url = config.apiUrl;
  const rate = (options.rates ?? new RateLimits()).for(url);

  const clean = (text: string) => redactSecrets(text, secrets);
  // The client's signal and a call's (the run's) are combined once, not per product.
  const joinSignal = runSignal(options.signal);

  /** One attempt: send, read, map the outcome to data or a coded error. */
  async function attempt(action: string, body: string, signal: AbortSignal | undefined): Promise<unknown> {
    const date = rfc1123(now());
    const res = await httpRequest(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "x-partnerboost-date": date,
        "x-partnerboost-authentication": authHash(config.token, action, date, config.secret),
      },
      body,
      timeoutMs: options.timeoutMs,
      signal,
      rate,
    });
    const text = clean(await readText(res));
    const retryAfterMs = retryAfterFrom(res.headers);
    if (res.status >= 200 && res.status < 300) return parseEnvelope(text, url, retryAfterMs);
    // A 4xx other than 401/403/429 may still carry a result code worth reporting.
    if (res.status >= 400 && res.status < 500 && ![401, 403, 408, 429].includes(res.status)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const status = readStatus(json);
      if (status && status.code !== 0) throw codeError(status.code, status.message, url, retryAfterMs);
    }
    const detail = cutText(text, 300); // text is redacted already: redact first, then cut
    throw statusError(url, res.status, res.headers, detail);
  }

  async function call(
    action: string,
    fields: Record<string, unknown>,
    callOptions: CallOptions = {},
    sku?: string | undefined,
  ): Promise<unknown> {
    const body = JSON.stringify(requestBody(config, action, fields));
    const signal = joinSignal(callOptions.signal);
    try {
      return await withRetry(() => attempt(action, body, signal), {
        policy: callOptions.retry ? { ...options.retry, ...callOptions.retry } : options.retry,
        signal,
        rate,
        random: options.random,
        onRetry: options.onRetry ? (e) => options.onRetry?.({ ...e, action, sku }) : undefined,
      });
    } catch (err) {
      const shown = redactUrl(url);
      throw toAborted(err, signal, `Request to ${shown} was aborted`, { url: shown });
    }
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
