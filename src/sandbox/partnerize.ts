/**
 * The Partnerize part of the sandbox: the v1 Product Feed endpoints as documented in
 * ../shared/reference/partnerize/ (brand-product-feeds.openapi.yml, partner-feeds.openapi.yml),
 * plus the feed files themselves.
 *
 *   GET/POST/PUT /campaign/{campaign_id}/feed    brand: list, create (`{"feeds":[{…}]}`), update
 *   GET /user/publisher/{publisher_id}/feed      partner: campaigns[].campaign.feeds[] (campaign_id, active)
 *   GET /files/partnerize/{file}                 hosted feed files (exempt from fault injection)
 *
 * Every API call needs HTTP Basic (application key : user API key); failures answer 401 in the v1
 * error envelope `{"error":{"message","type"}}`. Locations are unique per campaign and cannot change.
 * A `.json` suffix on API paths is accepted (v1 response-format suffix). Rate limits are HTTP 429
 * with `X-RateLimit-Retry-After` and `X-RateLimit-Remaining: 0`.
 *
 * The default catalog is seeded: three campaigns whose feeds are an Awin-style CSV (with a gzip copy
 * as `location_compressed`), a Google Merchant TSV and a Google RSS 2.0 XML; each has one product
 * with a bad GTIN check digit. `brokenFeeds: true` adds a campaign with a truncated gzip feed and a
 * feed whose file is missing (404).
 */
import { gzipSync } from "node:zlib";
import { seededRandom } from "../core/random.js";
import type { SandboxModule, SandboxReply, SandboxRequest } from "./server.js";

export const PARTNERIZE_SANDBOX_PUBLISHER = "1l1007802";
const FILES = "/files/partnerize/";
/** Fixed clock for timestamps in the seeded catalog (2024-11-21T08:00:00Z). */
const EPOCH = 1732176000;

export type SandboxFeedLayout = "awin-csv" | "google-tsv" | "google-rss";

/** One product in a seeded sandbox feed. `valid` is false for the deliberately broken one. */
export interface SandboxProduct {
  sku: string;
  name: string;
  description: string;
  url: string;
  image: string;
  price: number;
  currency: string;
  brand: string;
  gtin: string;
  availability: "in_stock" | "out_of_stock";
  valid: boolean;
}

/** A seeded campaign feed: what is hosted, and the products it holds. */
export interface SandboxCatalogFeed {
  campaignId: string;
  campaignTitle: string;
  feedId: string;
  name: string;
  layout: SandboxFeedLayout | "truncated-gzip" | "missing";
  filename: string;
  /** Path of the plain file (under /files/partnerize/). */
  path: string;
  /** Path of the gzip copy, when there is one. */
  compressedPath?: string | undefined;
  products: SandboxProduct[];
}

export interface PartnerizeSandboxCampaign {
  campaignId: string;
  title: string;
}

export interface PartnerizeSandboxOptions {
  applicationKey: string;
  userApiKey: string;
  /** The partner whose feeds `/user/publisher/{id}/feed` lists (default 1l1007802). */
  publisherId?: string | undefined;
  /**
   * Campaigns to serve. Default: three seeded campaigns with hosted feeds (see catalog). Campaigns
   * given here start without feeds; brands register them with POST.
   */
  campaigns?: PartnerizeSandboxCampaign[] | undefined;
  /** Seed for the generated catalog (default 7). */
  seed?: number | undefined;
  /** Products per seeded feed (default 8, at least 4). */
  productsPerFeed?: number | undefined;
  /** Add a campaign with a truncated gzip feed and a feed whose file is missing. */
  brokenFeeds?: boolean | undefined;
  /** Seconds sent in X-RateLimit-Retry-After on 429 answers (default 1; fractions allowed for tests). */
  retryAfterSeconds?: number | undefined;
  /** Page list responses (Standard Pagination: offset/limit/count) with this page size. */
  pageSize?: number | undefined;
}

interface FeedState {
  feedId: string;
  campaignId: string;
  name: string;
  /** Absolute URL, or a path under /files/partnerize/ rendered against the request's origin. */
  location: string;
  locationCompressed?: string | undefined;
  filename: string;
  active: boolean;
  fetchFrequency: number;
  dynamic: number;
  filesize: number;
  filesizeCompressed?: number | undefined;
  lastProcessed: number;
  updated: number;
  creativeId: string;
}

interface CampaignState {
  campaignId: string;
  title: string;
  feeds: FeedState[];
}

interface HostedFile {
  body: Buffer;
  contentType: string;
}

/** A request as the sandbox saw it (for tests: the Authorization header is captured here). */
export interface CapturedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface PartnerizeSandboxModule extends SandboxModule {
  /** The seeded feeds and their products (what a pull should export). */
  readonly catalog: SandboxCatalogFeed[];
  /** Requests seen (most recent last, at most 500). */
  readonly requests: CapturedRequest[];
  /** Answer the next `count` API requests with HTTP 429 (independent of the server's fault dice). */
  rateLimitNext(count: number): void;
  /** The current feeds of a campaign (brand view), for assertions. */
  campaignFeeds(
    campaignId: string,
  ): { feedId: string; location: string; name: string; active: boolean; fetchFrequency: number }[];
}

// ---- the seeded catalog ---------------------------------------------------------------------

const ADJECTIVES = [
  "Alpine",
  "Coastal",
  "Urban",
  "Classic",
  "Nordic",
  "Summit",
  "Harbor",
  "Canyon",
  "Meadow",
  "Ember",
];
const NOUNS: Record<string, string[]> = {
  outdoor: [
    "Trail Jacket",
    "Hiking Boot",
    "Day Pack",
    "Trekking Pole",
    "Sleeping Bag",
    "Rain Shell",
    "Headlamp",
  ],
  home: [
    "Linen Throw",
    "Table Lamp",
    "Ceramic Vase",
    "Wool Rug",
    "Scented Candle",
    "Cushion Cover",
    "Wall Mirror",
  ],
  kitchen: [
    "Chef Knife",
    "Cast Iron Pan",
    "Espresso Cup",
    "Cutting Board",
    "Pepper Mill",
    "Dutch Oven",
    "Tea Kettle",
  ],
  broken: ["Mystery Box", "Gadget", "Widget", "Gizmo", "Doohickey", "Contraption", "Thingamajig"],
};

interface SeedCampaign {
  campaignId: string;
  title: string;
  brand: string;
  domain: string;
  currency: string;
  kind: keyof typeof NOUNS;
  skuPrefix: string;
  feeds: {
    feedId: string;
    name: string;
    layout: SandboxCatalogFeed["layout"];
    filename: string;
    gzip: boolean;
  }[];
}

const SEED_CAMPAIGNS: SeedCampaign[] = [
  {
    campaignId: "10l176",
    title: "Trailhead Outdoor",
    brand: "Trailhead",
    domain: "trailhead.example",
    currency: "USD",
    kind: "outdoor",
    skuPrefix: "TH",
    feeds: [
      {
        feedId: "1011l10",
        name: "Trailhead US catalog",
        layout: "awin-csv",
        filename: "trailhead-us.csv",
        gzip: true,
      },
    ],
  },
  {
    campaignId: "10l177",
    title: "Maison Lumière",
    brand: "Maison Lumière",
    domain: "maison-lumiere.example",
    currency: "EUR",
    kind: "home",
    skuPrefix: "ML",
    feeds: [
      {
        feedId: "1011l11",
        name: "Maison Lumière FR",
        layout: "google-tsv",
        filename: "maison-fr.tsv",
        gzip: false,
      },
    ],
  },
  {
    campaignId: "10l178",
    title: "Nordic Kitchen",
    brand: "Nordic Kitchen",
    domain: "nordic-kitchen.example",
    currency: "GBP",
    kind: "kitchen",
    skuPrefix: "NK",
    feeds: [
      {
        feedId: "1011l12",
        name: "Nordic Kitchen UK",
        layout: "google-rss",
        filename: "nordic-uk.xml",
        gzip: false,
      },
    ],
  },
];

const BROKEN_CAMPAIGN: SeedCampaign = {
  campaignId: "10l179",
  title: "Broken Brand",
  brand: "Broken Brand",
  domain: "broken.example",
  currency: "USD",
  kind: "broken",
  skuPrefix: "BB",
  feeds: [
    {
      feedId: "1011l13",
      name: "Truncated download",
      layout: "truncated-gzip",
      filename: "broken-truncated.csv",
      gzip: true,
    },
    {
      feedId: "1011l14",
      name: "Missing file",
      layout: "missing",
      filename: "broken-missing.csv",
      gzip: false,
    },
  ],
};

/** EAN-13 with a correct GS1 check digit (or a wrong one when `valid` is false). */
function ean13(body12: string, valid: boolean): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[i]) * (i % 2 === 0 ? 1 : 3);
  const check = (10 - (sum % 10)) % 10;
  return body12 + String(valid ? check : (check + 1) % 10);
}

function makeProducts(c: SeedCampaign, count: number, random: () => number): SandboxProduct[] {
  const nouns = NOUNS[c.kind] ?? NOUNS.outdoor!;
  const out: SandboxProduct[] = [];
  for (let i = 0; i < count; i++) {
    const adjective = ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]!;
    const noun = nouns[i % nouns.length]!;
    const sku = `${c.skuPrefix}-${1001 + i}`;
    const cents = 500 + Math.floor(random() * 29500);
    const valid = i !== 3;
    const body = `40${String(1000000000 + Math.floor(random() * 8999999999)).slice(0, 10)}`;
    out.push({
      sku,
      name: `${c.brand} ${adjective} ${noun}`,
      description: `The ${adjective.toLowerCase()} ${noun.toLowerCase()} from ${c.brand}, item ${i + 1}.`,
      url: `https://${c.domain}/p/${sku.toLowerCase()}`,
      image: `https://${c.domain}/img/${sku.toLowerCase()}.jpg`,
      price: cents / 100,
      currency: c.currency,
      brand: c.brand,
      gtin: ean13(body, valid),
      availability: random() < 0.8 ? "in_stock" : "out_of_stock",
      valid,
    });
  }
  return out;
}

function csvCell(v: string, delimiter: string): string {
  if (delimiter === "\t") return v.replace(/[\t\r\n]/g, " ");
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function renderDelimited(header: string[], rows: string[][], delimiter: string): string {
  const lines = [header, ...rows].map((r) => r.map((v) => csvCell(v, delimiter)).join(delimiter));
  return `${lines.join("\n")}\n`;
}

function xmlEscape(v: string): string {
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Render products in one of the sandbox layouts. */
export function renderSandboxFeed(
  layout: SandboxFeedLayout,
  products: SandboxProduct[],
  title = "Sandbox feed",
): string {
  const price = (p: SandboxProduct) => p.price.toFixed(2);
  switch (layout) {
    case "awin-csv":
      return renderDelimited(
        [
          "product_id",
          "product_name",
          "description",
          "price",
          "currency",
          "deep_link",
          "image_url",
          "brand_name",
          "ean",
          "in_stock",
        ],
        products.map((p) => [
          p.sku,
          p.name,
          p.description,
          price(p),
          p.currency,
          p.url,
          p.image,
          p.brand,
          p.gtin,
          p.availability === "in_stock" ? "1" : "0",
        ]),
        ",",
      );
    case "google-tsv":
      return renderDelimited(
        [
          "id",
          "title",
          "description",
          "link",
          "image_link",
          "availability",
          "condition",
          "price",
          "brand",
          "gtin",
        ],
        products.map((p) => [
          p.sku,
          p.name,
          p.description,
          p.url,
          p.image,
          p.availability === "in_stock" ? "in stock" : "out of stock",
          "new",
          `${price(p)} ${p.currency}`,
          p.brand,
          p.gtin,
        ]),
        "\t",
      );
    case "google-rss": {
      const items = products.map(
        (p) =>
          "    <item>\n" +
          `      <g:id>${xmlEscape(p.sku)}</g:id>\n` +
          `      <title>${xmlEscape(p.name)}</title>\n` +
          `      <description>${xmlEscape(p.description)}</description>\n` +
          `      <link>${xmlEscape(p.url)}</link>\n` +
          `      <g:image_link>${xmlEscape(p.image)}</g:image_link>\n` +
          `      <g:price>${price(p)} ${p.currency}</g:price>\n` +
          `      <g:availability>${p.availability}</g:availability>\n` +
          "      <g:condition>new</g:condition>\n" +
          `      <g:brand>${xmlEscape(p.brand)}</g:brand>\n` +
          `      <g:gtin>${p.gtin}</g:gtin>\n` +
          "    </item>\n",
      );
      return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n' +
        "  <channel>\n" +
        `    <title>${xmlEscape(title)}</title>\n` +
        "    <link>https://example.com/</link>\n" +
        "    <description>Sandbox product feed</description>\n" +
        items.join("") +
        "  </channel>\n" +
        "</rss>\n"
      );
    }
  }
}

function buildCatalog(options: PartnerizeSandboxOptions): {
  catalog: SandboxCatalogFeed[];
  files: Map<string, HostedFile>;
} {
  const count = Math.max(4, options.productsPerFeed ?? 8);
  const seeds = options.brokenFeeds ? [...SEED_CAMPAIGNS, BROKEN_CAMPAIGN] : SEED_CAMPAIGNS;
  const catalog: SandboxCatalogFeed[] = [];
  const files = new Map<string, HostedFile>();
  seeds.forEach((c, ci) => {
    c.feeds.forEach((f, fi) => {
      const random = seededRandom((options.seed ?? 7) * 1000 + ci * 10 + fi);
      // The truncated feed is large enough that records are read before the gzip data ends.
      const products = makeProducts(c, f.layout === "truncated-gzip" ? Math.max(count, 3000) : count, random);
      const path = FILES + f.filename;
      const entry: SandboxCatalogFeed = {
        campaignId: c.campaignId,
        campaignTitle: c.title,
        feedId: f.feedId,
        name: f.name,
        layout: f.layout,
        filename: f.filename,
        path,
        products,
      };
      if (f.layout === "missing") {
        // the listing names it; the file itself is not hosted
      } else if (f.layout === "truncated-gzip") {
        const full = gzipSync(Buffer.from(renderSandboxFeed("awin-csv", products, f.name)));
        entry.compressedPath = `${path}.gz`;
        files.set(entry.compressedPath, {
          body: full.subarray(0, Math.floor(full.length * 0.6)),
          contentType: "application/gzip",
        });
        files.set(path, {
          body: Buffer.from("product_id,product_name\n"),
          contentType: "text/csv; charset=utf-8",
        });
      } else {
        const text = renderSandboxFeed(f.layout, products, f.name);
        const contentType =
          f.layout === "google-rss"
            ? "application/xml; charset=utf-8"
            : f.layout === "google-tsv"
              ? "text/tab-separated-values; charset=utf-8"
              : "text/csv; charset=utf-8";
        files.set(path, { body: Buffer.from(text, "utf8"), contentType });
        if (f.gzip) {
          entry.compressedPath = `${path}.gz`;
          files.set(entry.compressedPath, {
            body: gzipSync(Buffer.from(text, "utf8")),
            contentType: "application/gzip",
          });
        }
      }
      catalog.push(entry);
    });
  });
  return { catalog, files };
}

// ---- request handling -----------------------------------------------------------------------

function v1Error(
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

function executionTime(): string {
  return "0.01234 seconds";
}

function parseBasic(header: string | string[] | undefined): { user: string; pass: string } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(value ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

function flag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  const s = String(v ?? "")
    .trim()
    .toLowerCase();
  if (s === "y") return true;
  if (s === "n") return false;
  return undefined;
}

function feedItems(body: unknown): unknown[] | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const feeds = (body as Record<string, unknown>).feeds;
  if (Array.isArray(feeds)) return feeds;
  if (feeds && typeof feeds === "object") return Object.values(feeds);
  return undefined;
}

/** Items may be sent bare or as `{feed: {…}}`. */
function itemFields(item: unknown): Record<string, unknown> | undefined {
  if (!item || typeof item !== "object" || Array.isArray(item)) return undefined;
  const o = item as Record<string, unknown>;
  if (o.feed && typeof o.feed === "object" && !Array.isArray(o.feed))
    return o.feed as Record<string, unknown>;
  return o;
}

function positiveNumber(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function partnerizeModule(options: PartnerizeSandboxOptions): PartnerizeSandboxModule {
  const publisherId = options.publisherId ?? PARTNERIZE_SANDBOX_PUBLISHER;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const { catalog, files } = buildCatalog(options);
  const campaigns = new Map<string, CampaignState>();
  let nextFeed = 13;
  let clock = EPOCH;
  let pendingRateLimits = 0;
  const requests: CapturedRequest[] = [];

  if (options.campaigns) {
    for (const c of options.campaigns)
      campaigns.set(c.campaignId, { campaignId: c.campaignId, title: c.title, feeds: [] });
  }
  for (const entry of catalog) {
    let c = campaigns.get(entry.campaignId);
    if (!c) {
      c = { campaignId: entry.campaignId, title: entry.campaignTitle, feeds: [] };
      campaigns.set(entry.campaignId, c);
    }
    const plain = files.get(entry.path);
    const packed = entry.compressedPath ? files.get(entry.compressedPath) : undefined;
    c.feeds.push({
      feedId: entry.feedId,
      campaignId: entry.campaignId,
      name: entry.name,
      location: entry.path,
      locationCompressed: entry.compressedPath,
      filename: entry.filename,
      active: true,
      fetchFrequency: 3600,
      dynamic: 0,
      filesize: plain?.body.length ?? 0,
      filesizeCompressed: packed?.body.length,
      lastProcessed: EPOCH - 1800,
      updated: EPOCH - 3600,
      creativeId: String(300441 + catalog.indexOf(entry)),
    });
  }

  const originOf = (req: SandboxRequest) => `http://${req.headers.host ?? "127.0.0.1"}`;
  const render = (loc: string | undefined, origin: string) =>
    loc === undefined ? undefined : loc.startsWith("/") ? origin + loc : loc;

  const brandView = (f: FeedState, origin: string, action?: string): Record<string, unknown> => {
    const feed: Record<string, unknown> = {};
    if (action) feed.action = action;
    Object.assign(feed, {
      active: f.active ? "y" : "n",
      dynamic: f.dynamic,
      feed_id: f.feedId,
      // Real v1 servers often send numbers as strings; the client must cope.
      fetch_frequency: String(f.fetchFrequency),
      filesize: f.filesize,
      last_processed: f.lastProcessed,
      location: render(f.location, origin),
      name: f.name,
      updated: f.updated,
    });
    return { feed };
  };

  const page = <T>(items: T[], req: SandboxRequest): { items: T[]; paging: Record<string, number> } => {
    const limitParam = positiveNumber(req.url.searchParams.get("limit"));
    const limit = limitParam && limitParam > 0 ? Math.floor(limitParam) : options.pageSize;
    if (!limit) return { items, paging: {} };
    const offset = Math.floor(positiveNumber(req.url.searchParams.get("offset")) ?? 0);
    return { items: items.slice(offset, offset + limit), paging: { offset, limit } };
  };

  const captured = (req: SandboxRequest, path: string) => {
    const a = req.headers.authorization;
    requests.push({ method: req.method, path, authorization: Array.isArray(a) ? a[0] : a, body: req.body });
    if (requests.length > 500) requests.shift();
  };

  const authorized = (req: SandboxRequest, reply: SandboxReply): boolean => {
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
    if (creds.user !== options.applicationKey || creds.pass !== options.userApiKey) {
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
  };

  const rateLimitReply = (reply: SandboxReply): void => {
    reply
      .header("x-ratelimit-limit", "10")
      .header("x-ratelimit-remaining", "0")
      .header("x-ratelimit-reset", String(Math.ceil(retryAfter)))
      .header("x-ratelimit-retry-after", String(retryAfter));
    v1Error(reply, 429, "Too Many Requests", "429");
  };

  const listCampaign = (req: SandboxRequest, reply: SandboxReply, c: CampaignState): void => {
    const origin = originOf(req);
    const { items, paging } = page(c.feeds, req);
    reply.json({
      count: c.feeds.length,
      execution_time: executionTime(),
      ...paging,
      feeds: items.map((f) => brandView(f, origin)),
    });
  };

  const createFeeds = (req: SandboxRequest, reply: SandboxReply, c: CampaignState): void => {
    const items = feedItems(req.json);
    if (!items || items.length === 0) {
      v1Error(
        reply,
        400,
        'feeds not found: send a JSON body {"feeds": [{"location": …}]}',
        "Validation Fail",
        ["feeds"],
      );
      return;
    }
    const origin = originOf(req);
    const created: FeedState[] = [];
    const pending = new Set<string>();
    for (const raw of items) {
      const f = itemFields(raw);
      const location = typeof f?.location === "string" ? f.location.trim() : "";
      if (!f || !isHttpUrl(location)) {
        v1Error(reply, 400, "location is required and must be an http(s) URL", "Validation Fail", [
          "location",
        ]);
        return;
      }
      const existing = c.feeds.find((x) => render(x.location, origin) === location);
      if (existing || pending.has(location)) {
        v1Error(
          reply,
          400,
          `A feed with location ${location} already exists on campaign ${c.campaignId}` +
            (existing ? ` (feed_id ${existing.feedId})` : "") +
            "; locations are unique: update that feed instead",
          "Validation Fail",
          ["location"],
        );
        return;
      }
      const active = f.active === undefined ? true : flag(f.active);
      if (active === undefined) {
        v1Error(reply, 400, "active must be y or n", "Validation Fail", ["active"]);
        return;
      }
      const fetchFrequency = f.fetch_frequency === undefined ? 3600 : positiveNumber(f.fetch_frequency);
      if (fetchFrequency === undefined) {
        v1Error(reply, 400, "fetch_frequency must be a number of seconds", "Validation Fail", [
          "fetch_frequency",
        ]);
        return;
      }
      pending.add(location);
      clock += 60;
      const filename = decodeURIComponent(new URL(location).pathname.split("/").pop() ?? "") || "feed";
      created.push({
        feedId: `1111l${nextFeed++}`,
        campaignId: c.campaignId,
        name: typeof f.name === "string" && f.name.trim() !== "" ? f.name : filename,
        location,
        filename,
        active,
        fetchFrequency,
        dynamic: positiveNumber(f.dynamic) ?? 0,
        filesize: 0,
        lastProcessed: 0,
        updated: clock,
        creativeId: String(400000 + nextFeed),
      });
    }
    c.feeds.push(...created);
    reply.status(201).json({
      count: created.length,
      execution_time: executionTime(),
      feeds: created.map((f) => brandView(f, origin)),
    });
  };

  const updateFeeds = (req: SandboxRequest, reply: SandboxReply, c: CampaignState): void => {
    const items = feedItems(req.json);
    if (!items || items.length === 0) {
      v1Error(
        reply,
        400,
        'feeds not found: send a JSON body {"feeds": [{"feed_id": …}]}',
        "Validation Fail",
        ["feeds"],
      );
      return;
    }
    const origin = originOf(req);
    const changes: { feed: FeedState; f: Record<string, unknown> }[] = [];
    for (const raw of items) {
      const f = itemFields(raw);
      const feedId =
        typeof f?.feed_id === "string" || typeof f?.feed_id === "number" ? String(f.feed_id) : undefined;
      const location = typeof f?.location === "string" ? f.location.trim() : undefined;
      if (!f || (feedId === undefined && location === undefined)) {
        v1Error(reply, 400, "Each feed must contain its feed_id or location", "Validation Fail", [
          "feed_id",
          "location",
        ]);
        return;
      }
      const feed = feedId
        ? c.feeds.find((x) => x.feedId === feedId)
        : c.feeds.find((x) => render(x.location, origin) === location);
      if (!feed) {
        v1Error(reply, 404, `Feed ${feedId ?? location} not found on campaign ${c.campaignId}`, "404");
        return;
      }
      if (feedId && location !== undefined && render(feed.location, origin) !== location) {
        v1Error(
          reply,
          400,
          "The location of a feed cannot be changed: set active n on this feed and create a new feed with the new location",
          "Validation Fail",
          ["location"],
        );
        return;
      }
      if (f.active !== undefined && flag(f.active) === undefined) {
        v1Error(reply, 400, "active must be y or n", "Validation Fail", ["active"]);
        return;
      }
      if (f.fetch_frequency !== undefined && positiveNumber(f.fetch_frequency) === undefined) {
        v1Error(reply, 400, "fetch_frequency must be a number of seconds", "Validation Fail", [
          "fetch_frequency",
        ]);
        return;
      }
      changes.push({ feed, f });
    }
    for (const { feed, f } of changes) {
      if (typeof f.name === "string" && f.name.trim() !== "") feed.name = f.name;
      if (f.active !== undefined) feed.active = flag(f.active)!;
      if (f.fetch_frequency !== undefined) feed.fetchFrequency = positiveNumber(f.fetch_frequency)!;
      if (f.dynamic !== undefined) feed.dynamic = positiveNumber(f.dynamic) ?? feed.dynamic;
      clock += 60;
      feed.updated = clock;
    }
    reply.json({
      count: changes.length,
      execution_time: executionTime(),
      feeds: changes.map(({ feed }) => brandView(feed, origin, "update")),
    });
  };

  const listPublisher = (req: SandboxRequest, reply: SandboxReply): void => {
    const origin = originOf(req);
    const campaignFilter = req.url.searchParams.get("campaign_id") ?? undefined;
    const activeParam = req.url.searchParams.get("active");
    const active = activeParam === null || activeParam === "" ? undefined : flag(activeParam);
    if (activeParam && active === undefined) {
      v1Error(reply, 400, "active must be y or n", "Validation Fail", ["active"]);
      return;
    }
    const list = [...campaigns.values()]
      .filter((c) => !campaignFilter || c.campaignId === campaignFilter)
      .map((c, ci) => ({ c, ci, feeds: c.feeds.filter((f) => active === undefined || f.active === active) }))
      .filter((x) => x.feeds.length > 0);
    const { items, paging } = page(list, req);
    reply.json({
      campaigns: items.map(({ c, ci, feeds }) => ({
        campaign: {
          campaign_id: c.campaignId,
          title: c.title,
          feeds: feeds.map((f, fi) => {
            const feed: Record<string, unknown> = {
              campaign_feeds_id: f.feedId,
              campaign_id: c.campaignId,
              creative_id: f.creativeId,
              filename: f.filename,
              // Tolerance: the second campaign sends numbers as strings.
              filesize: ci % 2 === 1 ? String(f.filesize) : f.filesize,
              last_processed: ci % 2 === 1 ? String(f.lastProcessed) : f.lastProcessed,
              location: render(f.location, origin),
              name: f.name,
              title: c.title,
              updated: f.updated,
            };
            if (f.locationCompressed) {
              feed.location_compressed = render(f.locationCompressed, origin);
              feed.filesize_compressed = f.filesizeCompressed;
            }
            // Both shapes occur in public material: the first feed of each campaign wrapped.
            return fi === 0 && ci % 2 === 0 ? { feed } : feed;
          }),
        },
      })),
      count: list.length,
      ...paging,
      execution_time: executionTime(),
    });
  };

  const serveFile = (req: SandboxRequest, reply: SandboxReply, path: string): void => {
    if (req.headers.authorization !== undefined && !authorized(req, reply)) return;
    const file = files.get(path);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      v1Error(reply, 404, `No feed file at ${path}`, "404");
      return;
    }
    reply.text(file.body, file.contentType);
  };

  const module: PartnerizeSandboxModule = {
    name: "partnerize",
    catalog,
    requests,
    rateLimitNext(count: number) {
      pendingRateLimits = Math.max(0, Math.floor(count));
    },
    campaignFeeds(campaignId: string) {
      return (campaigns.get(campaignId)?.feeds ?? []).map((f) => ({
        feedId: f.feedId,
        location: f.location,
        name: f.name,
        active: f.active,
        fetchFrequency: f.fetchFrequency,
      }));
    },
    matches(req) {
      const p = req.url.pathname;
      return p.startsWith("/campaign/") || p.startsWith("/user/publisher/") || p.startsWith(FILES);
    },
    faultExempt(req) {
      return req.url.pathname.startsWith(FILES);
    },
    rateLimited(_req, reply) {
      rateLimitReply(reply);
    },
    describe(origin) {
      return [
        `Partnerize   PARTNERIZE_API_URL=${origin}  PARTNERIZE_APPLICATION_KEY=${options.applicationKey}  ` +
          `PARTNERIZE_USER_API_KEY=${options.userApiKey}`,
        `             campaigns ${[...campaigns.keys()].join(", ")}; partner (publisher) id ${publisherId}`,
      ];
    },
    handle(req, reply) {
      const path = req.url.pathname.replace(/\.json$/, "");
      captured(req, path);
      if (path.startsWith(FILES)) {
        serveFile(req, reply, req.url.pathname);
        return;
      }
      if (pendingRateLimits > 0) {
        pendingRateLimits--;
        rateLimitReply(reply);
        return;
      }
      if (!authorized(req, reply)) return;
      const brand = /^\/campaign\/([^/]+)\/feed\/?$/.exec(path);
      if (brand) {
        const campaignId = decodeURIComponent(brand[1]!);
        const c = campaigns.get(campaignId);
        if (!c) {
          v1Error(reply, 404, `Campaign ${campaignId} not found`, "404");
          return;
        }
        if (req.method === "GET") listCampaign(req, reply, c);
        else if (req.method === "POST") createFeeds(req, reply, c);
        else if (req.method === "PUT") updateFeeds(req, reply, c);
        else {
          reply.header("allow", "GET, POST, PUT");
          v1Error(reply, 405, `Method ${req.method} not allowed on /campaign/{campaign_id}/feed`, "405");
        }
        return;
      }
      const partner = /^\/user\/publisher\/([^/]+)\/feed\/?$/.exec(path);
      if (partner) {
        const id = decodeURIComponent(partner[1]!);
        if (req.method !== "GET") {
          reply.header("allow", "GET");
          v1Error(
            reply,
            405,
            `Method ${req.method} not allowed on /user/publisher/{publisher_id}/feed`,
            "405",
          );
          return;
        }
        if (id !== publisherId) {
          v1Error(
            reply,
            403,
            `Permission Denied: User cannot perform feed_read action on publisher-${id}`,
            "Access Permission Denied",
          );
          return;
        }
        listPublisher(req, reply);
        return;
      }
      v1Error(reply, 404, `No route found for "${req.method} ${req.url.pathname}"`, "404");
    },
  };
  return module;
}
