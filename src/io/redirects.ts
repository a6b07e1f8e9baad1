/**
 * The redirect policy for every HTTP request (used by http.ts in place of undici's redirect
 * interceptor, which re-posts bodies and custom auth headers to whatever host a 307/308 names).
 *
 * - At most MAX_REDIRECTS hops; one more is HTTP_TOO_MANY_REDIRECTS, not "HTTP 302".
 * - A redirect to anything but http(s) is refused (NET_REDIRECT_REFUSED).
 * - Same origin: followed. 303, and 301/302 after a POST, continue as a GET without the body
 *   (what browsers do); 307/308 repeat the request as it was.
 * - Another origin:
 *   - `"refuse"` (the default for requests that carry credentials: a body, or any header beyond
 *     the harmless ones below): refused with an error naming both URLs (redacted). API calls with
 *     tokens, signed headers or Basic auth never leave the origin they were configured for.
 *   - `"strip"` (plain downloads, e.g. a feed behind a CDN): followed as a GET with only the
 *     harmless headers; no credential and no body reaches the other host.
 */
import { NetworkError, redactUrl } from "../core/errors.js";

export const MAX_REDIRECTS = 5;

export type CrossOriginRedirects = "refuse" | "strip";

export interface RedirectInit {
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | null;
}

export interface Hop {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: { dump(): Promise<void> };
}

/** Headers that say nothing about who is asking: the only ones sent to another origin. */
const HARMLESS = new Set(["accept", "accept-encoding", "accept-language", "user-agent"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The policy a request gets when its caller does not choose one. */
export function defaultCrossOrigin(init: RedirectInit): CrossOriginRedirects {
  if (init.body !== null && init.body.length > 0) return "refuse";
  return Object.keys(init.headers).every((h) => HARMLESS.has(h.toLowerCase())) ? "strip" : "refuse";
}

function refused(message: string, from: string, to?: string): NetworkError {
  return new NetworkError("NET_REDIRECT_REFUSED", message, {
    context: { url: redactUrl(from), ...(to !== undefined ? { redirectedTo: to } : {}) },
  });
}

/**
 * Send `init` to `url` through `send`, following redirects by the policy above. Returns the final
 * response and the URL it came from. Redirect bodies are dumped (the connection is reused).
 */
export async function followRedirects<R extends Hop>(
  url: string,
  init: RedirectInit,
  crossOrigin: CrossOriginRedirects,
  send: (url: string, init: RedirectInit) => Promise<R>,
): Promise<{ res: R; url: string }> {
  let current = url;
  let step = init;
  for (let hop = 0; ; hop++) {
    const res = await send(current, step);
    const raw = res.headers.location;
    const location = Array.isArray(raw) ? raw[0] : raw;
    if (!REDIRECTS.has(res.statusCode) || location === undefined || location === "") {
      return { res, url: current };
    }
    await res.body.dump().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) {
      throw new NetworkError(
        "HTTP_TOO_MANY_REDIRECTS",
        `Too many redirects (more than ${MAX_REDIRECTS}) from ${redactUrl(url)}; the last went to ${redactUrl(current)}`,
        { context: { url: redactUrl(url), status: res.statusCode } },
      );
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw refused(`Refused a redirect from ${redactUrl(current)}: the new location is not a URL`, current);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw refused(
        `Refused a redirect from ${redactUrl(current)} to a ${next.protocol} location: only http(s) is followed`,
        current,
      );
    }
    const from = new URL(current);
    const target = next.toString();
    const asGet =
      res.statusCode === 303 ||
      ((res.statusCode === 301 || res.statusCode === 302) && step.method === "POST");
    let headers = step.headers;
    let body = step.body;
    let method = step.method;
    if (asGet) {
      method = step.method === "HEAD" ? "HEAD" : "GET";
      body = null;
      headers = Object.fromEntries(
        Object.entries(headers).filter(([k]) => !/^content-(type|length|encoding)$/i.test(k)),
      );
    }
    if (next.origin !== from.origin) {
      const shownTo = redactUrl(target);
      if (crossOrigin === "refuse") {
        throw refused(
          `Refused a redirect from ${redactUrl(current)} to ${shownTo}: this request carries credentials ` +
            `for ${from.host}, which are never sent to another host (${next.host})`,
          current,
          shownTo,
        );
      }
      if (body !== null) {
        throw refused(
          `Refused a redirect from ${redactUrl(current)} to ${shownTo}: the request body is never re-sent to another host`,
          current,
          shownTo,
        );
      }
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => HARMLESS.has(k.toLowerCase())));
    }
    step = { method, headers, body };
    current = target;
  }
}
