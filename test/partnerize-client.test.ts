import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NetworkError } from "../src/core/errors.js";
import { RateLimits } from "../src/core/rate-limits.js";
import type { RetryEvent } from "../src/core/retry.js";
import { closeHttpAgents } from "../src/io/http.js";
import { createPartnerizeClient, type PartnerizeClientOptions } from "../src/networks/partnerize/client.js";
import {
  readCampaignFeeds,
  readErrorBody,
  readPublisherFeeds,
  toUnixSeconds,
} from "../src/networks/partnerize/envelope.js";
import { type PartnerizeSandboxModule, partnerizeModule } from "../src/sandbox/partnerize.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const APP_KEY = "appkey-7f3a9c21d4";
const USER_KEY = "userkey-b81e56f0aa";
const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

let sandbox: RunningSandbox;
let pz: PartnerizeSandboxModule;

beforeAll(async () => {
  pz = partnerizeModule({ applicationKey: APP_KEY, userApiKey: USER_KEY, retryAfterSeconds: 0.05 });
  sandbox = await startSandbox({ modules: [pz] });
});

afterAll(async () => {
  await sandbox.close();
  await closeHttpAgents();
});

afterEach(() => {
  sandbox.setFaults({});
  pz.rateLimitNext(0);
});

function client(overrides: Partial<PartnerizeClientOptions> = {}) {
  return createPartnerizeClient({
    applicationKey: APP_KEY,
    userApiKey: USER_KEY,
    apiUrl: sandbox.origin,
    retry: FAST,
    ...overrides,
  });
}

async function caught(p: Promise<unknown>): Promise<NetworkError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NetworkError);
    return err as NetworkError;
  }
  throw new Error("expected a rejection");
}

describe("Partnerize envelopes", () => {
  it("reads brand feeds wrapped, unwrapped, as an object list, with numbers as strings", () => {
    const json = {
      count: "2",
      execution_time: "0.2 seconds",
      feeds: {
        0: {
          feed: {
            feed_id: "1111l13",
            location: "http://a/x.xml",
            name: "A",
            active: "y",
            fetch_frequency: "3600",
          },
        },
        1: { feed_id: 77, location: "http://a/y.csv", name: "B", active: "n", last_processed: "1378980455" },
      },
    };
    const feeds = readCampaignFeeds(json, "10l176");
    expect(feeds).toEqual([
      expect.objectContaining({
        feedId: "1111l13",
        campaignId: "10l176",
        active: true,
        fetchFrequency: 3600,
      }),
      expect.objectContaining({
        feedId: "77",
        location: "http://a/y.csv",
        active: false,
        lastProcessed: 1378980455,
      }),
    ]);
  });

  it("reads the documented partner listing (unwrapped feeds) and the wrapped schema variant", () => {
    const doc = {
      campaigns: [
        {
          campaign: {
            campaign_id: "10l176",
            title: "SportsBetting",
            feeds: [
              {
                campaign_feeds_id: "1011l10",
                campaign_id: "10l176",
                creative_id: "300441",
                filename: "uk_destinations.csv",
                filesize: 581427,
                filesize_compressed: 27691,
                last_processed: 1432235983,
                location: "http://www.partnerize.com/",
                location_compressed: "http://www.partnerize.com/",
                name: "UK Destinations",
                title: "SportBetting",
                updated: 1432228514,
              },
              {
                feed: {
                  campaign_feeds_id: "1011l11",
                  name: "Wrapped",
                  filesize: "12",
                  location: "http://x/",
                },
              },
            ],
          },
        },
      ],
      count: 1,
      execution_time: "0.53595 seconds",
    };
    const feeds = readPublisherFeeds(doc);
    expect(feeds).toHaveLength(2);
    expect(feeds[0]).toMatchObject({
      feedId: "1011l10",
      campaignId: "10l176",
      campaignTitle: "SportsBetting",
      name: "UK Destinations",
      filename: "uk_destinations.csv",
      filesize: 581427,
      filesizeCompressed: 27691,
      lastProcessed: 1432235983,
      updated: 1432228514,
      locationCompressed: "http://www.partnerize.com/",
    });
    expect(feeds[1]).toMatchObject({
      feedId: "1011l11",
      campaignId: "10l176",
      name: "Wrapped",
      filesize: 12,
    });
  });

  it("reads v1, v2 and v3 error envelopes", () => {
    expect(readErrorBody({ error: { message: "Too Many Requests", type: "429" } })).toEqual({
      message: "Too Many Requests",
      type: "429",
      fields: undefined,
    });
    expect(
      readErrorBody({
        error: { message: "Reason already exists", type: "Validation Fail", fields: { reason: "x" } },
      }),
    ).toMatchObject({ type: "Validation Fail", fields: ["reason"] });
    expect(
      readErrorBody({
        error: { errors: [{ message: "You do not have view access" }], code: "403", message: "Forbidden" },
      }),
    ).toMatchObject({ message: "Forbidden: You do not have view access", type: "403" });
    expect(readErrorBody({ feeds: [] })).toBeUndefined();
  });

  it("reads timestamps as numbers, numeric strings and date strings", () => {
    expect(toUnixSeconds(1432235983)).toBe(1432235983);
    expect(toUnixSeconds("1432235983")).toBe(1432235983);
    expect(toUnixSeconds("2015-05-21 19:19:43")).toBe(1432235983);
    expect(toUnixSeconds("0000-00-00 00:00:00")).toBeUndefined();
    expect(toUnixSeconds(0)).toBeUndefined();
  });
});

describe("PartnerizeClient against the sandbox", () => {
  it("sends HTTP Basic with base64(application key:user API key)", async () => {
    const before = pz.requests.length;
    await client().listCampaignFeeds("10l176");
    const seen = pz.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "GET", path: "/campaign/10l176/feed" });
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from(`${APP_KEY}:${USER_KEY}`).toString("base64")}`);
  });

  it("creates, lists and updates a campaign feed with the documented JSON bodies", async () => {
    const c = client();
    const before = pz.requests.length;
    const created = await c.createCampaignFeed("10l177", {
      location: "https://shop.example/feeds/full.xml",
      name: "Full catalog",
      active: true,
      fetchFrequency: 7200,
    });
    expect(created).toMatchObject({
      campaignId: "10l177",
      location: "https://shop.example/feeds/full.xml",
      name: "Full catalog",
      active: true,
      fetchFrequency: 7200,
    });
    const post = pz.requests[before]!;
    expect(post.method).toBe("POST");
    expect(JSON.parse(post.body)).toEqual({
      feeds: [
        {
          location: "https://shop.example/feeds/full.xml",
          name: "Full catalog",
          active: "y",
          fetch_frequency: 7200,
        },
      ],
    });

    const listed = await c.listCampaignFeeds("10l177");
    expect(listed.map((f) => f.feedId)).toContain(created.feedId);

    const updated = await c.updateCampaignFeed("10l177", created.feedId, { active: false });
    expect(updated).toMatchObject({
      feedId: created.feedId,
      active: false,
      action: "update",
      name: "Full catalog",
    });
    const put = pz.requests.at(-1)!;
    expect(put.method).toBe("PUT");
    expect(JSON.parse(put.body)).toEqual({ feeds: [{ feed_id: created.feedId, active: "n" }] });
    expect(pz.campaignFeeds("10l177").find((f) => f.feedId === created.feedId)?.active).toBe(false);
  });

  it("surfaces the v1 error envelope: a second feed with the same location is refused", async () => {
    const c = client();
    await c.createCampaignFeed("10l178", { location: "https://shop.example/dupe.csv" });
    const err = await caught(c.createCampaignFeed("10l178", { location: "https://shop.example/dupe.csv" }));
    expect(err.code).toBe("NET_BAD_REQUEST");
    expect(err.message).toContain("already exists");
    expect(err.message).toContain("(fields: location)");
    expect(err.context).toMatchObject({ status: 400, apiType: "Validation Fail" });
  });

  it("the sandbox keeps to the documented contract: feeds envelope, fixed locations", async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${APP_KEY}:${USER_KEY}`).toString("base64")}` };
    const json = { ...auth, "content-type": "application/json" };
    const url = `${sandbox.origin}/campaign/10l176/feed`;
    // A bare item without the {"feeds": [...]} envelope is refused.
    const bare = await fetch(url, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ location: "https://x.example/a.csv" }),
    });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ error: { type: "Validation Fail", fields: ["feeds"] } });
    // The location of a feed cannot be changed by an update.
    const moved = await fetch(url, {
      method: "PUT",
      headers: json,
      body: JSON.stringify({
        feeds: [{ feed_id: "1011l10", location: "https://elsewhere.example/feed.csv" }],
      }),
    });
    expect(moved.status).toBe(400);
    expect(((await moved.json()) as { error: { message: string } }).error.message).toContain(
      "cannot be changed",
    );
    // An update may name the feed by its location instead of its id; the .json suffix is accepted.
    const byLocation = await fetch(`${url}.json`, {
      method: "PUT",
      headers: json,
      body: JSON.stringify({
        feeds: [{ location: `${sandbox.origin}/files/partnerize/trailhead-us.csv`, fetch_frequency: 1800 }],
      }),
    });
    expect(byLocation.status).toBe(200);
    expect(await byLocation.json()).toMatchObject({
      feeds: [{ feed: { action: "update", feed_id: "1011l10", fetch_frequency: "1800" } }],
    });
    // No delete in the API.
    const del = await fetch(url, { method: "DELETE", headers: auth });
    expect(del.status).toBe(405);
    // No credentials: 401 in the v1 envelope.
    const anon = await fetch(url);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toContain("Basic");
    expect(await anon.json()).toMatchObject({ error: { type: "401" } });
  });

  it("an unknown campaign is a coded API error with the server's message", async () => {
    const err = await caught(client().listCampaignFeeds("nope"));
    expect(err.code).toBe("NET_API_ERROR");
    expect(err.message).toContain("Campaign nope not found");
  });

  it("bad keys stop with NET_AUTH_FAILED, no retry, and never echo the keys", async () => {
    let retries = 0;
    const wrongApp = "wrong-app-key-123";
    const wrongUser = "wrong-user-key-456";
    const c = client({ applicationKey: wrongApp, userApiKey: wrongUser, onRetry: () => retries++ });
    const err = await caught(c.listPublisherFeeds("1l1007802"));
    expect(err.code).toBe("NET_AUTH_FAILED");
    expect(err.context.status).toBe(401);
    expect(err.message).toContain("combination is invalid");
    expect(retries).toBe(0);
    const everything = `${err.message} ${JSON.stringify(err.context)} ${JSON.stringify(c)} ${String(err.stack)}`;
    for (const secret of [wrongApp, wrongUser, Buffer.from(`${wrongApp}:${wrongUser}`).toString("base64")]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("another partner's feeds are forbidden (403 → NET_AUTH_FAILED)", async () => {
    const err = await caught(client().listPublisherFeeds("1l999"));
    expect(err.code).toBe("NET_AUTH_FAILED");
    expect(err.context.status).toBe(403);
    expect(err.message).toContain("Permission Denied");
  });

  it("HTTP 429 waits X-RateLimit-Retry-After in the run's rate controller, then succeeds", async () => {
    const events: RetryEvent[] = [];
    const rates = new RateLimits();
    pz.rateLimitNext(2);
    const feeds = await client({
      onRetry: (e) => events.push(e),
      rates,
      retry: { attempts: 1 },
    }).listCampaignFeeds("10l176");
    expect(feeds.length).toBeGreaterThan(0);
    expect(events).toEqual([]); // rate limits are not errors: no attempt was used up
    const [host] = rates.stats();
    expect(host).toMatchObject({ requests: 3, rateLimited: 2, retries: 0 });
    expect(host!.pausedMs).toBeGreaterThanOrEqual(100); // 2 × X-RateLimit-Retry-After 0.05 s
  });

  it("rate limits from the sandbox's fault injection use the Partnerize 429 shape", async () => {
    const res = await fetch(`${sandbox.origin}/campaign/10l176/feed`, {
      headers: { authorization: `Basic ${Buffer.from(`${APP_KEY}:${USER_KEY}`).toString("base64")}` },
    });
    expect(res.status).toBe(200);
    pz.rateLimitNext(1);
    const limited = await fetch(`${sandbox.origin}/campaign/10l176/feed`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-retry-after")).toBe("0.05");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(await limited.json()).toEqual({ error: { message: "Too Many Requests", type: "429" } });
  });

  it("a rate limit that outlasts --max-wait stops with NET_RATE_LIMITED", async () => {
    pz.rateLimitNext(50);
    const rates = new RateLimits({ maxWaitMs: 120 });
    const err = await caught(client({ retry: { ...FAST, attempts: 3 }, rates }).listCampaignFeeds("10l176"));
    expect(err.code).toBe("NET_RATE_LIMITED");
    expect(err.message).toMatch(/--max-wait 0.1 s/);
    expect(err.retryable).toBe(false);
    pz.rateLimitNext(0);
  });

  it("lists partner feeds with their campaign, tolerating wrapped items and numbers as strings", async () => {
    const all = await client().listPublisherFeeds("1l1007802");
    // Feeds registered by brands (earlier tests) are listed too; the seeded ones come first.
    expect(all.length).toBeGreaterThan(3);
    const feeds = all.filter((f) => f.feedId.startsWith("1011l"));
    expect(feeds.map((f) => [f.campaignId, f.feedId])).toEqual([
      ["10l176", "1011l10"],
      ["10l177", "1011l11"],
      ["10l178", "1011l12"],
    ]);
    const [csv, tsv] = feeds;
    expect(csv).toMatchObject({ campaignTitle: "Trailhead Outdoor", filename: "trailhead-us.csv" });
    expect(csv!.locationCompressed).toBe(`${sandbox.origin}/files/partnerize/trailhead-us.csv.gz`);
    expect(typeof tsv!.filesize).toBe("number");
    expect(tsv!.filesize).toBeGreaterThan(0);
    expect(tsv!.lastProcessed).toBeGreaterThan(1_700_000_000);

    const one = await client().listPublisherFeeds("1l1007802", { campaignId: "10l178" });
    expect(one.map((f) => f.campaignId)).toEqual(one.map(() => "10l178"));
    expect(one.map((f) => f.feedId)).toContain("1011l12");
    expect(pz.requests.at(-1)!.path).toBe("/user/publisher/1l1007802/feed");
  });

  it("follows Standard Pagination (offset/limit/count)", async () => {
    const paged = partnerizeModule({ applicationKey: APP_KEY, userApiKey: USER_KEY, pageSize: 1 });
    const s = await startSandbox({ modules: [paged] });
    try {
      const feeds = await client({ apiUrl: s.origin }).listPublisherFeeds("1l1007802");
      expect(feeds.map((f) => f.feedId)).toEqual(["1011l10", "1011l11", "1011l12"]);
      expect(paged.requests.map((r) => r.path)).toEqual([
        "/user/publisher/1l1007802/feed",
        "/user/publisher/1l1007802/feed",
        "/user/publisher/1l1007802/feed",
      ]);
    } finally {
      await s.close();
    }
  });

  it("sends credentials with feed downloads only to the API's own origin", () => {
    const c = client();
    expect(c.downloadHeaders(`${sandbox.origin}/files/partnerize/x.csv`)).toHaveProperty("authorization");
    expect(c.downloadHeaders("https://brand.example/feed.csv")).toEqual({});
    expect(c.downloadHeaders("not a url")).toEqual({});
  });

  it("a create whose answer was lost is not duplicated on retry", async () => {
    const inner = partnerizeModule({ applicationKey: APP_KEY, userApiKey: USER_KEY });
    let dropped = 0;
    const lossy: SandboxModule = {
      name: "lossy",
      matches: (req) => inner.matches(req),
      async handle(req, reply) {
        if (req.method === "POST" && dropped === 0) {
          dropped++;
          const hangUp = () => void reply.raw.socket?.destroy();
          const swallow: typeof reply = {
            ...reply,
            json: hangUp,
            text: hangUp,
            status: () => swallow,
            header: () => swallow,
          };
          await inner.handle(req, swallow);
          return;
        }
        await inner.handle(req, reply);
      },
    };
    const s = await startSandbox({ modules: [lossy] });
    try {
      const events: RetryEvent[] = [];
      const c = client({ apiUrl: s.origin, onRetry: (e) => events.push(e) });
      const feed = await c.createCampaignFeed("10l176", {
        location: "https://shop.example/lost.csv",
        name: "Lost",
      });
      expect(dropped).toBe(1);
      expect(events).toHaveLength(1);
      expect(feed).toMatchObject({ location: "https://shop.example/lost.csv", name: "Lost" });
      expect(
        inner.campaignFeeds("10l176").filter((f) => f.location === "https://shop.example/lost.csv"),
      ).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
