/**
 * Partnerize v1 client: brand-side Product Feed registration and partner-side feed listing.
 *
 * - Base URL `https://api.partnerize.com` (overridable: the sandbox and tests use loopback).
 * - HTTP Basic: user = application key, password = user API key. The keys live in private fields:
 *   they are not enumerable, not in any message, and never sent to a host other than the API's
 *   (feed downloads from other hosts get no Authorization header).
 * - Every call goes through the shared retry policy and the run's rate controller for the API host:
 *   HTTP 429 pauses every request for `X-RateLimit-Retry-After` seconds (never a failed attempt),
 *   `X-RateLimit-Remaining: 0` waits for the reset before the next request; 5xx and dropped
 *   connections back off; 401/403 stop at once with NET_AUTH_FAILED.
 * - Error bodies `{"error":{"message","type"}}` (and the v2/v3 shapes) become the error's message.
 */
import { cutText, NetworkError, redactSecrets, redactUrl } from "../../core/errors.js";
import type { RateController } from "../../core/rate.js";
import { RateLimits } from "../../core/rate-limits.js";
import { type RetryEvent, type RetryPolicy, withRetry } from "../../core/retry.js";
import { type HttpResponse, httpRequest, readText, statusError } from "../../io/http.js";
import {
  type CampaignFeed,
  type PublisherFeed,
  readCampaignFeeds,
  readErrorBody,
  readPageInfo,
  readPublisherFeeds,
} from "./envelope.js";

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

interface CallOptions {
  query?: Record<string, string | undefined> | undefined;
  body?: unknown;
}

const MAX_PAGES = 1000;

export class PartnerizeClient {
  readonly apiUrl: string;
  readonly #authorization: string;
  readonly #secrets: string[];
  readonly #options: PartnerizeClientOptions;
  readonly #rate: RateController;

  constructor(options: PartnerizeClientOptions) {
    this.apiUrl = (options.apiUrl ?? PARTNERIZE_API_URL).replace(/\/+$/, "");
    const token = Buffer.from(`${options.applicationKey}:${options.userApiKey}`, "utf8").toString("base64");
    this.#authorization = `Basic ${token}`;
    this.#secrets = [options.applicationKey, options.userApiKey, token];
    this.#options = { ...options };
    this.#rate = (options.rates ?? new RateLimits()).for(this.apiUrl);
  }

  /** Values to redact from anything printed: the keys and their Basic token. */
  secrets(): string[] {
    return [...this.#secrets];
  }

  /**
   * Headers for downloading a feed file: the Authorization header only when the file is served by
   * the API's own origin (Partnerize-hosted copies); never for other hosts (the brand's servers).
   */
  downloadHeaders(url: string): Record<string, string> {
    try {
      if (new URL(url).origin === new URL(this.apiUrl).origin) return { authorization: this.#authorization };
    } catch {
      // not a URL: no credentials
    }
    return {};
  }

  // ---- brand side ---------------------------------------------------------------------------

  /** All Product Feeds of a campaign (`GET /campaign/{campaign_id}/feed`). */
  async listCampaignFeeds(campaignId: string): Promise<CampaignFeed[]> {
    const path = `/campaign/${encodeURIComponent(campaignId)}/feed`;
    return this.#paged(
      path,
      {},
      (json) => readCampaignFeeds(json, campaignId),
      (f) => f.feedId,
    );
  }

  /**
   * Create a feed (`POST /campaign/{campaign_id}/feed`, JSON `{"feeds": [{…}]}`). When a retry
   * follows a failure that may have landed (dropped connection, 5xx), the campaign's feeds are
   * listed first and an existing feed with this location is returned instead of a duplicate POST.
   */
  async createCampaignFeed(campaignId: string, input: CampaignFeedInput): Promise<CampaignFeed> {
    const path = `/campaign/${encodeURIComponent(campaignId)}/feed`;
    const item: Record<string, unknown> = { location: input.location };
    if (input.name !== undefined) item.name = input.name;
    if (input.active !== undefined) item.active = input.active ? "y" : "n";
    if (input.fetchFrequency !== undefined) item.fetch_frequency = input.fetchFrequency;
    if (input.dynamic !== undefined) item.dynamic = input.dynamic;
    let mayHaveLanded = false;
    return withRetry(
      async () => {
        if (mayHaveLanded) {
          const json = await this.#once("GET", path, {});
          const existing = readCampaignFeeds(json, campaignId).find((f) => f.location === input.location);
          if (existing) return existing;
        }
        const json = await this.#once("POST", path, { body: { feeds: [item] } });
        const feeds = readCampaignFeeds(json, campaignId);
        const created = feeds.find((f) => f.location === input.location) ?? feeds[0];
        if (!created) throw this.#badResponse("POST", path, "the response names no created feed");
        return created;
      },
      {
        ...this.#retryOptions(),
        onRetry: (event) => {
          if (event.error.code !== "NET_RATE_LIMITED") mayHaveLanded = true;
          this.#options.onRetry?.(event);
        },
      },
    );
  }

  /**
   * Update a feed (`PUT /campaign/{campaign_id}/feed`, JSON `{"feeds": [{feed_id, …}]}`). The
   * location cannot be changed; deactivate with `active: false`.
   */
  async updateCampaignFeed(
    campaignId: string,
    feedId: string,
    update: CampaignFeedUpdate,
  ): Promise<CampaignFeed> {
    const path = `/campaign/${encodeURIComponent(campaignId)}/feed`;
    const item: Record<string, unknown> = { feed_id: feedId };
    if (update.name !== undefined) item.name = update.name;
    if (update.active !== undefined) item.active = update.active ? "y" : "n";
    if (update.fetchFrequency !== undefined) item.fetch_frequency = update.fetchFrequency;
    if (update.dynamic !== undefined) item.dynamic = update.dynamic;
    const json = await withRetry(
      () => this.#once("PUT", path, { body: { feeds: [item] } }),
      this.#retryOptions(),
    );
    const feeds = readCampaignFeeds(json, campaignId);
    const updated = feeds.find((f) => f.feedId === feedId) ?? feeds[0];
    if (!updated) throw this.#badResponse("PUT", path, "the response names no updated feed");
    return updated;
  }

  // ---- partner side -------------------------------------------------------------------------

  /** Feeds available to a partner (`GET /user/publisher/{publisher_id}/feed`), one row per feed. */
  async listPublisherFeeds(publisherId: string, filter: PublisherFeedFilter = {}): Promise<PublisherFeed[]> {
    const path = `/user/publisher/${encodeURIComponent(publisherId)}/feed`;
    const query: Record<string, string | undefined> = {
      campaign_id: filter.campaignId,
      active: filter.active === undefined ? undefined : filter.active ? "y" : "n",
    };
    const feeds = await this.#paged(path, query, readPublisherFeeds, (f) => `${f.campaignId}/${f.feedId}`);
    return filter.campaignId
      ? feeds.filter((f) => f.campaignId === filter.campaignId || f.campaignId === "")
      : feeds;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  #retryOptions() {
    return {
      policy: this.#options.retry,
      onRetry: this.#options.onRetry,
      signal: this.#options.signal,
      rate: this.#rate,
    };
  }

  /** GET a list, following Standard Pagination (offset/limit/count) when the server pages. */
  async #paged<T>(
    path: string,
    query: Record<string, string | undefined>,
    read: (json: unknown) => T[],
    key: (item: T) => string,
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let offset: number | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = offset === undefined ? query : { ...query, offset: String(offset) };
      const json = await withRetry(() => this.#once("GET", path, { query: q }), this.#retryOptions());
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
      if (fresh === 0 || info.limit === undefined || info.count === undefined) break;
      const next = (info.offset ?? offset ?? 0) + info.limit;
      if (next >= info.count) break;
      offset = next;
    }
    return out;
  }

  #url(path: string, query: Record<string, string | undefined> = {}): string {
    const u = new URL(this.apiUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") u.searchParams.set(k, v);
    return u.toString();
  }

  /** One request, no retry: JSON in, JSON out, coded errors. */
  async #once(method: "GET" | "POST" | "PUT", path: string, call: CallOptions): Promise<unknown> {
    const url = this.#url(path, call.query);
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: "application/json",
    };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["content-type"] = "application/json";
    }
    const res = await httpRequest(url, {
      method,
      headers,
      body,
      timeoutMs: this.#options.timeoutMs,
      signal: this.#options.signal,
      rate: this.#rate,
    });
    const text = await readText(res);
    let json: unknown;
    let parsed = false;
    if (text.trim() !== "") {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (res.status < 200 || res.status >= 300)
      throw this.#statusError(method, res, parsed ? json : undefined, text);
    if (!parsed)
      throw this.#badResponse(method, path, text.trim() === "" ? "empty body" : "the body is not JSON");
    const apiError = readErrorBody(json);
    if (apiError) {
      throw new NetworkError(
        "NET_API_ERROR",
        `Partnerize ${method} ${redactUrl(url)} failed: ${this.#clean(apiError.message)}`,
        {
          context: { url: redactUrl(url), status: res.status, apiType: apiError.type },
        },
      );
    }
    return json;
  }

  #clean(message: string): string {
    return cutText(redactSecrets(message, this.#secrets), 300); // redact first, then cut
  }

  #badResponse(method: string, path: string, why: string): NetworkError {
    const shown = redactUrl(this.#url(path));
    return new NetworkError(
      "NET_BAD_RESPONSE",
      `Partnerize ${method} ${shown}: unexpected response (${why})`,
      {
        context: { url: shown },
      },
    );
  }

  #statusError(method: string, res: HttpResponse, json: unknown, text: string): NetworkError {
    const shown = redactUrl(res.url);
    const body = readErrorBody(json);
    const said = this.#clean(body?.message ?? text);
    const context = {
      url: shown,
      status: res.status,
      apiType: body?.type,
      fields: body?.fields,
    };
    if (res.status === 401 || res.status === 403) {
      return new NetworkError(
        "NET_AUTH_FAILED",
        `Partnerize refused ${method} ${shown} (HTTP ${res.status}${said ? `: ${said}` : ""}). ` +
          "Check PARTNERIZE_APPLICATION_KEY and PARTNERIZE_USER_API_KEY and the user's access to this campaign or partner.",
        { context },
      );
    }
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      const err = statusError(res.url, res.status, res.headers, said);
      Object.assign(err.context, context);
      return err;
    }
    const code =
      res.status === 400 || res.status === 409 || res.status === 422 ? "NET_BAD_REQUEST" : "NET_API_ERROR";
    const fields = body?.fields ? ` (fields: ${body.fields.join(", ")})` : "";
    return new NetworkError(
      code,
      `Partnerize ${method} ${shown} failed with HTTP ${res.status}${said ? `: ${said}` : ""}${fields}`,
      { context },
    );
  }
}
