/**
 * The one HTTP path of every network client (PartnerBoost brand, PartnerBoost publisher and Amazon,
 * Partnerize): request → envelope → error mapping → retry → abort → rate controller. A client keeps
 * only what is its own: how a request is authenticated (its headers, per attempt when they are
 * signed) and how an answer is read (its envelope, its result codes). The rest is here, once:
 *
 * - Transport: src/io/http.ts (undici, timeouts, the redirect policy of src/io/redirects.ts: a
 *   request that carries credentials never follows a redirect to another host); the body through
 *   src/io/http-body.ts (Content-Encoding decoded, at most 64 MiB, whole within a deadline).
 * - Error mapping: the client's `read` turns any answer (any status) into its value or a coded
 *   NetworkError; `answerError` is the shared error for statuses a network gives no meaning.
 * - Retry: src/core/retry.ts. Only errors known to be transient are retried: a NetworkError marked
 *   retryable (5xx, 408, timeouts, connection resets). A programmer error, an unknown transport
 *   error, a refusal (4xx, 1003) or an auth failure is thrown at once.
 * - Rate: one controller per API host from the run's `RateLimits` (src/core/rate.ts). Every attempt
 *   waits for its turn; rate-limit answers (HTTP 429, PartnerBoost 1002) go to the controller, which
 *   pauses the host, and do not use up the retry budget; `X-RateLimit-*` headers are observed.
 * - Abort: the client's signal and a call's (the run's) are combined once per distinct call signal
 *   (`runSignal`), never per request. An interrupted call ends with an AbortedError (ABORTED).
 * - Secrets: every error that leaves (and every error handed to `onRetry`) has the client's
 *   secrets redacted from its message and context. Server text quoted in errors is cut with
 *   `cutText`, which never cuts inside a word, so a secret is never left in part.
 */
import { cutText, FeedpipeError, type NetworkError, redactSecrets, redactUrl } from "../core/errors.js";
import type { RateController } from "../core/rate.js";
import { RateLimits } from "../core/rate-limits.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../core/retry.js";
import { isAborted, runSignal, toAborted } from "../core/abort.js";
import {
  DEFAULT_TIMEOUT_MS,
  type HttpOptions,
  type HttpResponse,
  httpRequest,
  retryAfterFrom,
  statusError,
} from "../io/http.js";
import { API_BODY_MAX_BYTES, readBodyText } from "../io/http-body.js";
import { parseJsonExact } from "../core/json-exact.js";

/** Options every network client takes (and passes on to its HTTP client). */
export interface HttpClientOptions {
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /**
   * Connect + response header timeout per attempt, and the longest silence inside a body (ms);
   * the whole answer must arrive within twice this.
   */
  timeoutMs?: number | undefined;
  /** Aborts every request and retry wait of this client (combined once with each call's signal). */
  signal?: AbortSignal | undefined;
  /** Randomness (0..1) for the retry jitter (tests). */
  random?: (() => number) | undefined;
  /** The run's rate controllers (shared with its other clients); default: the client's own. */
  rates?: RateLimits | undefined;
}

/** What a caller may pass to one call of a network client. */
export interface CallOptions {
  /** Aborts this call (the run's signal). */
  signal?: AbortSignal | undefined;
}

/** Per-call settings of the HTTP client itself (a network client fills them in). */
export interface HttpCallOptions extends CallOptions {
  /** Override the client's retry policy for this call. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Override the client's retry notice for this call (e.g. to add the product's sku). */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** One answer as a client's reader sees it. */
export interface HttpAnswer {
  status: number;
  headers: HttpResponse["headers"];
  /** The URL asked (may hold credentials: show it through `redactUrl`). */
  url: string;
  /** The body as text (for a non-2xx answer, only its first 64 KiB). */
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
  /** A Retry-After (or X-RateLimit-Retry-After) the answer carried, in ms. */
  retryAfterMs: number | undefined;
}

/** One request of a network client. */
export interface HttpCall<T> {
  method: NonNullable<HttpOptions["method"]>;
  url: string;
  /** Headers of one attempt; a function when they change per attempt (a signed date). */
  headers: Record<string, string> | (() => Record<string, string>);
  body?: string | undefined;
  /** Turn the answer (whatever its status) into the value, or throw the coded error. */
  read: (answer: HttpAnswer) => T;
}

/** Sends single attempts inside `HttpClient.retrying`. */
export type Send = <T>(call: HttpCall<T>) => Promise<T>;

export interface HttpClient {
  /** One call: attempts under the retry policy, the host's rate controller and the signals. */
  request<T>(call: HttpCall<T>, options?: HttpCallOptions): Promise<T>;
  /**
   * Several requests retried as one unit ("look before posting again"): each attempt of `unit`
   * takes one turn of the rate controller of `url`'s host and sends through `send`.
   */
  retrying<T>(url: string, unit: (send: Send) => Promise<T>, options?: HttpCallOptions): Promise<T>;
  /** Requests sent so far (including retries and answers that were rate limits). */
  readonly requests: number;
  /** Retries after errors so far. */
  readonly retries: number;
}

/** Largest part of an error body read for its message. */
const ERROR_BODY_BYTES = 1 << 16;

/** The shared error of a non-2xx answer (the body's start as detail): 5xx/408/429 retryable, 401/403 auth. */
export function answerError(answer: HttpAnswer): NetworkError {
  return statusError(answer.url, answer.status, answer.headers, cutText(answer.text, 300));
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    // A UTF-8 byte-order mark before the JSON (PHP endpoints send one) is not part of it.
    return parseJsonExact(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

/** Redact `secrets` from an error's message, stack and string context values (in place). */
export function scrubError(err: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !(err instanceof Error)) return err;
  err.message = redactSecrets(err.message, secrets);
  if (typeof err.stack === "string") err.stack = redactSecrets(err.stack, secrets);
  if (err instanceof FeedpipeError) {
    for (const [k, v] of Object.entries(err.context)) {
      if (typeof v === "string") err.context[k] = redactSecrets(v, secrets);
    }
  }
  return err;
}

/** Request headers that carry a credential of their own (signatures, tokens). */
const CREDENTIAL_HEADERS =
  /^(?:authorization|proxy-authorization|x-partnerboost-authentication|x-api-key|api-key)$/i;

/** The values of a request's credential headers, and their last word (`Basic xyz` → `xyz`). */
function credentialValues(headers: Record<string, string> | undefined): string[] {
  if (!headers) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADERS.test(k) || typeof v !== "string" || v.length < 8) continue;
    out.push(v);
    const word = v.slice(v.lastIndexOf(" ") + 1);
    if (word !== v && word.length >= 8) out.push(word);
  }
  return out;
}

/**
 * The HTTP client of one network client. `secrets` are the values that must never appear in an
 * error (tokens, keys, the Basic token).
 */
export function createHttpClient(secrets: readonly string[], options: HttpClientOptions = {}): HttpClient {
  const rates = options.rates ?? new RateLimits();
  const joinSignal = runSignal(options.signal);
  // The controller of the last URL asked (a client mostly calls one URL: no URL parse per request).
  let lastUrl: string | undefined;
  let lastRate: RateController | undefined;
  const rateFor = (url: string): RateController => {
    if (url !== lastUrl || lastRate === undefined) {
      lastRate = rates.for(url);
      lastUrl = url;
    }
    return lastRate;
  };
  let requests = 0;
  let retries = 0;
  // A whole answer within twice the connect/header timeout, however slowly it trickles in.
  const deadlineMs = 2 * (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  async function once<T>(call: HttpCall<T>, signal: AbortSignal | undefined): Promise<T> {
    requests++;
    const headers = typeof call.headers === "function" ? call.headers() : call.headers;
    const res = await httpRequest(call.url, {
      method: call.method,
      headers,
      body: call.body,
      timeoutMs: options.timeoutMs,
      signal,
      rate: rateFor(call.url),
    });
    const ok = res.status >= 200 && res.status < 300;
    // An error body is only for the message: its start is enough, and a read failure leaves it empty.
    const text = ok
      ? await readBodyText(res, { maxBytes: API_BODY_MAX_BYTES, deadlineMs, signal })
      : await readBodyText(res, { maxBytes: ERROR_BODY_BYTES, truncate: true, deadlineMs, signal }).catch(
          (err: unknown) => {
            if (isAborted(err)) throw err;
            return "";
          },
        );
    try {
      return call.read({
        status: res.status,
        headers: res.headers,
        url: call.url,
        text,
        json: parseJson(text),
        retryAfterMs: retryAfterFrom(res.headers),
      });
    } catch (err) {
      // A server that quotes this request's signature (PartnerBoost's hash, an Authorization
      // value) must not put it in a message: it replays for that date and action.
      throw scrubError(err, credentialValues(headers));
    }
  }

  async function retrying<T>(
    url: string,
    unit: (send: Send) => Promise<T>,
    callOptions: HttpCallOptions = {},
  ): Promise<T> {
    const signal = joinSignal(callOptions.signal);
    const send: Send = (call) => once(call, signal);
    const onRetry = callOptions.onRetry ?? options.onRetry;
    try {
      return await withRetry(() => unit(send), {
        policy: callOptions.retry ? { ...options.retry, ...callOptions.retry } : options.retry,
        signal,
        random: options.random,
        rate: rateFor(url),
        onRetry: (event) => {
          retries++;
          scrubError(event.error, secrets);
          onRetry?.(event);
        },
      });
    } catch (err) {
      const shown = redactUrl(url);
      throw scrubError(
        toAborted(err, signal, `The request to ${shown} was interrupted`, { url: shown }),
        secrets,
      );
    }
  }

  return {
    request: (call, callOptions) => retrying(call.url, (send) => send(call), callOptions),
    retrying,
    get requests() {
      return requests;
    },
    get retries() {
      return retries;
    },
  };
}
