/**
 * The Partnerize v1 conventions the sandbox speaks: the error envelope `{"error":{"message","type"}}`,
 * HTTP Basic credentials, the rate-limit headers of a 429, and the loose parameter shapes
 * (y/n flags, numbers sent as strings, items bare or wrapped in `{feed: {…}}`).
 */
import type { SandboxReply, SandboxRequest } from "./server.js";

export function v1Error(
  reply: SandboxReply,
  status: number,
  message: string,
  type: string,
  fields?: string[],
): void {
  const error: Record<string, unknown> = { message, type };
  if (fields) error.fields = fields;
  reply.status(status).json({ error });
}

export function executionTime(): string {
  return "0.01234 seconds";
}

export function parseBasic(
  header: string | string[] | undefined,
): { user: string; pass: string } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(value ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export function flag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  const s = String(v ?? "")
    .trim()
    .toLowerCase();
  if (s === "y") return true;
  if (s === "n") return false;
  return undefined;
}

export function feedItems(body: unknown): unknown[] | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const feeds = (body as Record<string, unknown>).feeds;
  if (Array.isArray(feeds)) return feeds;
  if (feeds && typeof feeds === "object") return Object.values(feeds);
  return undefined;
}

/** Items may be sent bare or as `{feed: {…}}`. */
export function itemFields(item: unknown): Record<string, unknown> | undefined {
  if (!item || typeof item !== "object" || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  if (o.feed && typeof o.feed === "object" && !Array.isArray(o.feed))
    return o.feed as Record<string, unknown>;
  return o;
}

export function positiveNumber(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The 429 of the v1 API: `X-RateLimit-*` headers (remaining 0, retry after `retryAfter` s). */
export function rateLimitReply(reply: SandboxReply, retryAfter: number): void {
  reply
    .header("x-ratelimit-limit", "10")
    .header("x-ratelimit-remaining", "0")
    .header("x-ratelimit-reset", String(Math.ceil(retryAfter)))
    .header("x-ratelimit-retry-after", String(retryAfter));
  v1Error(reply, 429, "Too Many Requests", "429");
}

/** Check HTTP Basic (application key : user API key); answers the v1 401 and returns false if wrong. */
export function authorized(
  req: SandboxRequest,
  reply: SandboxReply,
  expected: { applicationKey: string; userApiKey: string },
): boolean {
  const creds = parseBasic(req.headers.authorization);
  if (!creds) {
    reply.header("www-authenticate", 'Basic realm="Partnerize"');
    v1Error(
      reply,
      401,
      "Authentication required: send an Authorization: Basic header with your User application key and User API key",
      "401",
    );
    return false;
  }
  if (creds.user !== expected.applicationKey || creds.pass !== expected.userApiKey) {
    reply.header("www-authenticate", 'Basic realm="Partnerize"');
    v1Error(
      reply,
      401,
      "Your 'User application key' and 'User API key' combination is invalid.",
      "Access Permission Denied",
    );
    return false;
  }
  return true;
}
