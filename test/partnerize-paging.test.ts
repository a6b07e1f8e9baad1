/**
 * Partnerize Standard Pagination against servers that do not page as documented: the next offset
 * is the client's own (an echoed `offset: 0` cannot loop it or cut the list), a server that ignores
 * `offset` is an error rather than a shorter list, and the page cap is an error, never a silent end.
 * `count` counts the top-level entries (campaigns of the partner list), not the feeds in them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { caught } from "./helpers/errors.js";
import { closeHttpAgents } from "../src/io/http.js";
import { createPartnerizeClient } from "../src/networks/partnerize/client.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

/** Campaign i with two feeds. */
const campaign = (i: number) => ({
  campaign: {
    campaign_id: `10l${i}`,
    title: `Campaign ${i}`,
    feeds: [
      { feed: { campaign_feeds_id: `${i}f1`, name: "a", location: "https://files.example/a.csv" } },
      { campaign_feeds_id: `${i}f2`, name: "b", location: "https://files.example/b.csv" },
    ],
  },
});

async function server(answer: (offset: number, n: number) => unknown) {
  const offsets: number[] = [];
  const mod: SandboxModule = {
    name: "paging",
    matches: (req) => req.url.pathname.startsWith("/user/publisher/"),
    handle(req, reply) {
      const offset = Number(req.url.searchParams.get("offset") ?? "0");
      offsets.push(offset);
      reply.json(answer(offset, offsets.length));
    },
  };
  const sb = await startSandbox({ modules: [mod] });
  running.push(sb);
  const client = createPartnerizeClient({
    applicationKey: "app-key-paging",
    userApiKey: "user-key-paging",
    apiUrl: sb.origin,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return { client, offsets };
}

const CAMPAIGNS = Array.from({ length: 7 }, (_, i) => campaign(i + 1));

describe("Partnerize list paging", () => {
  it("pages by campaigns at its own offset when the server echoes offset 0", async () => {
    const { client, offsets } = await server((offset) => ({
      count: "7",
      offset: 0, // a wrong echo
      limit: "3",
      campaigns: CAMPAIGNS.slice(offset, offset + 3),
    }));
    const feeds = await client.listPublisherFeeds("1l1");
    expect(feeds).toHaveLength(14);
    expect(new Set(feeds.map((f) => f.campaignId)).size).toBe(7);
    expect(offsets).toEqual([0, 3, 6]);
  });

  it("a server that ignores offset is NET_BAD_RESPONSE, not the first page as the whole list", async () => {
    const { client, offsets } = await server(() => ({
      count: 7,
      offset: 0,
      limit: 3,
      campaigns: CAMPAIGNS.slice(0, 3),
    }));
    const err = await caught(client.listPublisherFeeds("1l1"));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain("3 of the 7");
    expect(err.message).toContain("ignore offset");
    expect(offsets).toEqual([0, 3]);
  });

  it("more pages than the cap is NET_BAD_RESPONSE, not a list cut at the cap", async () => {
    const { client, offsets } = await server((offset) => ({
      count: 5000,
      offset,
      limit: 1,
      campaigns: [campaign(offset + 1)],
    }));
    const err = await caught(client.listPublisherFeeds("1l1"));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toMatch(/more than 1000 pages, 1000 of the 5000/);
    expect(offsets).toHaveLength(1000);
  });

  it("a page of campaigns without feeds is not a repeat", async () => {
    const bare = (i: number) => ({ campaign: { campaign_id: `10l${i}`, title: `C${i}`, feeds: [] } });
    const list = [campaign(1), bare(2), bare(3), bare(4), campaign(5)];
    const { client, offsets } = await server((offset) => ({
      count: 5,
      offset,
      limit: 2,
      campaigns: list.slice(offset, offset + 2),
    }));
    const feeds = await client.listPublisherFeeds("1l1");
    expect(feeds.map((f) => f.campaignId)).toEqual(["10l1", "10l1", "10l5", "10l5"]);
    expect(offsets).toEqual([0, 2, 4]);
  });

  it("a list without paging attributes is one page", async () => {
    const { client, offsets } = await server(() => ({ count: 7, campaigns: CAMPAIGNS }));
    expect(await client.listPublisherFeeds("1l1")).toHaveLength(14);
    expect(offsets).toEqual([0]);
  });
});
