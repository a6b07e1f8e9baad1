/**
 * The feed endpoints of the Partnerize sandbox over one store of campaigns and their feeds:
 *
 *   GET/POST/PUT /campaign/{campaign_id}/feed    brand: list, create (`{"feeds":[{…}]}`), update
 *   GET /user/publisher/{publisher_id}/feed      partner: campaigns[].campaign.feeds[]
 *
 * Locations are unique per campaign and cannot change; each change moves the store's virtual
 * clock by 60 s (the `updated` timestamps), so answers never depend on the wall clock.
 */
import { EPOCH, type HostedFile, type SandboxCatalogFeed } from "./partnerize-catalog.js";
import {
  executionTime,
  feedItems,
  flag,
  isHttpUrl,
  itemFields,
  positiveNumber,
  v1Error,
} from "./partnerize-v1.js";
import type { SandboxReply, SandboxRequest } from "./server.js";

export interface FeedState {
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

export interface CampaignState {
  campaignId: string;
  title: string;
  feeds: FeedState[];
}

/** The mutable state of the feed endpoints. */
export interface PartnerizeFeedStore {
  campaigns: Map<string, CampaignState>;
  /** Counter of feed ids handed out by POST. */
  nextFeed: number;
  /** Virtual time (epoch seconds) of the last change. */
  clock: number;
  /** Page size of list answers (Standard Pagination), when paging. */
  pageSize: number | undefined;
}

/** A store holding the given empty campaigns plus every seeded feed of the catalog. */
export function seedFeedStore(
  catalog: SandboxCatalogFeed[],
  files: Map<string, HostedFile>,
  options: { campaigns?: { campaignId: string; title: string }[] | undefined; pageSize?: number | undefined },
): PartnerizeFeedStore {
  const campaigns = new Map<string, CampaignState>();
  for (const c of options.campaigns ?? [])
    campaigns.set(c.campaignId, { campaignId: c.campaignId, title: c.title, feeds: [] });
  catalog.forEach((entry, index) => {
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
      creativeId: String(300441 + index),
    });
  });
  return { campaigns, nextFeed: 13, clock: EPOCH, pageSize: options.pageSize };
}

const originOf = (req: SandboxRequest) => `http://${req.headers.host ?? "127.0.0.1"}`;
/** A stored location: absolute, or a path under /files/partnerize/ rendered against the origin. */
const render = (loc: string | undefined, origin: string) =>
  loc === undefined ? undefined : loc.startsWith("/") ? origin + loc : loc;

function brandView(f: FeedState, origin: string, action?: string): Record<string, unknown> {
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
}

function page<T>(
  pageSize: number | undefined,
  items: T[],
  req: SandboxRequest,
): { items: T[]; paging: Record<string, number> } {
  const limitParam = positiveNumber(req.url.searchParams.get("limit"));
  const limit = limitParam && limitParam > 0 ? Math.floor(limitParam) : pageSize;
  if (!limit) return { items, paging: {} };
  const offset = Math.floor(positiveNumber(req.url.searchParams.get("offset")) ?? 0);
  return { items: items.slice(offset, offset + limit), paging: { offset, limit } };
}

export function listCampaign(
  store: PartnerizeFeedStore,
  req: SandboxRequest,
  reply: SandboxReply,
  c: CampaignState,
): void {
  const origin = originOf(req);
  const { items, paging } = page(store.pageSize, c.feeds, req);
  reply.json({
    count: c.feeds.length,
    execution_time: executionTime(),
    ...paging,
    feeds: items.map((f) => brandView(f, origin)),
  });
}

/** The `feeds` items of a POST/PUT body, or a v1 400 (naming `key`, the field each item needs). */
function requestFeeds(req: SandboxRequest, reply: SandboxReply, key: string): unknown[] | undefined {
  const items = feedItems(req.json);
  if (items && items.length > 0) return items;
  v1Error(reply, 400, `feeds not found: send a JSON body {"feeds": [{"${key}": …}]}`, "Validation Fail", [
    "feeds",
  ]);
  return undefined;
}

export function createFeeds(
  store: PartnerizeFeedStore,
  req: SandboxRequest,
  reply: SandboxReply,
  c: CampaignState,
): void {
  const items = requestFeeds(req, reply, "location");
  if (!items) return;
  const origin = originOf(req);
  const created: FeedState[] = [];
  const pending = new Set<string>();
  for (const raw of items) {
    const f = itemFields(raw);
    const location = typeof f?.location === "string" ? f.location.trim() : "";
    if (!f || !isHttpUrl(location)) {
      v1Error(reply, 400, "location is required and must be an http(s) URL", "Validation Fail", ["location"]);
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
    store.clock += 60;
    const filename = decodeURIComponent(new URL(location).pathname.split("/").pop() ?? "") || "feed";
    created.push({
      feedId: `1111l${store.nextFeed++}`,
      campaignId: c.campaignId,
      name: typeof f.name === "string" && f.name.trim() !== "" ? f.name : filename,
      location,
      filename,
      active,
      fetchFrequency,
      dynamic: positiveNumber(f.dynamic) ?? 0,
      filesize: 0,
      lastProcessed: 0,
      updated: store.clock,
      creativeId: String(400000 + store.nextFeed),
    });
  }
  c.feeds.push(...created);
  reply.status(201).json({
    count: created.length,
    execution_time: executionTime(),
    feeds: created.map((f) => brandView(f, origin)),
  });
}

export function updateFeeds(
  store: PartnerizeFeedStore,
  req: SandboxRequest,
  reply: SandboxReply,
  c: CampaignState,
): void {
  const items = requestFeeds(req, reply, "feed_id");
  if (!items) return;
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
    store.clock += 60;
    feed.updated = store.clock;
  }
  reply.json({
    count: changes.length,
    execution_time: executionTime(),
    feeds: changes.map(({ feed }) => brandView(feed, origin, "update")),
  });
}

export function listPublisher(store: PartnerizeFeedStore, req: SandboxRequest, reply: SandboxReply): void {
  const origin = originOf(req);
  const campaignFilter = req.url.searchParams.get("campaign_id") ?? undefined;
  const activeParam = req.url.searchParams.get("active");
  const active = activeParam === null || activeParam === "" ? undefined : flag(activeParam);
  if (activeParam && active === undefined) {
    v1Error(reply, 400, "active must be y or n", "Validation Fail", ["active"]);
    return;
  }
  const list = [...store.campaigns.values()]
    .filter((c) => !campaignFilter || c.campaignId === campaignFilter)
    .map((c, ci) => ({ c, ci, feeds: c.feeds.filter((f) => active === undefined || f.active === active) }))
    .filter((x) => x.feeds.length > 0);
  const { items, paging } = page(store.pageSize, list, req);
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
}
