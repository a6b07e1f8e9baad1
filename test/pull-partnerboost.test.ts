/**
 * The publisher pull end to end in the library: ordered concurrent paging with a bounded window,
 * a 10,000-product sandbox catalog under latency and rate limiting exported to CSV that round-trips
 * through feedpipe's own reader, duplicates across pages, the bulk path, and interrupted pulls
 * leaving no output file.
 */
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import { pagesInOrder } from "../src/core/pages.js";
import { exportRows } from "../src/jobs/pull.js";
import { RateLimits } from "../src/core/rate-limits.js";
import { seededRandom } from "../src/core/random.js";
import type { Row } from "../src/formats/types.js";
import { openFeed } from "../src/formats/index.js";
import { closeHttpAgents } from "../src/io/http.js";
import {
  bulkPublisherProducts,
  createPublisherClient,
  PUBLISHER_COLUMNS,
  type PublisherProduct,
  type PublisherPull,
  publisherRow,
  pullPublisherProducts,
} from "../src/networks/partnerboost/publisher.js";
import { toPublisherProduct } from "../src/sandbox/catalog.js";
import {
  type PartnerboostPublisherOptions,
  partnerboostPublisherModule,
} from "../src/sandbox/partnerboost-publisher.js";
import {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  startSandbox,
} from "../src/sandbox/server.js";
import { FakeClock, StepClock } from "./helpers/clock.js";

const TOKEN = "pub-token-0a1b2c3d4e";
// Generous attempts: a rate-limited request may wait a whole 1 s window, longer on a loaded CI machine.
const FAST_RETRY = { attempts: 200, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 30 };

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

/** With `virtual`, the sandbox's rate windows and the client's rate controller share a StepClock. */
async function sandbox(
  options: Partial<PartnerboostPublisherOptions> = {},
  faults?: FaultOptions,
  virtual = false,
) {
  const mod = partnerboostPublisherModule({ token: TOKEN, products: 500, seed: 9, ...options });
  const clock = virtual ? new StepClock() : undefined;
  const rates = new RateLimits({ clock });
  const sb = await startSandbox({ modules: [mod], faults, clock });
  running.push(sb);
  const apiUrl = `${sb.origin}/api.php`;
  if (clock) clock.busy = () => rates.for(apiUrl).inFlight;
  const client = createPublisherClient({ token: TOKEN, apiUrl }, { retry: FAST_RETRY, rates });
  return { sb, mod, client, rates };
}

const tmp = () => mkdtemp(join(tmpdir(), "fp-pull-pb-"));

function rows(pull: PublisherPull): AsyncIterable<Row[]> {
  return (async function* () {
    for await (const batch of pull.products) yield batch.map(publisherRow);
  })();
}

async function readCsv(path: string): Promise<Record<string, string>[]> {
  const feed = await openFeed(path);
  expect(feed.format).toBe("csv");
  const records = await collect(feed.records);
  for (const r of records) expect(r.problem).toBeUndefined();
  return records.map((r) => r.fields as Record<string, string>);
}

async function caught(p: Promise<unknown>): Promise<FeedpipeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    return err as FeedpipeError;
  }
  throw new Error("expected a rejection");
}

describe("pagesInOrder", () => {
  it("yields pages in order whatever order they finish in, within the concurrency and window bounds", async () => {
    const rand = seededRandom(4);
    const clock = new FakeClock();
    let inFlight = 0;
    let maxInFlight = 0;
    let consumed = 0;
    let maxAhead = 0;
    const started: number[] = [];
    const pages = pagesInOrder<number>({
      concurrency: 3,
      window: 5,
      fetch: async (page) => {
        started.push(page);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        maxAhead = Math.max(maxAhead, page - consumed);
        await clock.sleep(Math.floor(rand() * 8)); // pages finish out of order, on virtual time
        inFlight--;
        return page * 10;
      },
      decide: () => ({ lastPage: 40 }),
    });
    const seen: number[] = [];
    await clock.run(
      (async () => {
        for await (const p of pages) {
          expect(p.result).toBe(p.page * 10);
          seen.push(p.page);
          consumed = p.page;
        }
      })(),
    );
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxAhead).toBeLessThanOrEqual(5);
    expect(new Set(started).size).toBe(40); // each page fetched once
  });

  it("follows a growing last page and stops when told", async () => {
    const decide = (_: number, page: number) => ({ lastPage: page < 3 ? 5 : 8, stop: page === 7 });
    const got = await collectPages(pagesInOrder({ concurrency: 2, fetch: async (p) => p, decide }));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("a failing page fails the iteration and stops the other fetches", async () => {
    let aborted = 0;
    const clock = new FakeClock();
    const pages = pagesInOrder<number>({
      concurrency: 4,
      fetch: async (page, signal) => {
        if (page === 3) {
          await clock.sleep(5);
          throw new FeedpipeError("HTTP_STATUS", "page 3 broke");
        }
        await clock.sleep(page === 1 ? 0 : 200, signal); // wakes early on abort
        if (signal.aborted) {
          aborted++;
          throw new FeedpipeError("ABORTED", "aborted");
        }
        return page;
      },
      decide: () => ({ lastPage: 100 }),
    });
    const err = await clock.run(caught(collectPages(pages)));
    expect(err.message).toBe("page 3 broke");
    expect(aborted).toBeGreaterThan(0);
  });
});

async function collectPages<P>(pages: AsyncIterable<{ page: number; result: P }>): Promise<number[]> {
  const out: number[] = [];
  for await (const p of pages) out.push(p.page);
  return out;
}

describe("pull a 10,000-product catalog", () => {
  for (const style of ["code", "http"] as const) {
    it(`under 20 ms latency and rate limiting (${style === "code" ? "code 1002" : "HTTP 429"}): every product exactly once, in page order, CSV round-trips`, async () => {
      const { sb, mod, client, rates } = await sandbox(
        { products: 10_000, seed: 2024 },
        { latencyMs: 20, rateLimit: 40, rateLimitStyle: style },
        true,
      );
      const dir = await tmp();
      const target = join(dir, "products.csv");
      const pages: number[] = [];
      const pull = pullPublisherProducts(client, {}, { concurrency: 6, onPage: (i) => pages.push(i.page) });
      const result = await exportRows(rows(pull), { target, format: "csv", columns: [...PUBLISHER_COLUMNS] });
      const stats = pull.stats();
      expect(sb.stats.faults.rateLimited).toBeGreaterThan(0);
      // Rate limits are the controller's business, not retries; it learned the limit of 40/s.
      expect(stats.retries).toBe(0);
      expect(rates.stats()[0]!.rateLimited).toBe(sb.stats.faults.rateLimited);
      expect(rates.stats()[0]!.learnedLimit).toBeLessThanOrEqual(42);
      expect(stats).toMatchObject({
        pages: 100,
        products: 10_000,
        duplicates: 0,
        total: 10_000,
        match: true,
      });
      expect(pages).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(result.rows).toBe(10_000);

      const back = await readCsv(target);
      expect(back).toHaveLength(10_000);
      expect(Object.keys(back[0]!)).toEqual([...PUBLISHER_COLUMNS]);
      // Exactly the sandbox's products, each once, in the sandbox's order.
      const key = (p: { brand_id?: string; sku?: string }) => `${p.brand_id}/${p.sku}`;
      expect(back.map(key)).toEqual(mod.catalog.map(key));
      expect(new Set(back.map(key)).size).toBe(10_000);
      // A few full rows, including ones with quotes, commas, line breaks and non-ASCII text.
      const picks = [0, 1, 4999, 9999];
      picks.push(mod.catalog.findIndex((p) => p.description.includes("\n")));
      picks.push(mod.catalog.findIndex((p) => /[^\x00-\x7f]/.test(p.name) && p.name.includes(",")));
      picks.push(mod.catalog.findIndex((p) => p.custom2.includes('"')));
      for (const i of picks) {
        expect(i).toBeGreaterThanOrEqual(0);
        expect(back[i]).toEqual(publisherRow(toPublisherProduct(mod.catalog[i]!)));
      }
      expect(back[0]!.updated_at_iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await readdir(dir)).toEqual(["products.csv"]);
    }, 60_000);
  }
});

describe("paging behaviour", () => {
  it("tolerates list as an index-keyed object through a whole pull", async () => {
    const { mod, client } = await sandbox({ listAsObject: true, products: 730 });
    const pull = pullPublisherProducts(client, {}, { limit: 100 });
    const got = (await collect(pull.products)).map((p) => p.sku);
    expect(got).toEqual(mod.catalog.map((p) => p.sku));
    expect(pull.stats()).toMatchObject({ pages: 8, products: 730, match: true });
  });

  it("applies the filters on every page", async () => {
    const { mod, client } = await sandbox({ products: 3000 });
    const pull = pullPublisherProducts(
      client,
      { brandType: "dtc", minDiscount: 10 },
      { limit: 37, concurrency: 3 },
    );
    const got = await collect(pull.products);
    const expected = mod.filtered({ brand_type: "DTC", min_discount: "10" });
    expect(got.map((p) => p.sku)).toEqual(expected.map((p) => p.sku));
    expect(pull.stats().total).toBe(expected.length);
    for (const params of mod.stats.listParams)
      expect(params).toMatchObject({ brand_type: "DTC", min_discount: "10" });
  });

  it("rejects bad filters and options when called, before any request", async () => {
    const { sb, client } = await sandbox();
    expect(() => pullPublisherProducts(client, { priceRange: "1-2" })).toThrow(
      "Invalid option --price-range",
    );
    expect(() => pullPublisherProducts(client, {}, { limit: 500 })).toThrow("Invalid option --limit");
    expect(() => pullPublisherProducts(client, {}, { concurrency: 0 })).toThrow(
      "Invalid option --concurrency",
    );
    expect(() => bulkPublisherProducts(client, "x1")).toThrow("Invalid option --brand-id");
    expect(sb.stats.requests).toBe(0);
  });

  it("drops a product seen on two pages (the catalog moved) and reports it", async () => {
    const { mod, client } = await sandbox({ products: 500, shiftAfterPage: 1, shiftCount: 7 });
    const original = mod.catalog.map((p) => `${p.brand_id}/${p.sku}`);
    const pull = pullPublisherProducts(client, {}, { limit: 50, concurrency: 4 });
    const got = (await collect(pull.products)).map((p) => `${p.brand_id}/${p.sku}`);
    expect(mod.catalog.length).toBe(507); // the shift happened
    expect(got).toEqual(original); // every original product once, in order
    expect(pull.stats()).toMatchObject({
      duplicates: 7,
      products: 500,
      total: 500,
      totalLast: 507,
      pages: 11, // the catalog grew: the pull followed it to its new last page
    });
  });

  it("keeps the same sku under two brands (the key is sku + brand_id)", async () => {
    const { mod, client } = await sandbox({ products: 1000 });
    const skus = mod.catalog.map((p) => p.sku);
    expect(new Set(skus).size).toBeLessThan(skus.length);
    const pull = pullPublisherProducts(client);
    expect((await collect(pull.products)).length).toBe(1000);
    expect(pull.stats().duplicates).toBe(0);
  });

  it("reports a count that does not match total, stops on an empty page and honours has_more", async () => {
    const product = (sku: string): Partial<PublisherProduct> => ({ sku, brand_id: "1", name: sku });
    const serve = async (answer: (page: number) => unknown) => {
      const requested: number[] = [];
      const m: SandboxModule = {
        name: "stub",
        matches: (req) => req.url.pathname === "/api.php",
        handle(req, reply) {
          const page = Number(req.params.page);
          requested.push(page);
          reply.json({ status: { code: 0, msg: "success" }, data: answer(page) });
        },
      };
      const sb = await startSandbox({ modules: [m] });
      running.push(sb);
      return {
        client: createPublisherClient(
          { token: TOKEN, apiUrl: `${sb.origin}/api.php` },
          { retry: FAST_RETRY },
        ),
        requested,
      };
    };
    // total says 25 but page 2 is empty: stop there, count 10 ≠ 25.
    const short = await serve((page) => ({
      total: "25",
      list: page === 1 ? Array.from({ length: 10 }, (_, i) => product(`A${i}`)) : [],
    }));
    const p1 = pullPublisherProducts(short.client, {}, { limit: 10, concurrency: 1 });
    expect((await collect(p1.products)).length).toBe(10);
    expect(p1.stats()).toMatchObject({ products: 10, total: 25, match: false, pages: 2 });
    // No total, has_more flags: follow them one page at a time.
    const flags = await serve((page) => ({
      has_more: page < 3 ? "1" : "0",
      list: [product(`B${page}`)],
    }));
    const p2 = pullPublisherProducts(flags.client, {}, { limit: 10 });
    expect((await collect(p2.products)).map((p) => p.sku)).toEqual(["B1", "B2", "B3"]);
    expect(flags.requested).toEqual([1, 2, 3]);
    expect(p2.stats().match).toBeUndefined();
  });
});

describe("bulk download", () => {
  it("PENDING → OK, then streams the brand's CSV through the ingest reader", async () => {
    const { mod, client } = await sandbox({ products: 2000, downloadPendingPolls: 2 });
    const statuses: string[] = [];
    const pull = bulkPublisherProducts(client, "73461", {
      pollIntervalMs: 2,
      onPoll: (i) => statuses.push(i.status),
    });
    const dir = await tmp();
    const target = join(dir, "brand.csv");
    await exportRows(rows(pull), { target, format: "csv", columns: [...PUBLISHER_COLUMNS] });
    const expected = mod.catalog.filter((p) => p.brand_id === "73461");
    const back = await readCsv(target);
    expect(back.map((p) => p.sku)).toEqual(expected.map((p) => p.sku));
    expect(back[3]).toEqual(publisherRow(toPublisherProduct(expected[3]!)));
    expect(statuses).toEqual(["PENDING", "PENDING", "OK"]);
    expect(pull.stats()).toMatchObject({
      mode: "bulk",
      products: expected.length,
      duplicates: 0,
      total: undefined,
    });
    expect(pull.download()?.polls).toBe(3);
    expect(mod.stats.files).toBe(1);
  });

  it("FAIL is a clear error and leaves no file", async () => {
    const { client } = await sandbox({ downloadFails: true });
    const dir = await tmp();
    const pull = bulkPublisherProducts(client, "66303", { pollIntervalMs: 1 });
    const err = await caught(
      exportRows(rows(pull), { target: join(dir, "x.csv"), format: "csv", columns: [...PUBLISHER_COLUMNS] }),
    );
    expect(err.code).toBe("NET_DOWNLOAD_FAILED");
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("an interrupted pull leaves no file that looks complete", () => {
  it("when the server starts failing for good mid-way", async () => {
    const { client } = await sandbox({ products: 2000, failListAfter: 6 });
    const failing = createPublisherClient(
      { token: TOKEN, apiUrl: client.apiUrl },
      { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
    );
    const dir = await tmp();
    const target = join(dir, "products.csv");
    let pagesSeen = 0;
    const pull = pullPublisherProducts(failing, {}, { limit: 100, onPage: () => pagesSeen++ });
    const err = await caught(
      exportRows(rows(pull), { target, format: "csv", columns: [...PUBLISHER_COLUMNS] }),
    );
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.message).toContain("503");
    expect(pagesSeen).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual([]); // no target, no temporary file
  });

  it("when the caller aborts", async () => {
    const { client } = await sandbox({ products: 3000 }, { latencyMs: 5 });
    const controller = new AbortController();
    const dir = await tmp();
    const target = join(dir, "products.ndjson");
    const pull = pullPublisherProducts(
      client,
      {},
      {
        limit: 50,
        signal: controller.signal,
        onPage: (i) => {
          if (i.page === 4) controller.abort();
        },
      },
    );
    const err = await caught(
      exportRows(rows(pull), {
        target,
        format: "ndjson",
        columns: [...PUBLISHER_COLUMNS],
        signal: controller.signal,
      }),
    );
    expect(err.code).toBe("ABORTED");
    expect(await readdir(dir)).toEqual([]);
  });

  it("an auth failure before the first page opens nothing, not even on stdout", async () => {
    const { sb } = await sandbox();
    const bad = createPublisherClient({ token: "not-the-token", apiUrl: `${sb.origin}/api.php` });
    let written = "";
    const err = await caught(
      exportRows(rows(pullPublisherProducts(bad)), {
        target: "-",
        format: "csv",
        columns: [...PUBLISHER_COLUMNS],
        stdout: { write: (s: string) => ((written += s), true) },
      }),
    );
    expect(err.code).toBe("NET_AUTH_FAILED");
    expect(written).toBe("");
  });
});
