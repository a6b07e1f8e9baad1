/**
 * `pull partnerboost` against hostile or broken servers (issue #20's two publisher points):
 * a bulk `data.url` that is not an http(s) URL is refused and never read or shown; a server that
 * ignores `page` and gives no total cannot keep the pull going (nothing-new stop, page cap).
 * Every server here is a small stub on 127.0.0.1.
 */
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
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
