/**
 * The one request function of PartnerBoost's publisher-side APIs (datafeed list / bulk download and
 * the Amazon endpoints): the token travels in the body (form or JSON; in the query only for the
 * opt-in GET style), every call goes through `withRetry` (the one retry policy, honouring
 * Retry-After), the envelope is read by `parseEnvelope`, and the token is scrubbed from every error.
 *
 * This is the only place these clients call `httpRequest`: per-run request policy (rate control,
 * redirect rules) belongs here.
 */
import { FeedpipeError, redactSecrets, redactUrl } from "../../core/errors.js";
import { RateLimits } from "../../core/rate-limits.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../../core/retry.js";
import { expectOk, httpRequest, readText, retryAfterFrom } from "../../io/http.js";
import { parseEnvelope } from "./envelope.js";
import { runSignal, toAborted } from "../../core/abort.js";

export type RequestMethod = "form" | "json" | "get";

export interface RequesterOptions {
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** HTTP connect/response timeout per request (ms). */
  timeoutMs?: number | undefined;
  /** Aborts every request of this client. */
  signal?: AbortSignal | undefined;
  /** Jitter source for the retry backoff (tests). */
  random?: (() => number) | undefined;
  /** The run's rate controllers (1002 / 429 pace every request of the run); default: its own. */
  rates?: RateLimits | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** A successful answer: the envelope's `data` and the whole parsed body (for siblings like `error_list`). */
export interface EnvelopeAnswer {
  data: unknown;
  body: unknown;
}

export interface Requester {
  /** Send `params` (plus the token) to `url` and return the answer of a code-0 envelope. */
  call(
    url: string,
    params: Record<string, string | number>,
    callOptions?: CallOptions,
  ): Promise<EnvelopeAnswer>;
  /** Requests sent so far (including retries). */
  readonly requests: number;
  /** Retries so far. */
  readonly retries: number;
}

export interface RequesterConfig {
  token: string;
  method: RequestMethod;
  /** Turn an envelope error into the API's own wording (before retry decisions). */
  refine?: ((err: unknown) => unknown) | undefined;
}

/** Parse a configured API URL: http(s) only; errors name the setting, never more than the redacted URL. */
export function checkApiUrl(apiUrl: string, setting: string): URL {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `${setting} is not a valid URL: ${JSON.stringify(redactUrl(apiUrl))}`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new FeedpipeError("CONFIG_INVALID", `${setting} must be http(s), got ${u.protocol}`);
  }
  return u;
}

export function createRequester(config: RequesterConfig, options: RequesterOptions = {}): Requester {
  const { token, method } = config;
  let requests = 0;
  let retries = 0;
  const rates = options.rates ?? new RateLimits();
  // The requester's signal and a call's (the run's) are combined once, not per page or product.
  const joinSignal = runSignal(options.signal);

  const scrub = (err: unknown): unknown => {
    if (err instanceof Error && err.message.includes(token))
      err.message = redactSecrets(err.message, [token]);
    return err;
  };

  async function call(
    base: string,
    params: Record<string, string | number>,
    callOptions: CallOptions = {},
  ): Promise<EnvelopeAnswer> {
    const signal = joinSignal(callOptions.signal);
    const all: Record<string, string | number> = { token, ...params };
    let url = base;
    let body: string | undefined;
    const headers: Record<string, string> = { accept: "application/json" };
    if (method === "get") {
      const u = new URL(base);
      for (const [k, v] of Object.entries(all)) u.searchParams.set(k, String(v));
      url = u.toString();
    } else if (method === "json") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(all);
    } else {
      headers["content-type"] = "application/x-www-form-urlencoded";
      const form: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) form[k] = String(v);
      body = new URLSearchParams(form).toString();
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
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            // Text (not JSON, or a bare JSON string) goes to parseEnvelope as text: it names the problem.
            const answer = parsed === undefined || typeof parsed === "string" ? text : parsed;
            const data = parseEnvelope(answer, url, retryAfterFrom(res.headers));
            return { data, body: parsed };
          } catch (err) {
            throw config.refine ? config.refine(err) : err;
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
      throw scrub(toAborted(err, signal, `The request to ${redactUrl(url)} was interrupted`));
    }
  }

  return {
    call,
    get requests() {
      return requests;
    },
    get retries() {
      return retries;
    },
  };
}
