/**
 * PartnerBoost's publisher-side APIs (datafeed list / bulk download and the Amazon endpoints) on
 * the one HTTP path (../http-client.ts: retry, abort, rate controller, secrets scrubbed): what is
 * PartnerBoost's own here is where the token travels (the body, form or JSON; in the query only for
 * the opt-in GET style) and the envelope (`readAnswer`).
 */
import { FeedpipeError, redactUrl } from "../../core/errors.js";
import { type CallOptions, createHttpClient, type HttpClientOptions } from "../http-client.js";
import { readAnswer } from "./envelope.js";

export type { CallOptions } from "../http-client.js";

export type RequestMethod = "form" | "json" | "get";

export type RequesterOptions = HttpClientOptions;

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
  /** Turn an answer's error into the API's own wording (before retry decisions). */
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
  const { token, method, refine } = config;
  const http = createHttpClient([token], options);
  const read = refine
    ? (answer: Parameters<typeof readAnswer>[0]) => {
        try {
          return readAnswer(answer);
        } catch (err) {
          throw refine(err);
        }
      }
    : readAnswer;

  return {
    call(base, params, callOptions) {
      const all: Record<string, string | number> = { token, ...params };
      const text: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) text[k] = String(v);
      const headers: Record<string, string> = { accept: "application/json" };
      if (method === "get") {
        const u = new URL(base);
        for (const [k, v] of Object.entries(text)) u.searchParams.set(k, v);
        return http.request({ method: "GET", url: u.toString(), headers, read }, callOptions);
      }
      // JSON keeps the parameters' types (numbers stay numbers); a form sends text.
      headers["content-type"] = method === "json" ? "application/json" : "application/x-www-form-urlencoded";
      const body = method === "json" ? JSON.stringify(all) : new URLSearchParams(text).toString();
      return http.request({ method: "POST", url: base, headers, body, read }, callOptions);
    },
    get requests() {
      return http.requests;
    },
    get retries() {
      return http.retries;
    },
  };
}
