/**
 * PartnerBoost response envelopes and result codes, shared by the brand and publisher clients.
 *
 * Accepted shapes (numbers may arrive as strings, e.g. "0"):
 *   {"status": {"code": 0, "msg": "success"}, "data": …}     (the Publisher API's documented envelope)
 *   {"code": 0, "message": "ok", "data": …}                    (a flat variant seen in public clients)
 *
 * Result codes: 0 success; 1000 user does not exist; 1001 invalid token; 1002 too many requests;
 * 1003 invalid input; 1004 too many input; 1005 identifier too long; anything else is an API error.
 *
 * `readAnswer` is how every PartnerBoost client (brand, publisher, Amazon) reads an answer.
 */
import { cutText, NetworkError, redactUrl } from "../../core/errors.js";
import { answerError, type HttpAnswer } from "../http-client.js";
import { isObject } from "./values.js";
import { parseJsonExact } from "../../core/json-exact.js";

export interface PartnerboostStatus {
  code: number;
  message: string;
}

/** Result codes with a documented meaning. */
export const PB_CODES = {
  SUCCESS: 0,
  USER_NOT_FOUND: 1000,
  INVALID_TOKEN: 1001,
  TOO_MANY_REQUESTS: 1002,
  INVALID_INPUT: 1003,
  TOO_MANY_INPUT: 1004,
  IDENTIFIER_TOO_LONG: 1005,
} as const;

function toCode(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function toMessage(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  return JSON.stringify(v);
}

/** Read the status of an envelope, or undefined when the body has no recognisable status. */
export function readStatus(json: unknown): PartnerboostStatus | undefined {
  if (!isObject(json)) return undefined;
  if (isObject(json.status)) {
    const code = toCode(json.status.code);
    if (code !== undefined) return { code, message: toMessage(json.status.msg ?? json.status.message) };
  }
  const code = toCode(json.code);
  if (code !== undefined) return { code, message: toMessage(json.message ?? json.msg) };
  return undefined;
}

/** Message text from the server, cut to a sane length and on one line. */
function shownMessage(message: string, max = 200): string {
  return cutText(message, max);
}

/**
 * The error for a non-zero result code. `retryAfterMs` (from a Retry-After header, if the response
 * had one) is attached to rate-limit errors.
 */
export function codeError(
  code: number,
  message: string,
  url: string,
  retryAfterMs?: number | undefined,
): NetworkError {
  const shown = redactUrl(url);
  const said = shownMessage(message);
  const detail = said ? `: ${said}` : "";
  const context = { url: shown, apiCode: code };
  switch (code) {
    case PB_CODES.USER_NOT_FOUND:
      return new NetworkError(
        "NET_AUTH_FAILED",
        `PartnerBoost at ${shown} says the account does not exist (code 1000${detail}); check the brand id / token`,
        { context },
      );
    case PB_CODES.INVALID_TOKEN:
      return new NetworkError(
        "NET_AUTH_FAILED",
        `PartnerBoost at ${shown} rejected the credentials (code 1001${detail}); check the token, secret and clock`,
        { context },
      );
    case PB_CODES.TOO_MANY_REQUESTS:
      return new NetworkError(
        "NET_RATE_LIMITED",
        `PartnerBoost at ${shown} is rate limiting (code 1002${detail})`,
        {
          context,
          retryable: true,
          retryAfterMs,
        },
      );
    case PB_CODES.INVALID_INPUT:
    case PB_CODES.TOO_MANY_INPUT:
    case PB_CODES.IDENTIFIER_TOO_LONG:
      return new NetworkError(
        "NET_BAD_REQUEST",
        `PartnerBoost at ${shown} refused the request (code ${code}): ${said || "invalid input"}`,
        { context },
      );
    default:
      return new NetworkError(
        "NET_API_ERROR",
        `PartnerBoost at ${shown} answered with error code ${code}${detail}`,
        {
          context,
        },
      );
  }
}

/**
 * Parse a PartnerBoost response (text or already-parsed JSON) and return its `data` (undefined when
 * the envelope has none). Throws NetworkError: NET_BAD_RESPONSE for a body that is not JSON or has
 * no recognisable status, and the mapped error for a non-zero code (see `codeError`).
 */
export function parseEnvelope(
  body: string | unknown,
  url: string,
  retryAfterMs?: number | undefined,
): unknown {
  let json: unknown = body;
  if (typeof body === "string") {
    try {
      // A UTF-8 byte-order mark before the JSON (PHP endpoints send one) is not part of it.
      json = parseJsonExact(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body);
    } catch (err) {
      const start = shownMessage(body, 120);
      throw new NetworkError(
        "NET_BAD_RESPONSE",
        `PartnerBoost at ${redactUrl(url)} answered with something that is not JSON${start ? ` (starts with "${start}")` : ""}`,
        { cause: err, context: { url: redactUrl(url) } },
      );
    }
  }
  const status = readStatus(json);
  if (!status) {
    throw new NetworkError(
      "NET_BAD_RESPONSE",
      `PartnerBoost at ${redactUrl(url)} answered without a result code (expected {"status":{"code":…}} or {"code":…})`,
      { context: { url: redactUrl(url) } },
    );
  }
  if (status.code !== PB_CODES.SUCCESS) throw codeError(status.code, status.message, url, retryAfterMs);
  return (json as Record<string, unknown>).data;
}

/** Statuses whose meaning is the status itself, whatever the body says (auth, timeout, rate limit). */
const STATUS_ONLY = new Set([401, 403, 408, 429]);

/**
 * Read any PartnerBoost answer: a 2xx body is an envelope (its `data`, or the error of its result
 * code); a 4xx (other than 401/403/408/429) that carries a result code gets that code's error; any
 * other status is the shared status error (5xx retryable, 401/403 auth). Returns `data` and the
 * whole parsed body (for siblings of `data` such as `error_list`).
 */
export function readAnswer(answer: HttpAnswer): { data: unknown; body: unknown } {
  const { status, url, json, text, retryAfterMs } = answer;
  if (status >= 200 && status < 300) {
    // Text (not JSON, or a bare JSON string) goes to parseEnvelope as text: it names the problem.
    const body = json === undefined || typeof json === "string" ? text : json;
    return { data: parseEnvelope(body, url, retryAfterMs), body: json };
  }
  if (status >= 400 && status < 500 && !STATUS_ONLY.has(status)) {
    const found = readStatus(json);
    if (found && found.code !== PB_CODES.SUCCESS)
      throw codeError(found.code, found.message, url, retryAfterMs);
  }
  throw answerError(answer);
}
