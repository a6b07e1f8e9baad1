/**
 * The reader thread (src/formats/worker-feed.ts) against the in-process reader, on every reader
 * fixture and the public samples: same feed description, same records, same counters, same errors.
 *
 * A worker thread runs compiled JavaScript, so this suite loads the build in dist/ (`npm test`
 * builds first) and compares the build's two paths with each other.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceRecord } from "../src/core/record.js";
import type * as Formats from "../src/formats/index.js";
import type * as WorkerFeed from "../src/formats/worker-feed.js";
import { hasSharedSamples, itWithSamples, SHARED_SAMPLES } from "./helpers/environment.js";

const ROOT = resolve(import.meta.dirname, "..");
const FIXTURES = join(import.meta.dirname, "fixtures");

let formats: typeof Formats;
let workerFeed: typeof WorkerFeed;

beforeAll(async () => {
  const dist = (p: string) => pathToFileURL(join(ROOT, "dist", "src", "formats", p)).href;
  try {
    formats = (await import(dist("index.js"))) as typeof Formats;
    workerFeed = (await import(dist("worker-feed.js"))) as typeof WorkerFeed;
  } catch (err) {
    throw new Error(`dist/ is missing or stale: run \`npm run build\` first (${String(err)})`);
  }
  expect(workerFeed.workerAvailable()).toBe(true);
});

interface Outcome {
  meta?: Record<string, unknown>;
  records: SourceRecord[];
  stats?: unknown;
  bytes: number;
  error?: { code: unknown; message: string };
}

async function read(
  spec: string,
  worker: boolean | "auto",
  extra: Formats.ReadFeedOptions = {},
): Promise<Outcome> {
  const out: Outcome = { records: [], bytes: 0 };
  try {
    const feed = await formats.openFeed(spec, {
      ...extra,
      worker,
      onBytes: (n) => {
        out.bytes += n;
      },
    });
    const { records, stats, ...meta } = feed;
    out.meta = meta;
    for await (const batch of records) out.records.push(...batch);
    out.stats = stats === undefined ? undefined : { ...stats };
  } catch (err) {
    const e = err as { code?: unknown; message: string };
    out.error = { code: e.code, message: e.message };
  }
  return out;
}

/** Records as plain data (the XML reader leaves `line: undefined` keys; JSON drops them alike). */
const plain = (o: Outcome) => JSON.parse(JSON.stringify(o)) as unknown;

function feedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...feedFiles(p));
    else out.push(p);
  }
  return out;
}

const readerFixtures = ["csv", "json", "ndjson", "xml"].flatMap((d) => feedFiles(join(FIXTURES, d)));
const samples = hasSharedSamples
  ? readdirSync(SHARED_SAMPLES)
      .filter((n) => !n.endsWith(".md"))
      .map((n) => join(SHARED_SAMPLES, n))
  : [];

describe("reading on a worker thread", () => {
  it("covers the reader fixtures", () => {
    expect(readerFixtures.length).toBeGreaterThan(30);
  });

  itWithSamples("covers the shared samples", () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
  });

  // Named relative to the checkout (whatever its directory is called; the shared samples lie beside it).
  it.each([...readerFixtures, ...samples].map((f) => [relative(ROOT, f)]))(
    "%s: same feed, records, counters and errors as in-process",
    async (rel) => {
      const spec = join(ROOT, rel);
      expect(existsSync(spec)).toBe(true);
      const inProcess = await read(spec, false);
      const threaded = await read(spec, true);
      expect(plain(threaded)).toEqual(plain(inProcess));
      if (inProcess.error === undefined) expect(threaded.bytes).toBe(statSync(spec).size);
    },
  );

  it("passes the reader options on (delimiter, record tag, JSON path, size cap, format)", async () => {
    const cases: [string, Formats.ReadFeedOptions][] = [
      [join(FIXTURES, "csv", "semicolon", "feed.csv"), { delimiter: ";" }],
      [join(FIXTURES, "csv", "ragged", "feed.csv"), { maxRecordBytes: 20 }],
      [join(FIXTURES, "xml", "custom-product", "feed.xml"), { recordTag: "product" }],
      [join(FIXTURES, "json", "nested-path", "feed.json"), { jsonPath: "data.products" }],
      [join(FIXTURES, "json", "nested-path", "feed.json"), { jsonPath: "data.nothing" }],
      [join(FIXTURES, "csv", "latin1", "feed.csv"), { encoding: "latin1" }],
      [join(FIXTURES, "ndjson", "good", "feed.ndjson"), { format: "csv" }],
    ];
    for (const [spec, options] of cases) {
      const a = await read(spec, false, options);
      const b = await read(spec, true, options);
      expect(plain(b)).toEqual(plain(a));
    }
  });

  describe("generated feeds", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "fp-worker-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("streams a feed of many batches in order, with problems in place", async () => {
      const lines = ["sku,title,price"];
      for (let i = 0; i < 20_000; i++) {
        lines.push(i % 997 === 0 ? `S${i},"ragged",1,extra` : `S${i},"Title ${i}, ""q"" ü",${i}.5`);
      }
      const spec = join(dir, "many.csv.gz");
      writeFileSync(spec, gzipSync(`${lines.join("\n")}\n`));
      const a = await read(spec, false);
      const b = await read(spec, true);
      expect(b.records).toHaveLength(20_000);
      expect(b.records.filter((r) => r.problem?.code === "CSV_RAGGED_ROW")).toHaveLength(21);
      expect(plain(b)).toEqual(plain(a));
    });

    it("reports errors as the in-process reader does (missing, empty, truncated gzip)", async () => {
      const empty = join(dir, "empty.csv");
      writeFileSync(empty, "");
      const truncated = join(dir, "cut.csv.gz");
      const rows = Array.from({ length: 50_000 }, (_, i) => `S${i},${(i * 7919) % 10007}.${i % 100}`);
      const gz = gzipSync(`sku,price\n${rows.join("\n")}\n`);
      writeFileSync(truncated, gz.subarray(0, gz.length >> 1));
      for (const spec of [join(dir, "missing.csv"), empty, truncated]) {
        const a = await read(spec, false);
        const b = await read(spec, true);
        expect(a.error).toBeDefined();
        expect(b.error).toEqual(a.error);
        expect(b.records).toEqual(a.records);
      }
    });

    it("reads JSON arrays as in-process: flat, nested, non-object, oversized, malformed and truncated elements", async () => {
      const element = (i: number): string => {
        if (i % 997 === 5) return `{"sku":"S${i}","size":"${"x".repeat(1100)}"}`; // over the 1000 cap below
        if (i % 101 === 7) return `{"sku":"S${i}","variants":[{"size":"M"},{"size":"L"}]}`;
        if (i % 211 === 3) return i % 2 === 0 ? `"S${i}"` : `[${i}]`;
        if (i % 89 === 1) return `{"sku":"S${i}",\n  "price":${i}.5,\t"on":true}`;
        return `{"sku":"S${i}","title":"Item ${i} \\"q\\" ü \\u00e9","price":${i % 50 === 0 ? "-0" : `${i}.25`},"on":${i % 3 === 0},"gtin":null}`;
      };
      const elements = Array.from({ length: 30_000 }, (_, i) => element(i));
      const docs: [string, string, Formats.ReadFeedOptions][] = [
        ["lines.json", `[\n${elements.join(",\n")}\n]\n`, {}],
        ["minified.json", `[${elements.join(",")}]`, { highWaterMark: 4096 }],
        ["envelope.json", `{"meta":{"n":1},"data":{"products":[${elements.join(", ")}]}}`, {}],
        [
          "malformed.json",
          `[${elements.slice(0, 20_000).join(",\n")},{"sku":"BAD" "x":1},\n${elements[1]}]`,
          {},
        ],
        ["control.json", `[${elements.slice(0, 15_000).join(",\n")},{"sku":"BAD\u0001"}]`, {}],
        ["truncated.json", `[${elements.join(",\n")}`.slice(0, -40), {}],
      ];
      for (const [name, text, extra] of docs) {
        const spec = join(dir, name);
        writeFileSync(spec, text);
        const options: Formats.ReadFeedOptions = { maxRecordBytes: 1000, ...extra };
        if (name === "envelope.json") options.jsonPath = "data.products";
        const a = await read(spec, false, options);
        const b = await read(spec, true, options);
        expect(plain(b), name).toEqual(plain(a));
        if (name.startsWith("lines") || name.startsWith("minified") || name.startsWith("envelope")) {
          expect(a.error).toBeUndefined();
          expect(b.records).toHaveLength(30_000);
          expect(b.records.filter((r) => r.problem?.code === "RECORD_TOO_LARGE")).toHaveLength(31);
          expect(b.records.filter((r) => r.problem?.code === "JSON_NOT_OBJECT").length).toBeGreaterThan(100);
        } else {
          expect(a.error?.code, name).toMatch(/^FEED_JSON_/);
        }
      }
    });

    it("stops the thread when the consumer stops early", async () => {
      const spec = join(dir, "stop.ndjson");
      writeFileSync(spec, '{"sku":"A"}\n'.repeat(200_000));
      const feed = await formats.openFeed(spec, { worker: true });
      let seen = 0;
      for await (const batch of feed.records) {
        seen += batch.length;
        break;
      }
      expect(seen).toBeGreaterThan(0);
      // A second consumer on an abandoned thread would hang; ending cleanly is the check.
      const again = await read(spec, true);
      expect(again.records).toHaveLength(200_000);
    });
  });

  it('"auto" threads files from 8 MiB to 768 MiB only (sizes from stat, sparse files here)', async () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-auto-"));
    try {
      const at = (name: string, size: number) => {
        const p = join(dir, name);
        writeFileSync(p, "");
        truncateSync(p, size);
        return p;
      };
      expect(await workerFeed.useWorker(at("small.csv", workerFeed.WORKER_MIN_BYTES - 1), "auto")).toBe(
        false,
      );
      expect(await workerFeed.useWorker(at("mid.csv", workerFeed.WORKER_MIN_BYTES), "auto")).toBe(true);
      expect(await workerFeed.useWorker(at("big.csv", workerFeed.WORKER_MAX_BYTES + 1), "auto")).toBe(false);
      expect(await workerFeed.useWorker(join(dir, "big.csv"), true)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('"auto" reads XML and JSON array feeds on the thread, with the same records', async () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-auto-"));
    let threads = 0;
    const stop = workerFeed.onReaderThreadStart(() => threads++);
    try {
      const item = (i: number) => `<item><g:id>S${i}</g:id><title>Item ${i} &amp; more</title></item>`;
      const xml = `<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel>${Array.from({ length: 130_000 }, (_, i) => item(i)).join("\n")}</channel></rss>`;
      const json = JSON.stringify(
        Array.from({ length: 130_000 }, (_, i) => ({
          sku: `S${i}`,
          title: `Item ${i} and more, with a longer title`,
        })),
      );
      for (const [name, text, format] of [
        ["feed.xml", xml, "xml"],
        ["feed.json", json, "json"],
      ] as const) {
        const spec = join(dir, name);
        writeFileSync(spec, text);
        expect(statSync(spec).size).toBeGreaterThan(workerFeed.WORKER_MIN_BYTES);
        const a = await read(spec, false);
        threads = 0;
        const b = await read(spec, "auto");
        expect(b.meta?.format).toBe(format);
        expect(b.records).toEqual(a.records);
        expect(b.records).toHaveLength(130_000);
        expect(threads).toBe(1);
        // The thread reads it (a format "auto" leaves in-process is handed back: undefined).
        const threaded = await workerFeed.openFeedInWorker(spec, { worker: "auto" });
        expect(threaded?.format).toBe(format);
        await threaded?.close();
      }
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("feedpipe convert --read-thread on writes the same file and report as off", () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-cli-"));
    try {
      const cli = join(ROOT, "dist", "src", "cli", "main.js");
      const src = join(dir, "catalog.csv");
      const rows = ["sku,name,url,image,price,currency,gtin,description,brand,category,mpn"];
      // Text the rules change (entities, double spaces, HTML, padding) beside text they keep: the
      // reader thread's plain-text marks (src/formats/plain-marks.ts) must not change the output.
      const texts = [
        "Warm and naïve",
        "Tom &amp; Jerry",
        "Two  spaces",
        "<p>Some <b>HTML</b></p>",
        " padded ",
        "",
      ];
      for (let i = 0; i < 5000; i++) {
        const sku = i % 500 === 7 ? "SKU-7" : `SKU-${i}`; // duplicates
        const gtin = i % 300 === 0 ? "4006381333932" : "4006381333931"; // some bad check digits
        const t = (k: number) => texts[(i + k) % texts.length];
        rows.push(
          `${sku},"Item ${i}, ""q""",https://shop.example/p/${i},https://shop.example/i/${i}.jpg,${i}.99,EUR,${gtin},` +
            `"${t(0)} ${i}",${t(1)},${t(2)},${t(3)}`,
        );
      }
      writeFileSync(src, `${rows.join("\n")}\n`);
      const runCli = (mode: string, out: string) =>
        spawnSync(process.execPath, [cli, "convert", src, "-o", out, "--read-thread", mode, "--quiet"], {
          encoding: "utf8",
          env: { ...process.env, FEEDPIPE_READ_THREAD: "" },
        });
      const on = runCli("on", join(dir, "on.csv"));
      const off = runCli("off", join(dir, "off.csv"));
      expect(off.status).toBe(1); // invalid records: duplicates and bad GTINs
      expect(on.status).toBe(off.status);
      expect(on.stderr).toBe(off.stderr.replaceAll("off.csv", "on.csv"));
      expect(readFileSync(join(dir, "on.csv"), "utf8")).toBe(readFileSync(join(dir, "off.csv"), "utf8"));
      const bad = spawnSync(process.execPath, [cli, "validate", src, "--read-thread", "maybe"], {
        encoding: "utf8",
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--read-thread/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("marks plain text on the thread once asked, while the main thread is behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-marks-"));
    try {
      const src = join(dir, "catalog.csv");
      const texts = ["Plain words", "Tom &amp; Jerry", "Two  spaces", "", "価格"];
      const rows = ["sku,description,summary"];
      for (let i = 0; i < 20_000; i++) rows.push(`S${i},${texts[i % texts.length]},Summary ${i}`);
      writeFileSync(src, `${rows.join("\n")}\n`);
      const feed = await formats.openFeed(src, { worker: true });
      expect(feed.markPlain).toBeTypeOf("function");
      const description = 1 << 1;
      feed.markPlain!([undefined, ["description", "summary"]]);
      let marked = 0;
      for await (const batch of feed.records) {
        await new Promise((r) => setTimeout(r, 20)); // a slow main thread: the reader runs ahead
        for (const rec of batch) {
          if (rec.plain === undefined) continue;
          const d = rec.fields.description as string;
          const expected = d === "" || d === "Plain words" ? description : 0; // "" falls back to summary
          expect(rec.plain).toBe(expected);
          if (expected) marked++;
        }
      }
      expect(marked).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('"auto" keeps small files in-process and never threads stdin or URLs', async () => {
    const small = join(FIXTURES, "csv", "quoted", "feed.csv");
    expect(await workerFeed.useWorker(small, "auto")).toBe(false);
    expect(await workerFeed.useWorker(small, true)).toBe(true);
    expect(await workerFeed.useWorker(small, false)).toBe(false);
    expect(await workerFeed.useWorker("-", true)).toBe(false);
    expect(await workerFeed.useWorker("https://shop.example/feed.csv", true)).toBe(false);
    expect(await workerFeed.useWorker(join(FIXTURES, "no-such-file.csv"), "auto")).toBe(false);
  });
});
