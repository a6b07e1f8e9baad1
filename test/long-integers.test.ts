/**
 * Integers a double cannot hold exactly (past 2^53, 16 digits and more: SKUs, product ids, EAN-like
 * numbers written without quotes) are read as their own text, on every JSON path: NDJSON lines,
 * JSON arrays (one JSON.parse per run of elements, or per element), the packed scanners of the
 * reader thread, and API answers. JSON.parse rounded 1234567890123456789 and 1234567890123456788
 * to the same 1234567890123456800: a false DUPLICATE_SKU and a product id that names nothing.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseJsonExact, quoteLongIntegers } from "../src/core/json-exact.js";
import { openFeed } from "../src/formats/index.js";
import type * as Formats from "../src/formats/index.js";
import { runCli } from "./helpers/cli.js";
import { collect } from "../src/core/batch.js";
import { closeHttpAgents } from "../src/io/http.js";
import { createPublisherClient, pullPublisherProducts } from "../src/networks/partnerboost/publisher.js";
import { type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const A = "1234567890123456789";
const B = "1234567890123456788";

describe("parseJsonExact", () => {
  it("keeps integers a double would change as their text, and only those", () => {
    expect(
      parseJsonExact(
        `{"a":${A},"b":-${B},"c":3792018395786183,"f":1000000000000000000,"d":1.5,"e":12345678901234567.5}`,
      ),
    ).toEqual({
      a: A,
      b: `-${B}`,
      c: 3792018395786183,
      f: 1e18,
      d: 1.5,
      e: Number("12345678901234567.5"),
    });
    expect(parseJsonExact(`[${A}, {"x": [${B}]}]`)).toEqual([A, { x: [B] }]);
    expect(parseJsonExact("1e400")).toBe(Infinity);
  });

  it("leaves digits inside strings and keys alone, escapes included", () => {
    const text = `{"${A}":"id ${B} \\" ${A}","k":"\\\\","n":${A}}`;
    expect(parseJsonExact(text)).toEqual({ [A]: `id ${B} " ${A}`, k: "\\", n: A });
    expect(quoteLongIntegers(`"${A}"`)).toBe(`"${A}"`);
  });

  it("throws JSON.parse's own error for malformed text", () => {
    const bad = `{"a":${A},}`;
    let expected = "";
    try {
      JSON.parse(bad);
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).not.toBe("");
    expect(() => parseJsonExact(bad)).toThrow(expected);
  });

  it("returns JSON.parse's result untouched when no long integer occurs", () => {
    const text = `{"a":1,"b":"x","c":[1.25,true,null]}`;
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });
});

const ndjson = `{"id":${A},"title":"Mug","price":9.99,"n":7}\n{"id":${B},"title":"Lamp","price":19.5,"n":-8}\n`;
const jsonArray = `[{"id":${A},"title":"Mug","price":9.99,"n":7},{"id":${B},"title":"Lamp","price":19.5,"n":-8}]`;
// Nested values and a pretty layout take the element-by-element path.
const jsonNested = `{"products": [\n  {"id": ${A}, "title": "Mug", "price": 9.99, "n": 7, "dims": {"w": 1}},\n  {"id": ${B}, "title": "Lamp", "price": 19.5, "n": -8, "dims": {"w": 2}}\n]}`;

async function records(spec: string, read: typeof openFeed, worker: boolean) {
  const feed = await read(spec, { worker });
  const out: Record<string, unknown>[] = [];
  for await (const batch of feed.records)
    for (const r of batch) out.push(r.fields as Record<string, unknown>);
  return out;
}

describe("long integers in feeds", () => {
  const cases: [string, string][] = [
    ["feed.ndjson", ndjson],
    ["feed.json", jsonArray],
    ["nested.json", jsonNested],
  ];

  it("are read exactly in-process and on the reader thread", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-longint-"));
    const dist = pathToFileURL(resolve(import.meta.dirname, "..", "dist", "src", "formats", "index.js")).href;
    const built = (await import(dist)) as typeof Formats;
    for (const [name, text] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      for (const [read, worker] of [
        [openFeed, false],
        [built.openFeed, true],
      ] as const) {
        const got = await records(file, read, worker);
        expect(
          got.map((r) => r.id),
          `${name} worker=${worker}`,
        ).toEqual([A, B]);
        expect(
          got.map((r) => r.n),
          `${name} worker=${worker}`,
        ).toEqual([7, -8]);
        expect(
          got.map((r) => r.price),
          `${name} worker=${worker}`,
        ).toEqual([9.99, 19.5]);
      }
    }
  });

  it("are not duplicates of each other, and a conversion writes them as they were", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-longint-"));
    for (const [name, text] of cases) {
      const file = join(dir, name);
      const catalog = text.replaceAll(
        '"title"',
        '"link":"https://shop.example/p","image_link":"https://shop.example/i.jpg","currency":"EUR","title"',
      );
      await writeFile(file, catalog);
      const out = join(dir, `${name}.out.ndjson`);
      const r = await runCli(["convert", file, "-o", out, "--json"]);
      expect(r.err, name).not.toMatch(/DUPLICATE_SKU/);
      expect(r.out, name).not.toMatch(/DUPLICATE_SKU/);
      const written = (await readFile(out, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { sku: string });
      expect(
        written.map((p) => p.sku),
        name,
      ).toEqual([A, B]);
      expect(r.code, `${name}: ${r.out}${r.err}`).toBe(0);
    }
  });
});

describe("long integers in API answers", () => {
  it("a PartnerBoost publisher page with numeric SKUs keeps them exact (and distinct)", async () => {
    const body = `{"status":{"code":0,"msg":"success"},"data":{"total":2,"list":[{"sku":${A},"name":"Mug","price":"9.99"},{"sku":${B},"name":"Lamp","price":"19.50"}]}}`;
    const mod: SandboxModule = {
      name: "long-ids",
      matches: (req) => req.url.pathname === "/api.php",
      handle: (_req, reply) => reply.text(body, "application/json"),
    };
    const sb = await startSandbox({ modules: [mod] });
    try {
      const client = createPublisherClient({ token: "long-id-token-1", apiUrl: `${sb.origin}/api.php` }, {});
      const pull = pullPublisherProducts(client, {}, { limit: 10 });
      const got = await collect(pull.products);
      expect(got.map((p) => p.sku)).toEqual([A, B]);
    } finally {
      await sb.close();
      await closeHttpAgents();
    }
  });
});

describe("parseJsonExact never accepts what JSON.parse rejects", () => {
  it("leading zeros, numbers in a key's place, numbers after other tokens", () => {
    for (const bad of [
      `{"id":01234567890123456789}`,
      `{12345678901234567890:1}`,
      `{"a":1,12345678901234567890:1}`,
      `[1 12345678901234567890]`,
      `{"a":"x"12345678901234567890}`,
    ]) {
      expect(() => JSON.parse(bad), bad).toThrow();
      expect(() => parseJsonExact(bad), bad).toThrow();
    }
    expect(parseJsonExact(`[1, 12345678901234567890, {"k": [12345678901234567890]}]`)).toEqual([
      1,
      "12345678901234567890",
      { k: ["12345678901234567890"] },
    ]);
  });
});
