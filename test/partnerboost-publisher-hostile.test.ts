/**
 * `pull partnerboost` against hostile or broken servers (issue #20's two publisher points):
 * a bulk `data.url` that is not an http(s) URL is refused and never read or shown; a server that
 * ignores `page` and gives no total cannot keep the pull going (nothing-new stop, page cap).
 * Every server here is a small stub on 127.0.0.1.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { caught } from "./helpers/errors.js";
import { collect } from "../src/core/batch.js";
import { closeHttpAgents } from "../src/io/http.js";
import {
  bulkPublisherProducts,
  createPublisherClient,
  pullPublisherProducts,
} from "../src/networks/partnerboost/publisher.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const TOKEN = "hostile-pub-token-9c1d7e3a";
const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 };
const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

const ok = (data: unknown) => ({ status: { code: 0, msg: "success" }, data });

/** A stub PartnerBoost publisher API: `answer(op, params, n)` gives the data of the n-th request. */
async function stub(answer: (op: string, params: Record<string, unknown>, n: number) => unknown) {
  let requests = 0;
  const mod: SandboxModule = {
    name: "hostile",
    matches: (req) => req.url.pathname === "/api.php",
    handle(req, reply) {
      requests++;
      reply.json(ok(answer(String(req.params.op), req.params, requests)));
    },
  };
  const sb = await startSandbox({ modules: [mod] });
  running.push(sb);
  const apiUrl = `${sb.origin}/api.php`;
  return {
    apiUrl,
    env: { PARTNERBOOST_PUBLISHER_TOKEN: TOKEN, PARTNERBOOST_PUBLISHER_API_URL: apiUrl },
    client: () => createPublisherClient({ token: TOKEN, apiUrl }, { retry: FAST_RETRY }),
    requests: () => requests,
  };
}

const product = (sku: string) => ({ sku, brand_id: "66303", name: `Product ${sku}`, price: "9.99" });

describe("bulk data.url must be an http(s) URL", () => {
  const SECRET_CSV = "sku,name,price\nPRIVATE-1,Private local product,1.00\n";

  const hostileUrls = async (dir: string) => [
    "/etc/passwd",
    "-",
    "file:///etc/passwd",
    "http:/etc/passwd",
    "data:text/csv,sku%0AX1",
    "products-local.csv",
    join(dir, "private.csv"),
  ];

  it("refuses a local path, stdin, file:, data: and a malformed http URL without reading or printing it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-hostile-"));
    await writeFile(join(dir, "private.csv"), SECRET_CSV);
    await writeFile(join(dir, "products-local.csv"), SECRET_CSV);
    for (const url of await hostileUrls(dir)) {
      const api = await stub((op) => (op === "request_download" ? { id: 7 } : { status: "OK", url }));
      // Library: a coded error naming the kind of value, never the value.
      const pull = bulkPublisherProducts(api.client(), "66303", { pollIntervalMs: 1 });
      const err = await caught(collect(pull.products));
      expect(err.code).toBe("NET_BAD_RESPONSE");
      expect(err.message).toContain("data.url");
      expect(err.message).toContain("refused");
      if (url.length > 1) expect(err.message).not.toContain(url);
      // CLI: exit 2, nothing written, the local file's content and the stdin text never appear.
      const r = await runCli(["pull", "partnerboost", "--bulk", "--brand-id", "66303", "-o", "out.csv"], {
        env: api.env,
        cwd: dir,
        stdin: SECRET_CSV,
      });
      expect(r.code).toBe(2);
      expect(r.err).toContain("[NET_BAD_RESPONSE]");
      for (const text of [r.out, r.err]) {
        expect(text).not.toContain("PRIVATE-1");
        expect(text).not.toContain("root:");
        expect(text).not.toContain(TOKEN);
        if (url.length > 1) expect(text).not.toContain(url);
      }
      expect((await readdir(dir)).sort()).toEqual(["private.csv", "products-local.csv"]);
      await Promise.all(running.splice(0).map((s) => s.close()));
    }
  });

  it("still fetches a real http(s) URL", async () => {
    let files = 0;
    const mod: SandboxModule = {
      name: "pb",
      matches: () => true,
      handle(req, reply) {
        if (req.url.pathname === "/files/x.csv") {
          files++;
          reply.text("sku,brand_id,name\nA1,66303,One\nA2,66303,Two\n", "text/csv");
          return;
        }
        const origin = `http://${req.headers.host}`;
        reply.json(
          ok(
            req.params.op === "request_download" ? { id: 1 } : { status: "OK", url: `${origin}/files/x.csv` },
          ),
        );
      },
    };
    const sb = await startSandbox({ modules: [mod] });
    running.push(sb);
    const client = createPublisherClient({ token: TOKEN, apiUrl: `${sb.origin}/api.php` });
    const pull = bulkPublisherProducts(client, "66303", { pollIntervalMs: 1 });
    expect((await collect(pull.products)).map((p) => p.sku)).toEqual(["A1", "A2"]);
    expect(files).toBe(1);
  });
});

describe("a server that ignores page", () => {
  it("the same full page every time and no total: stops at the first page that brings nothing new", async () => {
    const page = Array.from({ length: 10 }, (_, i) => product(`S${i}`));
    const api = await stub(() => ({ list: page }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10, concurrency: 4 });
    const got = await collect(pull.products);
    expect(got.map((p) => p.sku)).toEqual(page.map((p) => p.sku));
    expect(api.requests()).toBe(2);
    expect(pull.stats()).toMatchObject({ pages: 2, products: 10, duplicates: 10, repeatedPage: 2 });
  });

  it("the same page with has_more always 1: same stop; the CLI says why", async () => {
    const page = Array.from({ length: 3 }, (_, i) => product(`H${i}`));
    const api = await stub(() => ({ list: page, has_more: 1 }));
    const dir = await mkdtemp(join(tmpdir(), "fp-hostile-"));
    const r = await runCli(["pull", "partnerboost", "-o", "out.csv", "--limit", "50"], {
      env: api.env,
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(api.requests()).toBe(2);
    expect(r.out).toMatch(/products\s+3 written/);
    expect(r.out).toContain("page 2 brought only products already seen");
    const json = await runCli(["pull", "partnerboost", "-o", "out2.csv", "--json"], {
      env: api.env,
      cwd: dir,
    });
    expect(JSON.parse(json.out)).toMatchObject({ products: 3, duplicates: 3, repeatedPage: 2 });
  });

  it("the same page under a total it never reaches: NET_BAD_RESPONSE, nothing written (not 10 of 25, exit 0)", async () => {
    const page = Array.from({ length: 10 }, (_, i) => product(`T${i}`));
    const api = await stub(() => ({ total: "25", list: page }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10, concurrency: 1 });
    const err = await caught(collect(pull.products));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain("page 2 repeats products already listed (10 of the 25");
    const dir = await mkdtemp(join(tmpdir(), "fp-hostile-"));
    const r = await runCli(["pull", "partnerboost", "-o", "out.csv", "--limit", "10"], {
      env: api.env,
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("[NET_BAD_RESPONSE]");
    expect(r.err).toContain("ignoring `page`");
    expect(await readdir(dir)).toEqual([]);
  });

  it("a last page of a few products listed before (the total counts them twice) is not a repeated page 1", async () => {
    const all = [
      ...Array.from({ length: 20 }, (_, i) => product(`D${i}`)),
      ...Array.from({ length: 5 }, (_, i) => product(`D${i}`)),
    ];
    const api = await stub((_op, params) => {
      const page = Number(params.page ?? 1);
      return { total: "25", list: all.slice((page - 1) * 10, page * 10) };
    });
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10, concurrency: 1 });
    const got = await collect(pull.products);
    expect(got).toHaveLength(20);
    expect(pull.stats()).toMatchObject({ products: 20, duplicates: 5 });
  });

  it("new products on every page and has_more forever: the page cap ends it with a clear error, nothing written", async () => {
    const api = await stub((_op, _params, n) => ({ list: [product(`N${n}`)], has_more: "1" }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10, maxPages: 25 });
    const err = await caught(collect(pull.products));
    expect(err.code).toBe("PULL_PAGE_CAP");
    expect(err.message).toContain("page cap of 25 pages");
    expect(err.message).toContain("--max-pages");
    expect(api.requests()).toBe(25);

    const dir = await mkdtemp(join(tmpdir(), "fp-hostile-"));
    const r = await runCli(["pull", "partnerboost", "-o", "out.csv", "--max-pages", "5"], {
      env: api.env,
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("[PULL_PAGE_CAP]");
    expect(await readdir(dir)).toEqual([]);
  });

  it("a total too large for the cap is refused after the first page", async () => {
    const api = await stub(() => ({ total: "900000000", list: [product("T1")] }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 100, concurrency: 4 });
    const err = await caught(collect(pull.products));
    expect(err.code).toBe("PULL_PAGE_CAP");
    expect(err.message).toContain("reports 900000000 products");
    expect(api.requests()).toBe(1);
  });

  it("--max-pages is checked before any request", async () => {
    const api = await stub(() => ({ list: [] }));
    const r = await runCli(["pull", "partnerboost", "-o", "x.csv", "--max-pages", "0"], {
      env: api.env,
      cwd: await mkdtemp(join(tmpdir(), "fp-hostile-")),
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("--max-pages");
    expect(api.requests()).toBe(0);
  });
});

describe("answers that do not add up", () => {
  const catalog = (n: number) => Array.from({ length: n }, (_, i) => product(`C${i}`));

  /** A server paging by its own size, whatever `limit` asks. */
  const ownSize = (all: ReturnType<typeof catalog>, size: (page: number) => number) =>
    stub((_op, params) => {
      const page = Number(params.page);
      let from = 0;
      for (let p = 1; p < page; p++) from += size(p);
      return { total: String(all.length), list: all.slice(from, from + size(page)) };
    });

  it("a server that sends 50 a page when asked for 100: every product is pulled", async () => {
    const all = catalog(230);
    const api = await ownSize(all, () => 50);
    const pull = pullPublisherProducts(api.client(), {}, { limit: 100, concurrency: 4 });
    const got = await collect(pull.products);
    expect(got.map((p) => p.sku)).toEqual(all.map((p) => p.sku));
    expect(pull.stats()).toMatchObject({ pages: 5, products: 230 });
  });

  it("pages shorter than the first one: the pull goes on until the total has come", async () => {
    const all = catalog(100);
    const api = await ownSize(all, (page) => (page === 1 ? 20 : 13));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 20, concurrency: 3 });
    expect((await collect(pull.products)).map((p) => p.sku)).toEqual(all.map((p) => p.sku));
  });

  it("a total larger than the catalog costs one empty page, not an error", async () => {
    const all = catalog(25);
    const api = await stub((_op, params) => {
      const page = Number(params.page);
      return { total: "30", list: all.slice((page - 1) * 10, page * 10) };
    });
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10, concurrency: 2 });
    expect(await collect(pull.products)).toHaveLength(25);
    expect(api.requests()).toBe(4);
  });

  it("data one level down, and products wrapped in {product: …}, are read", async () => {
    const api = await stub(() => ({
      data: { total: "2", list: [{ product: product("W1") }, { product: product("W2") }] },
    }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10 });
    expect((await collect(pull.products)).map((p) => p.sku)).toEqual(["W1", "W2"]);
  });

  it("total 0 without a list is an empty catalog", async () => {
    const api = await stub(() => ({ total: 0 }));
    const pull = pullPublisherProducts(api.client(), {}, { limit: 10 });
    expect(await collect(pull.products)).toEqual([]);
  });

  it.each([
    ["data null", null, /data is null/],
    ["no list anywhere", { items_here: [product("X")], count: 1 }, /data has only items_here, count/],
    [
      "a total with an empty first page",
      { total: "40", list: [] },
      /reports 40 products but page 1 holds none/,
    ],
  ])("%s: NET_BAD_RESPONSE, and a good export already there is kept", async (_name, data, message) => {
    const api = await stub(() => data);
    const err = await caught(collect(pullPublisherProducts(api.client(), {}, { limit: 10 }).products));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toMatch(message);
    const dir = await mkdtemp(join(tmpdir(), "fp-hostile-"));
    await writeFile(join(dir, "out.csv"), "sku\nGOOD-1\n");
    const r = await runCli(["pull", "partnerboost", "-o", "out.csv"], { env: api.env, cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("[NET_BAD_RESPONSE]");
    expect(await readFile(join(dir, "out.csv"), "utf8")).toBe("sku\nGOOD-1\n");
  });

  it("a bulk file that is an HTML page, not a product CSV: NET_BAD_RESPONSE, nothing exported", async () => {
    const mod: SandboxModule = {
      name: "pb",
      matches: () => true,
      handle(req, reply) {
        if (req.url.pathname === "/files/x.csv") {
          reply.text("<!DOCTYPE html>\n<html><body>Please log in</body></html>\n", "text/html");
          return;
        }
        const origin = `http://${req.headers.host}`;
        reply.json(
          ok(
            req.params.op === "request_download" ? { id: 1 } : { status: "OK", url: `${origin}/files/x.csv` },
          ),
        );
      },
    };
    const sb = await startSandbox({ modules: [mod] });
    running.push(sb);
    const client = createPublisherClient({ token: TOKEN, apiUrl: `${sb.origin}/api.php` });
    const err = await caught(collect(bulkPublisherProducts(client, "66303", { pollIntervalMs: 1 }).products));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toMatch(/not a product CSV/);
  });
});
