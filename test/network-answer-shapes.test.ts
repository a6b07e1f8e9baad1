/**
 * Answers an independent server may give, read as the documents allow (a review of the adapters
 * against ../shared/reference): Partnerize's schema-shaped `campaign.feed` object, lists keyed by
 * id, a partner list paged by feeds (the next page at offset + limit), a JSON answer after a UTF-8
 * byte-order mark, and a bulk download id that must not reach the terminal raw. Every server here
 * is a small stub on 127.0.0.1.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { closeHttpAgents } from "../src/io/http.js";
import { createPartnerizeClient } from "../src/networks/partnerize/client.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

interface Seen {
  method: string;
  path: string;
  offset: string | null;
  body: unknown;
}

async function serve(handle: SandboxModule["handle"]) {
  const mod: SandboxModule = { name: "stub", matches: () => true, handle };
  const sb = await startSandbox({ modules: [mod] });
  running.push(sb);
  return sb;
}

/** A Partnerize stub: `answer` gives the JSON of each request (and sees every one). */
async function partnerize(answer: (seen: Seen) => unknown) {
  const seen: Seen[] = [];
  const sb = await serve((req, reply) => {
    const s: Seen = {
      method: req.method,
      path: req.url.pathname,
      offset: req.url.searchParams.get("offset"),
      body: req.body ? (JSON.parse(req.body) as unknown) : undefined,
    };
    seen.push(s);
    reply.json(answer(s));
  });
  const client = createPartnerizeClient({
    applicationKey: "app-key-shapes",
    userApiKey: "user-key-shapes",
    apiUrl: sb.origin,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  });
  const env = {
    PARTNERIZE_API_URL: sb.origin,
    PARTNERIZE_APPLICATION_KEY: "app-key-shapes",
    PARTNERIZE_USER_API_KEY: "user-key-shapes",
  };
  return { client, seen, env };
}

const feed = (id: string, campaignId = "10l176") => ({
  campaign_feeds_id: id,
  campaign_id: campaignId,
  filename: `${id}.csv`,
  location: `https://files.example/${id}.csv`,
  name: `Feed ${id}`,
  updated: 1432228514,
});

describe("Partnerize partner feed list shapes", () => {
  it("reads the schema's single campaign.feed object (allOf with Feed)", async () => {
    const { client } = await partnerize(() => ({
      count: 2,
      campaigns: [
        { campaign: { campaign_id: "10l176", title: "Sports", feed: feed("1011l10") } },
        { campaign: { campaign_id: "10l177", title: "Travel", feed: { feed: feed("1011l20", "10l177") } } },
      ],
    }));
    const feeds = await client.listPublisherFeeds("1l1");
    expect(feeds.map((f) => [f.campaignId, f.feedId, f.campaignTitle, f.location])).toEqual([
      ["10l176", "1011l10", "Sports", "https://files.example/1011l10.csv"],
      ["10l177", "1011l20", "Travel", "https://files.example/1011l20.csv"],
    ]);
  });

  it("reads feeds and campaigns keyed by id, wrapped or not", async () => {
    for (const answer of [
      {
        count: 1,
        campaigns: [
          {
            campaign: {
              campaign_id: "10l176",
              title: "S",
              feeds: { "1011l10": feed("1011l10"), "1011l11": feed("1011l11") },
            },
          },
        ],
      },
      {
        count: 1,
        campaigns: [
          {
            campaign: {
              campaign_id: "10l176",
              title: "S",
              feeds: { "1011l10": { feed: feed("1011l10") }, "1011l11": { feed: feed("1011l11") } },
            },
          },
        ],
      },
      {
        count: 1,
        campaigns: {
          "10l176": {
            campaign: { campaign_id: "10l176", title: "S", feeds: [feed("1011l10"), feed("1011l11")] },
          },
        },
      },
    ]) {
      const { client } = await partnerize(() => answer);
      const feeds = await client.listPublisherFeeds("1l1");
      expect(
        feeds.map((f) => f.feedId),
        JSON.stringify(answer),
      ).toEqual(["1011l10", "1011l11"]);
    }
  });

  it("a list paged by feeds moves on by limit: one campaign of 5 feeds at limit 3 is two pages", async () => {
    const all = Array.from({ length: 5 }, (_, i) => feed(`f${i}`));
    const { client, seen } = await partnerize((s) => {
      const offset = Number(s.offset ?? "0");
      const page = all.slice(offset, offset + 3);
      return {
        count: 5,
        offset,
        limit: 3,
        campaigns: page.length ? [{ campaign: { campaign_id: "10l176", title: "C", feeds: page } }] : [],
      };
    });
    const feeds = await client.listPublisherFeeds("1l1");
    expect(feeds.map((f) => f.feedId)).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    // The second page begins at offset + limit (before: at offset + 1 campaign, then a "repeated
    // entries" error); a short page moves on by what it holds, which costs one more small request.
    expect(seen.map((s) => s.offset).slice(0, 2)).toEqual([null, "3"]);
    expect(seen.length).toBeLessThanOrEqual(3);
  });

  it("feeds partnerize lists them from the CLI", async () => {
    const { env } = await partnerize(() => ({
      count: 1,
      campaigns: [{ campaign: { campaign_id: "10l176", title: "Sports", feed: feed("1011l10") } }],
    }));
    const r = await runCli(["feeds", "partnerize", "--publisher-id", "1l1", "--json"], { env });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("1011l10");
  });
});

describe("Partnerize brand feed list keyed by id", () => {
  it("register finds the existing feed (a PUT, not a duplicate POST)", async () => {
    const location = "https://brand.example/feed.xml";
    const { seen, env } = await partnerize((s) =>
      s.method === "GET"
        ? {
            count: 1,
            feeds: {
              "1111l13": { feed: { feed_id: "1111l13", campaign_id: "10l176", location, active: "y" } },
            },
          }
        : { feeds: [{ feed: { feed_id: "1111l13", campaign_id: "10l176", location, active: "n" } }] },
    );
    const r = await runCli(
      ["register", "partnerize", "--campaign-id", "10l176", "--location", location, "--inactive", "--json"],
      { env },
    );
    expect(r.code, r.err).toBe(0);
    expect(seen.map((s) => s.method)).toEqual(["GET", "PUT"]);
    expect(seen[1]!.body).toMatchObject({ feeds: [{ feed_id: "1111l13", active: "n" }] });
  });
});

const PB_TOKEN = "shapes-pub-token-51c2e0aa";
const ok = (data: unknown) => ({ status: { code: 0, msg: "success" }, data });

describe("PartnerBoost answers", () => {
  it("a JSON answer after a UTF-8 byte-order mark is read", async () => {
    const sb = await serve((req, reply) => {
      const list = [
        { sku: "B1", brand_id: "66303", name: "One", price: "9.99", url: "https://s.example/b1" },
      ];
      reply.text(`\ufeff${JSON.stringify(ok({ total: "1", list }))}`, "application/json");
    });
    const dir = await mkdtemp(join(tmpdir(), "fp-bom-"));
    const out = join(dir, "out.csv");
    const r = await runCli(["pull", "partnerboost", "-o", out, "-q"], {
      env: { PARTNERBOOST_PUBLISHER_TOKEN: PB_TOKEN, PARTNERBOOST_PUBLISHER_API_URL: `${sb.origin}/api.php` },
    });
    expect(r.code, r.err).toBe(0);
    expect(await readFile(out, "utf8")).toContain("B1");
  });

  it("the bulk download id is escaped on the terminal's progress line", async () => {
    const id = "371\u001b]0;pwned\u0007\u001b[2J\n  products    999999 (forged line)";
    let polls = 0;
    const sb = await serve((req, reply) => {
      if (req.url.pathname === "/data/x.csv") {
        reply.text("sku,brand_id,name\nA1,66303,One\n", "text/csv");
        return;
      }
      const op = String(req.params.op);
      if (op === "request_download") return reply.json(ok({ id }));
      polls++;
      const origin = `http://${req.headers.host}`;
      reply.json(
        ok(polls < 2 ? { status: "PENDING", url: "" } : { status: "OK", url: `${origin}/data/x.csv` }),
      );
    });
    const dir = await mkdtemp(join(tmpdir(), "fp-bulk-id-"));
    const r = await runCli(
      [
        "pull",
        "partnerboost",
        "--bulk",
        "--brand-id",
        "66303",
        "--poll-interval",
        "5",
        "-o",
        join(dir, "b.csv"),
      ],
      {
        env: {
          PARTNERBOOST_PUBLISHER_TOKEN: PB_TOKEN,
          PARTNERBOOST_PUBLISHER_API_URL: `${sb.origin}/api.php`,
        },
        tty: true,
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(r.err).toContain("download 371");
    expect(r.err).not.toContain("\u001b]0;");
    expect(r.err).not.toContain("\u0007");
    expect(r.err).not.toContain("\u001b[2J");
    // Nor a line break: the id cannot print a line of the summary's own.
    for (const text of [r.out, r.err]) expect(text).not.toMatch(/^\s*products\s+999999/m);
    expect(r.out + r.err).toContain("\\n  products    999999 (forged line)");
  });
});
