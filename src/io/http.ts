/**
 * HTTP through undici, in one place: a shared keep-alive agent with connect/header/body timeouts
 * and redirects, and one mapping from HTTP outcomes to coded, retry-aware errors.
 */
import type { Dispatcher } from "undici";
import { cutText, NetworkError, redactUrl } from "../core/errors.js";
import type { RateController } from "../core/rate.js";
import { rateHeaders } from "../core/rate-limits.js";
import { type CrossOriginRedirects, defaultCrossOrigin, followRedirects } from "./redirects.js";
import { isAborted, toAborted } from "../core/abort.js";

export interface HttpOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "HEAD" | undefined;
  headers?: Record<string, string> | undefined;
  body?: string | Buffer | undefined;
  /** Time to connect and receive response headers (ms). */
  timeoutMs?: number | undefined;
  /** Longest silence while reading the body (ms; default `timeoutMs`, else 60 s). */
  bodyTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /**
   * A redirect to another origin: "refuse" (default when the request has a body or any header
   * beyond accept/user-agent) or "strip" (follow with no credential, no body). See redirects.ts.
   */
  crossOriginRedirects?: CrossOriginRedirects | undefined;
  /** The run's rate controller for this host: reads the answer's X-RateLimit-* headers. */
  rate?: Pick<RateController, "observe"> | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
  url: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

const agents = new Map<string, Dispatcher>();

// undici is loaded on the first request only: most runs read local files, and it costs ~85 ms to load.
let undiciModule: Promise<typeof import("undici")> | undefined;
function loadUndici(): Promise<typeof import("undici")> {
  undiciModule ??= import("undici");
  return undiciModule;
}

async function agentFor(timeoutMs: number, bodyTimeoutMs: number): Promise<Dispatcher> {
  const key = `${timeoutMs}/${bodyTimeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    const { Agent } = await loadUndici();
    // Another request may have created it while undici was loading.
    const existing = agents.get(key);
    if (existing) return existing;
    agent = new Agent({
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: bodyTimeoutMs,
      keepAliveTimeout: 4_000,
      connections: 64,
    }); // redirects: followed by redirects.ts (credentials never cross origins)
    agents.set(key, agent);
  }
  return agent;
}

/** Close pooled connections (tests and the CLI call this so the process can exit promptly). */
export async function closeHttpAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.close()));
}

export function headerValue(headers: HttpResponse["headers"], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Parse Retry-After style headers: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function retryAfterFrom(headers: HttpResponse["headers"]): number | undefined {
  return (
    parseRetryAfter(headerValue(headers, "retry-after")) ??
    parseRetryAfter(headerValue(headers, "x-ratelimit-retry-after"))
  );
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** What a failed request throws: an AbortedError once aborted, else the transport error. */
export function requestFailure(err: unknown, url: string, signal?: AbortSignal): unknown {
  if (!signal?.aborted && !isAborted(err)) return transportError(err, url);
  const shown = redactUrl(url);
  return toAborted(err, signal, `Request to ${shown} was aborted`, { url: shown });
}

/** Turn a thrown transport error into a NetworkError (timeouts and resets are retryable). */
export function transportError(err: unknown, url: string): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  const shown = redactUrl(url);
  const code = e?.code ?? "";
  if (code.includes("TIMEOUT") || code === "ETIMEDOUT") {
    return new NetworkError("HTTP_TIMEOUT", `Request to ${shown} timed out (${code})`, {
      cause: err,
      context: { url: shown },
      retryable: true,
    });
  }
  return new NetworkError(
    "HTTP_CONNECTION",
    `Could not complete request to ${shown}: ${e?.message ?? code}`,
    {
      cause: err,
      context: { url: shown },
      retryable: TRANSIENT_CODES.has(code),
    },
  );
}

/** The error for a non-2xx status; 429/408/5xx are retryable, 401/403 are auth failures. */
export function statusError(
  url: string,
  status: number,
  headers: HttpResponse["headers"],
  detail = "",
): NetworkError {
  const shown = redactUrl(url);
  const suffix = detail ? `: ${detail}` : "";
  const context = { url: shown, status };
  if (status === 401 || status === 403) {
    return new NetworkError(
      "NET_AUTH_FAILED",
      `Authentication failed at ${shown} (HTTP ${status})${suffix}`,
      {
        context,
      },
    );
  }
  if (status === 429) {
    return new NetworkError("NET_RATE_LIMITED", `Rate limited by ${shown} (HTTP 429)${suffix}`, {
      context,
      retryable: true,
      retryAfterMs: retryAfterFrom(headers),
    });
  }
  const retryable = status >= 500 || status === 408;
  return new NetworkError("HTTP_STATUS", `HTTP ${status} from ${shown}${suffix}`, {
    context,
    retryable,
    retryAfterMs: retryable ? retryAfterFrom(headers) : undefined,
  });
}

/** One HTTP request. Does not throw on non-2xx: callers decide (see `expectOk`). */
export async function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The longest silence inside a body: --timeout when given, so a stalled answer fails as fast.
  const bodyTimeoutMs = options.bodyTimeoutMs ?? options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  try {
    const { request } = await loadUndici();
    const dispatcher = await agentFor(timeoutMs, bodyTimeoutMs);
    const init = {
      method: options.method ?? "GET",
      headers: options.headers ?? {},
      body: options.body ?? null,
    };
    const { res } = await followRedirects(
      url,
      init,
      options.crossOriginRedirects ?? defaultCrossOrigin(init),
      (to, step) =>
        request(to, { ...step, method: step.method as "GET", signal: options.signal ?? null, dispatcher }),
    );
    const limits = options.rate && rateHeaders((name) => headerValue(res.headers, name));
    if (limits) options.rate?.observe(limits);
    return { status: res.statusCode, headers: res.headers, body: res.body, url };
  } catch (err) {
    throw requestFailure(err, url, options.signal);
  }
}

/** Throw the coded error for a non-2xx response (after draining a little of its body for detail). */
export async function expectOk(res: HttpResponse): Promise<HttpResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  let detail = "";
  try {
    detail = cutText(await readSomeText(res, 1 << 16), 300);
  } catch {
    // the body is only for the message
  }
  throw statusError(res.url, res.status, res.headers, detail);
}

/**
 * The first `limit` bytes of an (error) body as text; the rest is not waited for. Read failures
 * map like `readText`'s.
 */
export async function readSomeText(res: HttpResponse, limit: number, signal?: AbortSignal): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      parts.push(chunk);
      n += chunk.length;
      if (n >= limit) break; // leaving the loop destroys the body
    }
  } catch (err) {
    throw requestFailure(err, res.url, signal);
  }
  return Buffer.concat(parts).subarray(0, limit).toString("utf8");
}
