/**
 * PartnerBoost Brand API authentication: `X-PARTNERBOOST-AUTHENTICATION` is the lowercase hex
 * SHA-256 of `token;action;date;secret`, where `date` is the `X-PARTNERBOOST-DATE` header value
 * (RFC 1123, UTC, e.g. `Fri, 07 Jan 2022 07:21:16 GMT`).
 */
import { createHash } from "node:crypto";

/** The authentication hash for one request. */
export function authHash(token: string, action: string, date: string, secret: string): string {
  return createHash("sha256").update(`${token};${action};${date};${secret}`, "utf8").digest("hex");
}

/** RFC 1123 date in UTC, as the `X-PARTNERBOOST-DATE` header wants it. */
export function rfc1123(date: Date = new Date()): string {
  return date.toUTCString();
}

/** The two authentication headers (plus Content-Type) for one request. */
export function authHeaders(
  token: string,
  action: string,
  secret: string,
  now: Date = new Date(),
): Record<string, string> {
  const date = rfc1123(now);
  return {
    "content-type": "application/json",
    "x-partnerboost-date": date,
    "x-partnerboost-authentication": authHash(token, action, date, secret),
  };
}
