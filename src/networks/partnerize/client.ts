/**
 * Partnerize v1 client: brand-side Product Feed registration and partner-side feed listing.
 *
 * - Base URL `https://api.partnerize.com` (overridable: the sandbox and tests use loopback).
 * - HTTP Basic: user = application key, password = user API key. The keys live in the client's
 *   closure: not enumerable, not in any message, and never sent to a host other than the API's
 *   (feed downloads from other hosts get no Authorization header; a redirect to another host is
 *   refused).
 * - Every call takes `{ signal }` (the run's) and goes the one HTTP path (../http-client.ts): the
 *   shared retry policy and the run's rate controller for the API host. HTTP 429 pauses every
 *   request for `X-RateLimit-Retry-After` seconds (never a failed attempt), `X-RateLimit-Remaining:
 *   0` waits for the reset before the next request; 5xx and dropped connections back off; 401/403
 *   stop at once with NET_AUTH_FAILED. Answers are read by ./answer.ts.
 */
import { cutText, redactSecrets } from "../../core/errors.js";
import type { RateLimits } from "../../core/rate-limits.js";
import type { RetryEvent, RetryPolicy } from "../../core/retry.js";
import { type CallOptions, createHttpClient, type HttpCall } from "../http-client.js";
import { badResponse, readPartnerizeAnswer } from "./answer.js";
import {
  type CampaignFeed,
  type PublisherFeed,
  readCampaignFeeds,
  readPageInfo,
  listEntries,
  readPublisherFeeds,
} from "./envelope.js";

export type { CallOptions } from "../http-client.js";

export const PARTNERIZE_API_URL = "https://api.partnerize.com";

export interface PartnerizeClientOptions {
  applicationKey: string;
  userApiKey: string;
  /** Default https://api.partnerize.com. */
  apiUrl?: string | undefined;
  /** Connect/response timeout per request (ms). */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Aborts every call of this client (each call also takes its own `{ signal }`). */
  signal?: AbortSignal | undefined;
  /** The run's rate controllers (shared with its other clients); default: one of its own. */
  rates?: RateLimits | undefined;
}

/** A new feed. `location` is its unique identifier and cannot change later. */
export interface CampaignFeedInput {
  location: string;
  name?: string | undefined;
  /** Sent as `active: "y" | "n"`. */
  active?: boolean | undefined;
  /** Seconds between fetches (`fetch_frequency`). */
  fetchFrequency?: number | undefined;
  dynamic?: number | undefined;
}

/** Changes to an existing feed (identified by its feed id). */
export interface CampaignFeedUpdate {
  name?: string | undefined;
  active?: boolean | undefined;
  fetchFrequency?: number | undefined;
  dynamic?: number | undefined;
}

export interface PublisherFeedFilter {
  campaignId?: string | undefined;
  /** `active=y|n`; all feeds when undefined. */
  active?: boolean | undefined;
}

export interface PartnerizeClient {
  readonly apiUrl: string;
  /** Values to redact from anything printed: the keys and their Basic token. */
  secrets(): string[];
  /**
   * Headers for downloading a feed file: the Authorization header only when the file is served by
   * the API's own origin (Partnerize-hosted copies); never for other hosts (the brand's servers).
   */
  downloadHeaders(url: string): Record<string, string>;
  /** All Product Feeds of a campaign (`GET /campaign/{campaign_id}/feed`). */
  listCampaignFeeds(campaignId: string, options?: CallOptions): Promise<CampaignFeed[]>;
  /**
   * Create a feed (`POST /campaign/{campaign_id}/feed`, JSON `{"feeds": [{…}]}`). When a retry
   * follows a failure that may have landed (dropped connection, 5xx), the campaign's feeds are
   * listed first and an existing feed with this location is returned instead of a duplicate POST.
   */
  createCampaignFeed(
    campaignId: string,
    input: CampaignFeedInput,
    options?: CallOptions,
  ): Promise<CampaignFeed>;
  /**
   * Update a feed (`PUT /campaign/{campaign_id}/feed`, JSON `{"feeds": [{feed_id, …}]}`). The
   * location cannot be changed; deactivate with `active: false`.
   */
  updateCampaignFeed(
    campaignId: string,
    feedId: string,
    update: CampaignFeedUpdate,
    options?: CallOptions,
  ): Promise<CampaignFeed>;
  /** Feeds available to a partner (`GET /user/publisher/{publisher_id}/feed`), one row per feed. */
  listPublisherFeeds(
    publisherId: string,
    filter?: PublisherFeedFilter,
    options?: CallOptions,
  ): Promise<PublisherFeed[]>;
}

const MAX_PAGES = 1000;

type Method = "GET" | "POST" | "PUT";

/** The feed fields of a create or update, as the API spells them. */
function feedItem(fields: CampaignFeedUpdate, item: Record<string, unknown>): Record<string, unknown> {
  if (fields.name !== undefined) item.name = fields.name;
  if (fields.active !== undefined) item.active = fields.active ? "y" : "n";
  if (fields.fetchFrequency !== undefined) item.fetch_frequency = fields.fetchFrequency;
  if (fields.dynamic !== undefined) item.dynamic = fields.dynamic;
  return item;
}

export function createPartnerizeClient(options: PartnerizeClientOptions): PartnerizeClient {
  const apiUrl = (options.apiUrl ?? PARTNERIZE_API_URL).replace(/\/+$/, "");
  const token = Buffer.from(`${options.applicationKey}:${options.userApiKey}`, "utf8").toString("base64");
  const authorization = `Basic ${token}`;
  const secrets = [options.applicationKey, options.userApiKey, token];
  const http = createHttpClient(secrets, options);
  const clean = (text: string) => cutText(redactSecrets(text, secrets), 300); // redact first, then cut

  const url = (path: string, query: Record<string, string | undefined> = {}): string => {
    const u = new URL(apiUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") u.searchParams.set(k, v);
    return u.toString();
  };

  /** One request of the API: JSON in, JSON out, coded errors. */
  const apiCall = (
    method: Method,
    path: string,
    query: Record<string, string | undefined>,
    body?: unknown,
  ): HttpCall<unknown> => {
    const headers: Record<string, string> = { authorization, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    return {
      method,
      url: url(path, query),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      read: (answer) => readPartnerizeAnswer(answer, method, clean),
    };
  };

  /**
   * GET a list, following Standard Pagination (offset/limit/count) when the server pages. `count`
   * and `offset` count the list's top-level entries (`entries` of an answer: campaigns of the
   * partner list, each with its feeds; feeds of a campaign list). The next offset is our own (where
   * the entries so far end), never the server's echo of one. A list that
   * does not add up is an error, never a shorter list: a page that brings nothing new while the
   * count says more are left (a server ignoring `offset`), or more pages than MAX_PAGES.
   */
  async function paged<T>(
    path: string,
    query: Record<string, string | undefined>,
    read: (json: unknown) => T[],
    key: (item: T) => string,
    entries: (json: unknown) => number,
    callOptions: CallOptions | undefined,
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let offset = 0;
    for (let page = 1; ; page++) {
      const q = page === 1 ? query : { ...query, offset: String(offset) };
      const json = await http.request(apiCall("GET", path, q), callOptions);
      const items = read(json);
      let fresh = 0;
      for (const item of items) {
        const k = key(item);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(item);
        fresh++;
      }
      const info = readPageInfo(json);
      const count = info.count;
      // Not paged (no count, or no limit and no next page), or the end of the list.
      if (count === undefined || (info.limit === undefined && info.nextPage === undefined)) break;
      // Standard Pagination: the next page begins at offset + limit. Whether a partner list's
      // "results" are its campaigns or their feeds is not said, so a page full in either unit
      // moves on by `limit`; a short page (or no limit) by the top-level entries it holds.
      const held = entries(json);
      const limit = info.limit !== undefined && info.limit >= 1 ? Math.floor(info.limit) : undefined;
      const step = limit !== undefined && Math.max(held, items.length) >= limit ? limit : held;
      offset += step;
      if (step === 0 || offset >= count) break;
      const where = url(path, { ...query, offset: String(offset) });
      // Feeds, not entries, are compared: a page of campaigns without feeds brings none and is fine.
      if (fresh === 0 && items.length > 0) {
        throw badResponse(
          "GET",
          where,
          `the page at offset ${offset - step} repeated entries already listed, ${offset - step} of the ${count} it counts; the server may ignore offset`,
        );
      }
      if (page >= MAX_PAGES) {
        throw badResponse(
          "GET",
          where,
          `more than ${MAX_PAGES} pages, ${offset} of the ${count} entries it counts listed`,
        );
      }
    }
    return out;
  }

  const campaignPath = (campaignId: string) => `/campaign/${encodeURIComponent(campaignId)}/feed`;

  return {
    apiUrl,
    secrets: () => [...secrets],
    downloadHeaders(target) {
      try {
        if (new URL(target).origin === new URL(apiUrl).origin) return { authorization };
      } catch {
        // not a URL: no credentials
      }
      return {};
    },

    // ---- brand side -------------------------------------------------------------------------

    listCampaignFeeds(campaignId, callOptions) {
      return paged(
        campaignPath(campaignId),
        {},
        (json) => readCampaignFeeds(json, campaignId),
        (f) => f.feedId,
        (json) => listEntries(json, "feeds"),
        callOptions,
      );
    },

    createCampaignFeed(campaignId, input, callOptions) {
      const path = campaignPath(campaignId);
      const item = feedItem(input, { location: input.location });
      let mayHaveLanded = false;
      return http.retrying(
        url(path),
        async (send) => {
          if (mayHaveLanded) {
            const json = await send(apiCall("GET", path, {}));
            const existing = readCampaignFeeds(json, campaignId).find((f) => f.location === input.location);
            if (existing) return existing;
          }
          const json = await send(apiCall("POST", path, {}, { feeds: [item] }));
          const feeds = readCampaignFeeds(json, campaignId);
          const created = feeds.find((f) => f.location === input.location) ?? feeds[0];
          if (!created) throw badResponse("POST", url(path), "the response names no created feed");
          return created;
        },
        {
          signal: callOptions?.signal,
          onRetry: (event) => {
            if (event.error.code !== "NET_RATE_LIMITED") mayHaveLanded = true;
            options.onRetry?.(event);
          },
        },
      );
    },

    async updateCampaignFeed(campaignId, feedId, update, callOptions) {
      const path = campaignPath(campaignId);
      const item = feedItem(update, { feed_id: feedId });
      const json = await http.request(apiCall("PUT", path, {}, { feeds: [item] }), callOptions);
      const feeds = readCampaignFeeds(json, campaignId);
      const updated = feeds.find((f) => f.feedId === feedId) ?? feeds[0];
      if (!updated) throw badResponse("PUT", url(path), "the response names no updated feed");
      return updated;
    },

    // ---- partner side -----------------------------------------------------------------------

    async listPublisherFeeds(publisherId, filter = {}, callOptions) {
      const path = `/user/publisher/${encodeURIComponent(publisherId)}/feed`;
      const query: Record<string, string | undefined> = {
        campaign_id: filter.campaignId,
        active: filter.active === undefined ? undefined : filter.active ? "y" : "n",
      };
      const feeds = await paged(
        path,
        query,
        readPublisherFeeds,
        (f) => `${f.campaignId}/${f.feedId}`,
        (json) => listEntries(json, "campaigns"),
        callOptions,
      );
      return filter.campaignId
        ? feeds.filter((f) => f.campaignId === filter.campaignId || f.campaignId === "")
        : feeds;
    },
  };
}
