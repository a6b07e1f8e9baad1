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
 * Split by responsibility: the seeded catalog (partnerize-catalog.ts) and its layouts
 * (partnerize-render.ts), the feed endpoints (partnerize-feeds.ts), the v1 envelope, auth and
 * rate-limit headers (partnerize-v1.ts); this file holds the options, the routes and the files.
 *
 * The default catalog is seeded: three campaigns whose feeds are an Awin-style CSV (with a gzip copy
 * as `location_compressed`), a Google Merchant TSV and a Google RSS 2.0 XML; each has one product
 * with a bad GTIN check digit. `brokenFeeds: true` adds a campaign with a truncated gzip feed and a
 * feed whose file is missing (404).
 */
import { buildCatalog, FILES, type SandboxCatalogFeed } from "./partnerize-catalog.js";
import { createFeeds, listCampaign, listPublisher, seedFeedStore, updateFeeds } from "./partnerize-feeds.js";
import { authorized, rateLimitReply, v1Error } from "./partnerize-v1.js";
import type { SandboxModule, SandboxReply, SandboxRequest } from "./server.js";

export type { SandboxCatalogFeed, SandboxFeedLayout, SandboxProduct } from "./partnerize-catalog.js";
export { renderSandboxFeed } from "./partnerize-render.js";

export const PARTNERIZE_SANDBOX_PUBLISHER = "1l1007802";

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

export function partnerizeModule(options: PartnerizeSandboxOptions): PartnerizeSandboxModule {
  const publisherId = options.publisherId ?? PARTNERIZE_SANDBOX_PUBLISHER;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const { catalog, files } = buildCatalog(options);
  const store = seedFeedStore(catalog, files, options);
  const campaigns = store.campaigns;
  let pendingRateLimits = 0;
  const requests: CapturedRequest[] = [];
  const credentials = { applicationKey: options.applicationKey, userApiKey: options.userApiKey };

  const captured = (req: SandboxRequest, path: string) => {
    const a = req.headers.authorization;
    requests.push({ method: req.method, path, authorization: Array.isArray(a) ? a[0] : a, body: req.body });
    if (requests.length > 500) requests.shift();
  };

  const serveFile = (req: SandboxRequest, reply: SandboxReply, path: string): void => {
    if (req.headers.authorization !== undefined && !authorized(req, reply, credentials)) return;
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
      rateLimitReply(reply, retryAfter);
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
        rateLimitReply(reply, retryAfter);
        return;
      }
      if (!authorized(req, reply, credentials)) return;
      const brand = /^\/campaign\/([^/]+)\/feed\/?$/.exec(path);
      if (brand) {
        const campaignId = decodeURIComponent(brand[1]!);
        const c = campaigns.get(campaignId);
        if (!c) {
          v1Error(reply, 404, `Campaign ${campaignId} not found`, "404");
          return;
        }
        if (req.method === "GET") listCampaign(store, req, reply, c);
        else if (req.method === "POST") createFeeds(store, req, reply, c);
        else if (req.method === "PUT") updateFeeds(store, req, reply, c);
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
        listPublisher(store, req, reply);
        return;
      }
      v1Error(reply, 404, `No route found for "${req.method} ${req.url.pathname}"`, "404");
    },
  };
  return module;
}
