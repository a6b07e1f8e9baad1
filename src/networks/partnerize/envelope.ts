/**
 * Partnerize v1 response envelopes, read tolerantly.
 *
 * Documented shapes (../shared/reference/partnerize/):
 *   brand:   {count, execution_time, feeds: [{feed: {feed_id, location, name, active, fetch_frequency, …}}]}
 *   partner: {count, execution_time, campaigns: [{campaign: {campaign_id, title, feeds: [{campaign_feeds_id, …}]}}]}
 *   error:   {"error": {"message": "…", "type": "429"}}   (v2/v3: {"error": {"errors": [{message}], message, code}})
 *
 * What real servers do, and what is accepted here: items wrapped (`{feed: {…}}`) or unwrapped,
 * lists as arrays or as objects keyed by index, numbers as strings, `active` as y/n, Y/N, 1/0 or a
 * boolean, timestamps as Unix seconds (number or string) or a date string.
 */

/** A Product Feed registered on a campaign (brand side). */
export interface CampaignFeed {
  feedId: string;
  campaignId: string;
  name: string;
  location: string;
  active: boolean;
  /** Seconds between fetches. */
  fetchFrequency?: number | undefined;
  dynamic?: number | undefined;
  filesize?: number | undefined;
  /** Unix seconds. */
  lastProcessed?: number | undefined;
  /** Unix seconds. */
  updated?: number | undefined;
  /** What the server says it did (`update` on PUT). */
  action?: string | undefined;
}

/** A feed a partner can download (partner side). */
export interface PublisherFeed {
  /** `campaign_feeds_id`. */
  feedId: string;
  campaignId: string;
  campaignTitle: string;
  name: string;
  filename?: string | undefined;
  location?: string | undefined;
  /** Gzip copy of the feed, preferred for downloads. */
  locationCompressed?: string | undefined;
  filesize?: number | undefined;
  filesizeCompressed?: number | undefined;
  /** Unix seconds. */
  updated?: number | undefined;
  /** Unix seconds. */
  lastProcessed?: number | undefined;
  creativeId?: string | undefined;
}

/** Paging attributes of a v1 list response (Standard Pagination), when present. */
export interface PageInfo {
  count?: number | undefined;
  offset?: number | undefined;
  limit?: number | undefined;
  /** `hypermedia.pagination.next_page`, when present. */
  nextPage?: string | undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A list that may arrive as an array, as an object keyed by index or by id, or as its one item. */
export function listOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k]);
    }
    // Keyed by id (`{"1011l10": {…}, "1011l11": {…}}`): every value an item, no field of its own.
    if (keys.length > 0 && !hasAnyId(v) && keys.every((k) => isObject(v[k]))) return keys.map((k) => v[k]);
    // A single item rather than a list (seen when a list has one element).
    return [v];
  }
  return [];
}

/** Unwrap `{feed: {…}}` (or `{campaign: {…}}`) when the item is wrapped. */
export function unwrap(item: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(item)) return undefined;
  const inner = item[key];
  if (isObject(inner) && Object.keys(item).length === 1) return inner;
  if (isObject(inner) && !(key in inner) && !hasAnyId(item)) return inner;
  return item;
}

function hasAnyId(o: Record<string, unknown>): boolean {
  return "feed_id" in o || "campaign_feeds_id" in o || "campaign_id" in o || "location" in o;
}

export function toStr(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

export function toNum(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Unix seconds from a number, a numeric string, or a date string ("2015-05-21 19:06:23"). */
export function toUnixSeconds(v: unknown): number | undefined {
  const n = toNum(v);
  if (n !== undefined) return n > 0 ? n : undefined;
  if (typeof v === "string" && v.trim() !== "" && !/^0{4}-/.test(v.trim())) {
    const s = v.trim();
    const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(s) ? `${s.replace(" ", "T")}Z` : s;
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  return undefined;
}

/** y/n flags, tolerant of case, 1/0 and booleans; undefined when absent or unreadable. */
export function toFlag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["y", "yes", "1", "true", "a", "active"].includes(s)) return true;
    if (["n", "no", "0", "false", "i", "inactive"].includes(s)) return false;
  }
  return undefined;
}

/** Normalise one brand-side feed item (wrapped or not). Returns undefined when it has no id. */
export function readCampaignFeed(item: unknown, campaignId: string): CampaignFeed | undefined {
  const f = unwrap(item, "feed");
  if (!f) return undefined;
  const feedId = toStr(f.feed_id) ?? toStr(f.campaign_feeds_id) ?? toStr(f.id);
  if (feedId === undefined || feedId === "") return undefined;
  return {
    feedId,
    campaignId: toStr(f.campaign_id) ?? campaignId,
    name: toStr(f.name) ?? "",
    location: toStr(f.location) ?? "",
    active: toFlag(f.active) ?? true,
    fetchFrequency: toNum(f.fetch_frequency),
    dynamic: toNum(f.dynamic),
    filesize: toNum(f.filesize),
    lastProcessed: toUnixSeconds(f.last_processed),
    updated: toUnixSeconds(f.updated),
    action: toStr(f.action),
  };
}

/** The feeds of a brand-side response `{feeds: [...]}` (or a bare array, or a single `{feed}`). */
export function readCampaignFeeds(json: unknown, campaignId: string): CampaignFeed[] {
  let list: unknown[];
  if (Array.isArray(json)) list = json;
  else if (isObject(json) && "feeds" in json) list = listOf(json.feeds);
  else if (isObject(json) && "feed" in json) list = [json];
  else list = [];
  const out: CampaignFeed[] = [];
  for (const item of list) {
    const feed = readCampaignFeed(item, campaignId);
    if (feed) out.push(feed);
  }
  return out;
}

/** Normalise the partner-side response into one row per feed, with its campaign. */
export function readPublisherFeeds(json: unknown): PublisherFeed[] {
  const campaigns = isObject(json) ? listOf(json.campaigns) : Array.isArray(json) ? json : [];
  const out: PublisherFeed[] = [];
  for (const item of campaigns) {
    const c = unwrap(item, "campaign");
    if (!c) continue;
    const campaignId = toStr(c.campaign_id) ?? "";
    const campaignTitle = toStr(c.title) ?? toStr(c.campaign_title) ?? "";
    // The example's `feeds: [...]`, and the schema's single `feed: {…}` (allOf with Feed).
    const feedItems =
      isObject(c.feed) || Array.isArray(c.feed) ? [...listOf(c.feeds), ...listOf(c.feed)] : listOf(c.feeds);
    for (const feedItem of feedItems) {
      const f = unwrap(feedItem, "feed");
      if (!f) continue;
      const feedId = toStr(f.campaign_feeds_id) ?? toStr(f.feed_id) ?? toStr(f.id);
      if (feedId === undefined || feedId === "") continue;
      out.push({
        feedId,
        campaignId: campaignId || (toStr(f.campaign_id) ?? ""),
        campaignTitle: campaignTitle || (toStr(f.title) ?? ""),
        name: toStr(f.name) ?? toStr(f.filename) ?? "",
        filename: toStr(f.filename),
        location: nonEmpty(toStr(f.location)),
        locationCompressed: nonEmpty(toStr(f.location_compressed)),
        filesize: toNum(f.filesize),
        filesizeCompressed: toNum(f.filesize_compressed),
        updated: toUnixSeconds(f.updated),
        lastProcessed: toUnixSeconds(f.last_processed),
        creativeId: toStr(f.creative_id),
      });
    }
  }
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s;
}

/** How many top-level entries a list answer holds under `key` (or as a bare array). */
export function listEntries(json: unknown, key: string): number {
  if (Array.isArray(json)) return json.length;
  if (!isObject(json) || !(key in json)) return 0;
  return listOf(json[key]).length;
}

/** Standard Pagination attributes, when the response has them. */
export function readPageInfo(json: unknown): PageInfo {
  if (!isObject(json)) return {};
  const info: PageInfo = { count: toNum(json.count), offset: toNum(json.offset), limit: toNum(json.limit) };
  const hyper = json.hypermedia;
  if (isObject(hyper) && isObject(hyper.pagination)) {
    const next = toStr(hyper.pagination.next_page);
    if (next) info.nextPage = next;
  }
  return info;
}

export interface ApiErrorBody {
  message: string;
  /** v1 `type` ("429", "Validation Fail", "Access Permission Denied") or v2/v3 `code`. */
  type?: string | undefined;
  /** Fields named by a validation failure. */
  fields?: string[] | undefined;
}

/** Read an error envelope (v1, v2 or v3 shape); undefined when the body is not one. */
export function readErrorBody(json: unknown): ApiErrorBody | undefined {
  if (!isObject(json) || !isObject(json.error)) return undefined;
  const e = json.error;
  const details = listOf(e.errors)
    .map((d) => (isObject(d) ? toStr(d.message) : toStr(d)))
    .filter((m): m is string => typeof m === "string" && m !== "");
  const top = toStr(e.message) ?? "";
  const message = details.length > 0 ? `${top ? `${top}: ` : ""}${details.join("; ")}` : top;
  let fields: string[] | undefined;
  if (Array.isArray(e.fields)) fields = e.fields.map((x) => toStr(x)).filter((x): x is string => !!x);
  else if (isObject(e.fields)) fields = Object.keys(e.fields);
  return {
    message: message || "(no message)",
    type: toStr(e.type) ?? toStr(e.code),
    fields: fields && fields.length > 0 ? fields : undefined,
  };
}
