/**
 * The PartnerBoost Brand API part of the sandbox (see ../shared/reference/README.md):
 *
 *   POST (or GET) /api/brand        bid, token, action, version=1.0 + action fields
 *   GET /files/partnerboost/{name}  files hosted with `host()` (exempt from fault injection)
 *
 * Checks, in order, each answered in the documented envelope
 * `{"status":{"code":N,"msg":"…"},"data":…}` (HTTP 200 unless `authErrorStatus` says otherwise):
 *   - bid, token, action, version present                      → 1003 "Missing required parameter: X"
 *   - version is "1.0"                                         → 1003
 *   - bid is the configured brand                              → 1000 "Brand does not exist"
 *   - token is the configured token                            → 1001 "Invalid token"
 *   - X-PARTNERBOOST-DATE is an RFC 1123 date within ±maxSkewSeconds of the server clock
 *                                                              → 1001 (stale or future dates are
 *                                                                 refused like a bad signature: a
 *                                                                 replayed request must not pass)
 *   - X-PARTNERBOOST-AUTHENTICATION = sha256(token;action;date;secret) with the sandbox's secret
 *                                                              → 1001 "Invalid authentication hash"
 *   - action is the product or the setting action              → 1003 "Unknown action"
 *   - product: name, url, image, sku, price (number), currency (ISO 4217 form) required; url/image
 *     absolute http(s); optional fields typed as documented   → 1003 naming the field;
 *     sku longer than 100 characters                          → 1005
 *   - settings: fetch_period NEVER/DAILY/WEEKLY/MONTH, fetch_url absolute http(s) → 1003
 *
 * Products are upserted by SKU into `store.products` (so the store holds each SKU exactly once);
 * `store.receipts` counts every accepted product request per SKU, so tests can see retries and
 * re-sends. Rate limits: code 1002 with HTTP 200, or HTTP 429 + Retry-After (style per request).
 */
import { timingSafeEqual } from "node:crypto";
import { authHash } from "../networks/partnerboost/auth.js";
import type { SandboxModule, SandboxReply, SandboxRequest } from "./server.js";

/** Demo credentials of the sandbox brand (they only work against the sandbox). */
export const PARTNERBOOST_SANDBOX_BRAND = {
  brandId: "66303",
  token: "5b7c1e0f9d2a4c68b3e1a7f0c2d4e6f8",
  secret: "sandbox-secret-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
} as const;

export const PARTNERBOOST_BRAND_PATH = "/api/brand";
export const PARTNERBOOST_FILES_PATH = "/files/partnerboost/";

export interface PartnerboostBrandSandboxOptions {
  brandId: string;
  token: string;
  secret: string;
  /** Largest accepted difference between X-PARTNERBOOST-DATE and the server clock (default 900 s). */
  maxSkewSeconds?: number | undefined;
  /** Path of the API (default /api/brand). */
  path?: string | undefined;
  /** Action names (defaults datafeed/new and datafeed/setting). */
  productAction?: string | undefined;
  settingAction?: string | undefined;
  /** HTTP status of auth failures (code 1000/1001): 200 (default, code only) or 401. */
  authErrorStatus?: 200 | 401 | undefined;
  /** Seconds sent in Retry-After on HTTP 429 (default 1; fractions allowed for tests). */
  retryAfterSeconds?: number | undefined;
  /** Server clock (tests). */
  now?: (() => number) | undefined;
}

export interface StoredProduct {
  product: Record<string, unknown>;
  /** Accepted requests that changed the stored product (1 = created, never changed). */
  versions: number;
  firstAt: number;
  lastAt: number;
}

export interface FetchSettingsRecord {
  fetch_url: string;
  fetch_period: string;
  at: number;
}

export interface PartnerboostBrandStore {
  /** The catalog: one entry per SKU. */
  products: Map<string, StoredProduct>;
  /** Accepted product requests per SKU (retries and re-sends of a confirmed product count here). */
  receipts: Map<string, number>;
  /** Accepted product requests in total. */
  accepted: number;
  /** The registered fetch settings, if any, and every registration in order. */
  settings: FetchSettingsRecord | undefined;
  settingsHistory: FetchSettingsRecord[];
}

/** A request as the sandbox saw it (tests check the request shape here). */
export interface CapturedBrandRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: string;
  params: Record<string, unknown>;
  /** Result code answered. */
  code: number;
}

export interface PartnerboostBrandSandboxModule extends SandboxModule {
  readonly store: PartnerboostBrandStore;
  /** The last requests (at most 1000, oldest first). */
  readonly requests: CapturedBrandRequest[];
  /** Serve a file at /files/partnerboost/{name}; returns its path. */
  host(name: string, body: string | Buffer, contentType?: string): string;
  /** Answer every request for this SKU with HTTP 500 (retries will be exhausted). */
  failSku(sku: string): void;
  /** Clear products, receipts, settings and captured requests. */
  reset(): void;
}

const FETCH_PERIODS = new Set(["NEVER", "DAILY", "WEEKLY", "MONTH"]);
const RFC1123 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const STRING_FIELDS = ["name", "url", "image", "sku", "currency"] as const;
const OPTIONAL_STRINGS = ["description", "category", "brand", "gtin", "mpn", "availability"] as const;

function header(req: SandboxRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s) || s.length > 2000) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

class Refusal {
  constructor(
    readonly code: number,
    readonly msg: string,
  ) {}
}

/** Check a product's fields as the Datafeed API documents them; returns the stored product. */
function checkProduct(p: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of STRING_FIELDS) {
    const v = p[f];
    if (v === undefined || v === null || v === "")
      throw new Refusal(1003, `Missing required parameter: ${f}`);
    if (typeof v !== "string" || v.trim() === "") throw new Refusal(1003, `Invalid ${f}: expected a string`);
    out[f] = v;
  }
  const sku = out.sku as string;
  if (sku.length > 100) throw new Refusal(1005, "Invalid sku: identifier too long (max 100 characters)");
  for (const f of ["url", "image"] as const) {
    if (!isHttpUrl(out[f] as string))
      throw new Refusal(1003, `Invalid ${f}: expected an absolute http(s) URL`);
  }
  if (!/^[A-Z]{3}$/.test(out.currency as string)) {
    throw new Refusal(1003, "Invalid currency: expected an ISO 4217 code such as USD");
  }
  if (p.price === undefined || p.price === null || p.price === "") {
    throw new Refusal(1003, "Missing required parameter: price");
  }
  const price = toNumber(p.price);
  if (price === undefined || price < 0)
    throw new Refusal(1003, "Invalid price: expected a non-negative number");
  out.price = price;
  if (p.old_price !== undefined && p.old_price !== null && p.old_price !== "") {
    const old = toNumber(p.old_price);
    if (old === undefined || old < 0)
      throw new Refusal(1003, "Invalid old_price: expected a non-negative number");
    out.old_price = old;
  }
  for (const f of OPTIONAL_STRINGS) {
    const v = p[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw new Refusal(1003, `Invalid ${f}: expected a string`);
    out[f] = v;
  }
  return out;
}

function sameProduct(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function partnerboostBrandModule(
  options: PartnerboostBrandSandboxOptions,
): PartnerboostBrandSandboxModule {
  const path = (options.path ?? PARTNERBOOST_BRAND_PATH).replace(/\/+$/, "") || "/";
  const productAction = options.productAction ?? "datafeed/new";
  const settingAction = options.settingAction ?? "datafeed/setting";
  const maxSkewMs = (options.maxSkewSeconds ?? 900) * 1000;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const now = options.now ?? Date.now;
  const files = new Map<string, { body: Buffer; contentType: string }>();
  const failing = new Set<string>();
  const requests: CapturedBrandRequest[] = [];
  const store: PartnerboostBrandStore = {
    products: new Map(),
    receipts: new Map(),
    accepted: 0,
    settings: undefined,
    settingsHistory: [],
  };

  const isApi = (req: SandboxRequest) => req.url.pathname === path || req.url.pathname === `${path}/`;
  const isFile = (req: SandboxRequest) => req.url.pathname.startsWith(PARTNERBOOST_FILES_PATH);

  const capture = (req: SandboxRequest, code: number) => {
    requests.push({
      method: req.method,
      path: req.url.pathname,
      headers: {
        "content-type": header(req, "content-type"),
        "x-partnerboost-date": header(req, "x-partnerboost-date"),
        "x-partnerboost-authentication": header(req, "x-partnerboost-authentication"),
      },
      body: req.body,
      params: req.params,
      code,
    });
    if (requests.length > 1000) requests.shift();
  };

  const answer = (reply: SandboxReply, code: number, msg: string, data: unknown = null) => {
    if ((code === 1000 || code === 1001) && options.authErrorStatus === 401) reply.status(401);
    reply.json({ status: { code, msg }, data });
  };

  const authenticate = (req: SandboxRequest): string => {
    const p = req.params;
    for (const key of ["bid", "token", "action", "version"]) {
      if (p[key] === undefined || p[key] === null || p[key] === "") {
        throw new Refusal(1003, `Missing required parameter: ${key}`);
      }
    }
    if (String(p.version) !== "1.0")
      throw new Refusal(1003, `Unsupported version: ${String(p.version)} (use 1.0)`);
    if (String(p.bid) !== options.brandId) throw new Refusal(1000, "Brand does not exist");
    const token = String(p.token);
    if (!sameText(token, options.token)) throw new Refusal(1001, "Invalid token");
    const action = String(p.action);
    const date = header(req, "x-partnerboost-date");
    if (!date || !RFC1123.test(date) || Number.isNaN(Date.parse(date))) {
      throw new Refusal(
        1001,
        "Missing or invalid X-PARTNERBOOST-DATE (expected e.g. Fri, 07 Jan 2022 07:21:16 GMT)",
      );
    }
    if (Math.abs(now() - Date.parse(date)) > maxSkewMs) {
      throw new Refusal(
        1001,
        `X-PARTNERBOOST-DATE is more than ${Math.round(maxSkewMs / 60000)} minutes from server time (stale request or wrong clock)`,
      );
    }
    const given = header(req, "x-partnerboost-authentication") ?? "";
    if (!sameText(given.toLowerCase(), authHash(token, action, date, options.secret))) {
      throw new Refusal(1001, "Invalid authentication hash");
    }
    return action;
  };

  const handleProduct = (req: SandboxRequest, reply: SandboxReply) => {
    const product = checkProduct(req.params);
    const sku = product.sku as string;
    if (failing.has(sku)) {
      capture(req, -500);
      reply.status(500).text("Internal Server Error (sandbox: failing SKU)");
      return;
    }
    const at = now();
    const existing = store.products.get(sku);
    let status: "created" | "updated" | "unchanged";
    if (!existing) {
      store.products.set(sku, { product, versions: 1, firstAt: at, lastAt: at });
      status = "created";
    } else if (sameProduct(existing.product, product)) {
      existing.lastAt = at;
      status = "unchanged";
    } else {
      existing.product = product;
      existing.versions++;
      existing.lastAt = at;
      status = "updated";
    }
    store.receipts.set(sku, (store.receipts.get(sku) ?? 0) + 1);
    store.accepted++;
    capture(req, 0);
    answer(reply, 0, "success", { sku, status });
  };

  const handleSetting = (req: SandboxRequest, reply: SandboxReply) => {
    const period = req.params.fetch_period;
    const url = req.params.fetch_url;
    if (period === undefined || period === "")
      throw new Refusal(1003, "Missing required parameter: fetch_period");
    if (url === undefined || url === "") throw new Refusal(1003, "Missing required parameter: fetch_url");
    if (typeof period !== "string" || !FETCH_PERIODS.has(period)) {
      throw new Refusal(1003, "Invalid fetch_period: expected NEVER, DAILY, WEEKLY or MONTH");
    }
    if (typeof url !== "string" || !isHttpUrl(url)) {
      throw new Refusal(1003, "Invalid fetch_url: expected an absolute http(s) URL");
    }
    const record = { fetch_url: url, fetch_period: period, at: now() };
    store.settings = record;
    store.settingsHistory.push(record);
    capture(req, 0);
    answer(reply, 0, "success", { fetch_url: url, fetch_period: period });
  };

  return {
    name: "partnerboost-brand",
    store,
    requests,
    matches: (req) => isApi(req) || isFile(req),
    faultExempt: isFile,
    handle(req, reply) {
      if (isFile(req)) {
        const file = files.get(decodeURIComponent(req.url.pathname.slice(PARTNERBOOST_FILES_PATH.length)));
        if (!file) reply.status(404).text("Not found");
        else reply.text(file.body, file.contentType);
        return;
      }
      if (req.method !== "POST" && req.method !== "GET") {
        reply
          .status(405)
          .header("allow", "GET, POST")
          .json({ status: { code: 1003, msg: "Use GET or POST" } });
        return;
      }
      try {
        const action = authenticate(req);
        if (action === productAction) handleProduct(req, reply);
        else if (action === settingAction) handleSetting(req, reply);
        else throw new Refusal(1003, `Unknown action: ${action}`);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        capture(req, err.code);
        answer(reply, err.code, err.msg);
      }
    },
    rateLimited(req, reply, style) {
      capture(req, 1002);
      if (style === "http") reply.status(429).header("retry-after", String(retryAfter));
      reply.json({ status: { code: 1002, msg: "Call frequency too high" }, data: null });
    },
    describe(origin) {
      return [
        `PartnerBoost Brand API    ${origin}${path}`,
        `  PARTNERBOOST_BRAND_API_URL=${origin}${path}`,
        `  PARTNERBOOST_BRAND_ID=${options.brandId}`,
        `  PARTNERBOOST_TOKEN=${options.token}`,
        `  PARTNERBOOST_SECRET=${options.secret}`,
        ...[...files.keys()].map((name) => `  hosted feed: ${origin}${PARTNERBOOST_FILES_PATH}${name}`),
      ];
    },
    host(name, body, contentType = "text/csv; charset=utf-8") {
      files.set(name, { body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType });
      return `${PARTNERBOOST_FILES_PATH}${encodeURIComponent(name)}`;
    },
    failSku(sku) {
      failing.add(sku);
    },
    reset() {
      store.products.clear();
      store.receipts.clear();
      store.accepted = 0;
      store.settings = undefined;
      store.settingsHistory.length = 0;
      requests.length = 0;
      failing.clear();
    },
  };
}
