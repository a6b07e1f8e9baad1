import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import { type Feed, openFeed, type ReadFeedOptions } from "../src/formats/index.js";
import { closeHttpAgents } from "../src/io/http.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const path = (...p: string[]): string => join(FIXTURES, ...p);

interface Read {
  feed: Feed;
  records: SourceRecord[];
  error?: FeedpipeError;
}

async function readFeed(spec: string, options: ReadFeedOptions = {}): Promise<Read> {
  const feed = await openFeed(spec, options);
  const records: SourceRecord[] = [];
  try {
    for await (const batch of feed.records) records.push(...batch);
  } catch (error) {
    if (!(error instanceof FeedpipeError)) throw error;
    return { feed, records, error };
  }
  return { feed, records };
}

async function openError(spec: string, options: ReadFeedOptions = {}): Promise<FeedpipeError> {
  try {
    await readFeed(spec, options);
  } catch (error) {
    if (error instanceof FeedpipeError) return error;
    throw error;
  }
  throw new Error(`expected ${spec} to fail`);
}

const THREE = [
  { id: "1", name: "Café", price: "3.50" },
  { id: "2", name: "Ünïcödé ✓", price: "4.00" },
  { id: "3", name: "日本語", price: "5.00" },
];

describe("openFeed over files", () => {
  // Every CSV fixture: format, delimiter, encoding, compression, and valid + problem records = expected total.
  const cases: {
    name: string;
    file: string;
    options?: ReadFeedOptions;
    delimiter: string;
    encoding: string;
    compression: "none" | "gzip" | "zip";
    total: number;
    problems: number;
  }[] = [
    {
      name: "quoted",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 5,
      problems: 0,
    },
    {
      name: "bom",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 2,
      problems: 0,
    },
    {
      name: "utf16le-bom",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-16le",
      compression: "none",
      total: 3,
      problems: 0,
    },
    {
      name: "utf16be-bom",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-16be",
      compression: "none",
      total: 3,
      problems: 0,
    },
    {
      name: "latin1",
      file: "feed.csv",
      options: { encoding: "latin1" },
      delimiter: ",",
      encoding: "windows-1252",
      compression: "none",
      total: 3,
      problems: 0,
    },
    {
      name: "crlf",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 3,
      problems: 0,
    },
    {
      name: "mixed-endings",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 4,
      problems: 0,
    },
    {
      name: "ragged",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 4,
      problems: 2,
    },
    {
      name: "blank-rows",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 3,
      problems: 0,
    },
    {
      name: "header-only",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 0,
      problems: 0,
    },
    {
      name: "semicolon",
      file: "feed.csv",
      delimiter: ";",
      encoding: "utf-8",
      compression: "none",
      total: 2,
      problems: 0,
    },
    {
      name: "pipe",
      file: "feed.csv",
      delimiter: "|",
      encoding: "utf-8",
      compression: "none",
      total: 2,
      problems: 0,
    },
    {
      name: "tsv",
      file: "feed.tsv",
      delimiter: "\t",
      encoding: "utf-8",
      compression: "none",
      total: 2,
      problems: 0,
    },
    {
      name: "invalid-utf8",
      file: "feed.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "none",
      total: 3,
      problems: 1,
    },
    {
      name: "gzip",
      file: "feed.csv.gz",
      delimiter: ",",
      encoding: "utf-8",
      compression: "gzip",
      total: 3,
      problems: 0,
    },
    {
      name: "gzip",
      file: "really-gzip.csv",
      delimiter: ",",
      encoding: "utf-8",
      compression: "gzip",
      total: 3,
      problems: 0,
    },
    {
      name: "zip",
      file: "feed.zip",
      delimiter: ",",
      encoding: "utf-8",
      compression: "zip",
      total: 2,
      problems: 0,
    },
  ];
  for (const c of cases) {
    it(`reads csv/${c.name}/${c.file}`, async () => {
      const spec = path("csv", c.name, c.file);
      const { feed, records, error } = await readFeed(spec, c.options);
      expect(error).toBeUndefined();
      expect(feed).toMatchObject({
        name: spec,
        format: "csv",
        delimiter: c.delimiter,
        encoding: c.encoding,
        compression: c.compression,
      });
      expect(records).toHaveLength(c.total);
      expect(records.filter((r) => r.problem).length).toBe(c.problems);
      expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i + 1));
      expect(records.every((r) => r.source === spec && typeof r.line === "number")).toBe(true);
      expect(feed.stats?.records).toBe(c.total);
    });
  }

  it("decodes UTF-16 (both byte orders) and Latin-1 to the same text", async () => {
    for (const name of ["utf16le-bom", "utf16be-bom"]) {
      const { records } = await readFeed(path("csv", name, "feed.csv"));
      expect(records.map((r) => r.fields)).toEqual(THREE);
      expect(records.map((r) => r.line)).toEqual([2, 3, 4]);
    }
    const latin = await readFeed(path("csv", "latin1", "feed.csv"), { encoding: "latin1" });
    expect(latin.records.map((r) => r.fields.name)).toEqual(["Café", "Größe XL", "Señor"]);
  });

  it("flags records with bytes invalid in the encoding (FEED_ENCODING_INVALID), and only those", async () => {
    const { records } = await readFeed(path("csv", "invalid-utf8", "feed.csv"));
    expect(records.map((r) => [r.line, r.problem?.code ?? "ok"])).toEqual([
      [2, "ok"],
      [3, "FEED_ENCODING_INVALID"],
      [4, "ok"],
    ]);
    expect(records[1]!.problem).toMatchObject({ field: "name", value: "Bad\uFFFDbyte" });
    // A Latin-1 file read as UTF-8: every row with an accent is flagged, none is lost.
    const wrong = await readFeed(path("csv", "latin1", "feed.csv"));
    expect(wrong.records).toHaveLength(3);
    expect(wrong.records.every((r) => r.problem?.code === "FEED_ENCODING_INVALID")).toBe(true);
  });

  it("flags bytes invalid in a legacy multi-byte encoding too (Shift_JIS, EUC-KR, Big5), not only UTF-8", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-legacy-"));
    const cases: [string, number[], number[]][] = [
      ["shift_jis", [0x82, 0xa0], [0x82, 0xa0, 0xff]],
      ["euc-kr", [0xb0, 0xa1], [0xb0, 0xa1, 0xff]],
      ["big5", [0xa4, 0x40], [0xa4, 0x40, 0x81, 0x30]],
    ];
    for (const [encoding, good, bad] of cases) {
      const file = join(dir, `${encoding}.csv`);
      const row = (sku: string, name: number[]) =>
        Buffer.concat([Buffer.from(`${sku},`), Buffer.from(name), Buffer.from("\n")]);
      await writeFile(
        file,
        Buffer.concat([Buffer.from("sku,name\n"), row("A1", good), row("A2", bad), row("A3", good)]),
      );
      const { records } = await readFeed(file, { encoding });
      expect(
        records.map((r) => [r.line, r.problem?.code ?? "ok"]),
        encoding,
      ).toEqual([
        [2, "ok"],
        [3, "FEED_ENCODING_INVALID"],
        [4, "ok"],
      ]);
      expect(records[0]!.fields.name).not.toContain("\uFFFD");
      expect(records[1]!.problem?.message).toContain(encoding);
    }
    // GB18030 spells U+FFFD itself (84 31 A4 37): a character, not bad bytes; GBK has no four-byte
    // sequences (Node's decoder reads them as bad bytes), so there the record is rejected.
    for (const [encoding, code, name] of [
      ["gb18030", "ok", "x\uFFFD"],
      ["gbk", "FEED_ENCODING_INVALID", undefined],
    ] as const) {
      const file = join(dir, `${encoding}.csv`);
      await writeFile(
        file,
        Buffer.concat([
          Buffer.from("sku,name\nA1,x"),
          Buffer.from([0x84, 0x31, 0xa4, 0x37]),
          Buffer.from("\n"),
        ]),
      );
      const { records } = await readFeed(file, { encoding });
      expect(
        records.map((r) => r.problem?.code ?? "ok"),
        encoding,
      ).toEqual([code]);
      if (name !== undefined) expect(records[0]!.fields.name).toBe(name);
    }
  });

  it("UTF-16: a U+FFFD the feed holds is a character, a lone surrogate bad bytes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-utf16-"));
    for (const le of [true, false]) {
      const unit = (c: number) => (le ? Buffer.from([c & 0xff, c >> 8]) : Buffer.from([c >> 8, c & 0xff]));
      const text = (t: string) => Buffer.concat([...t].map((ch) => unit(ch.charCodeAt(0))));
      const held = join(dir, `held-${le ? "le" : "be"}.csv`);
      await writeFile(held, Buffer.concat([unit(0xfeff), text("sku,name\nA1,ok\uFFFDok\nA2,fine\n")]));
      const ok = await readFeed(held);
      expect(
        ok.records.map((r) => r.problem?.code ?? "ok"),
        le ? "le" : "be",
      ).toEqual(["ok", "ok"]);
      expect(ok.records[0]!.fields.name).toBe("ok\uFFFDok");
      const bad = join(dir, `bad-${le ? "le" : "be"}.csv`);
      // A lone high surrogate: bytes no text spells.
      await writeFile(
        bad,
        Buffer.concat([unit(0xfeff), text("sku,name\nA1,"), unit(0xd800), text("x\nA2,fine\n")]),
      );
      const got = await readFeed(bad);
      expect(got.records.map((r) => r.problem?.code ?? "ok")).toEqual(["FEED_ENCODING_INVALID", "ok"]);
    }
    // Counting FD FF across chunk cuts, at odd and even offsets.
    const { utf16ReplacementsIn } = await import("../src/io/decode.js");
    const bytes = Buffer.from([0x41, 0x00, 0xfd, 0xff, 0x42, 0x00, 0xfd, 0xff]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const a = bytes.subarray(0, cut);
      const b = bytes.subarray(cut);
      const n =
        utf16ReplacementsIn(-1, false, a, true) +
        utf16ReplacementsIn(a.length > 0 ? a[a.length - 1]! : -1, cut % 2 === 1, b, true);
      expect(n, `cut ${cut}`).toBe(2);
    }
  });

  it("reports blank rows and columns through feed.stats", async () => {
    const { feed } = await readFeed(path("csv", "blank-rows", "feed.csv"));
    expect(feed.stats).toEqual({ records: 3, problems: 0, blankRows: 5, columns: ["id", "name"] });
    const header = await readFeed(path("csv", "header-only", "feed.csv"));
    expect(header.feed.stats?.columns).toEqual(["id", "name", "price"]);
  });

  it("refuses an empty file with FEED_EMPTY", async () => {
    const err = await openError(path("csv", "empty", "feed.csv"));
    expect(err.code).toBe("FEED_EMPTY");
    expect(err.message).toContain("feed.csv");
  });

  it("keeps the records before an unclosed quote, then fails with FEED_CSV_MALFORMED", async () => {
    const { records, error } = await readFeed(path("csv", "unclosed-quote", "feed.csv"));
    expect(records.map((r) => r.fields.id)).toEqual(["1", "2"]);
    expect(error?.code).toBe("FEED_CSV_MALFORMED");
    expect(error?.context.line).toBe(4);
  });

  it("keeps the records before a truncated gzip, then fails with FEED_GZIP_TRUNCATED", async () => {
    const { feed, records, error } = await readFeed(path("csv", "truncated-gzip", "feed.csv.gz"));
    expect(feed.compression).toBe("gzip");
    expect(error?.code).toBe("FEED_GZIP_TRUNCATED");
    expect(records.length).toBeGreaterThan(1000);
    expect(records.length).toBeLessThan(20_000);
    // Every record read is whole and in order: id = index, line = index + 1.
    for (const r of records) {
      expect(r.fields).toEqual({ id: String(r.index), name: `Product ${r.index}`, price: `${r.index}.00` });
      expect(r.line).toBe(r.index + 1);
    }
  });

  it("reads JSON (sniffed top-level array, given path) and NDJSON fixtures", async () => {
    const top = await readFeed(path("json", "top-level-array", "feed.json"));
    expect(top.feed).toMatchObject({ format: "json", jsonPath: "" });
    expect(top.records.map((r) => r.fields.id)).toEqual(["1", "2", "3"]);
    const nested = await readFeed(path("json", "nested-path", "feed.json"), { jsonPath: "data.products" });
    expect(nested.records.map((r) => r.fields.sku)).toEqual(["A-1", "B-2", "C-3"]);
    const nonObject = await readFeed(path("json", "non-object", "feed.json"));
    expect(nonObject.records.filter((r) => r.problem?.code === "JSON_NOT_OBJECT")).toHaveLength(5);
    expect(nonObject.records).toHaveLength(7);
    const malformed = await readFeed(path("json", "malformed", "feed.json"));
    expect(malformed.records).toHaveLength(2);
    expect(malformed.error?.code).toBe("FEED_JSON_MALFORMED");
    const missing = await readFeed(path("json", "nested-path", "feed.json"), { jsonPath: "data.nothing" });
    expect(missing.error?.code).toBe("FEED_JSON_PATH_NOT_FOUND");
    const dir0 = await mkdtemp(join(tmpdir(), "fp-oneline-"));
    // Excel's `sep=;` first line names the delimiter and is not the header; lines stay the file's.
    const excel = join(dir0, "excel.csv");
    await writeFile(excel, "\uFEFFsep=;\r\nsku;name\r\nA;x,1\r\nB;y\r\n");
    const sep = await readFeed(excel);
    expect(sep.feed.delimiter).toBe(";");
    expect(sep.records.map((r) => [r.line, r.fields.sku, r.fields.name])).toEqual([
      [3, "A", "x,1"],
      [4, "B", "y"],
    ]);
    const tabs = join(dir0, "tabs.csv");
    await writeFile(tabs, "sep=\\t\nsku\tname\nA\tx\n");
    expect((await readFeed(tabs)).records.map((r) => r.fields.name)).toEqual(["x"]);
    // A one-line document is a JSON document when --json-path names a path in it (not one NDJSON
    // record read whole), and a keyed catalog is refused, never read as one record.
    const dir = dir0;
    const oneLine = join(dir, "one.json");
    await writeFile(oneLine, '{"sku":"X","items":[{"sku":"A"},{"sku":"B"}]}');
    const named = await readFeed(oneLine, { jsonPath: "items" });
    expect(named.feed.format).toBe("json");
    expect(named.records.map((r) => r.fields.sku)).toEqual(["A", "B"]);
    const keyed = join(dir, "keyed.json");
    await writeFile(keyed, '{"products":{"a":{"sku":"O1"},"b":{"sku":"O2"}}}');
    const refused = await readFeed(keyed);
    expect(refused.records).toHaveLength(0);
    expect(refused.error?.code).toBe("FEED_JSON_PATH_NOT_FOUND");

    const nd: [string, number, number, number][] = [
      ["good", 3, 0, 0],
      ["bad-line", 6, 3, 0],
      ["blank-lines", 3, 0, 5],
      ["crlf", 3, 0, 1],
    ];
    for (const [name, total, problems, blank] of nd) {
      const { feed, records, error } = await readFeed(path("ndjson", name, "feed.ndjson"));
      expect(error).toBeUndefined();
      expect(feed.format).toBe("ndjson");
      expect(records).toHaveLength(total);
      expect(records.filter((r) => r.problem)).toHaveLength(problems);
      expect(feed.stats?.blankRows).toBe(blank);
    }
  });

  it("names a missing file with IO_NOT_FOUND", async () => {
    const err = await openError(path("csv", "nope", "feed.csv"));
    expect(err.code).toBe("IO_NOT_FOUND");
  });
});

describe("openFeed over stdin", () => {
  it("reads CSV from the given stdin stream, cut anywhere", async () => {
    const bytes = readFileSync(path("csv", "quoted", "feed.csv"));
    const parts = [bytes.subarray(0, 3), bytes.subarray(3, 50), bytes.subarray(50, 51), bytes.subarray(51)];
    const { feed, records } = await readFeed("-", { stdin: Readable.from(parts) });
    expect(feed).toMatchObject({ name: "stdin", format: "csv", compression: "none" });
    expect(records.map((r) => [r.source, r.line, r.fields.id])).toEqual([
      ["stdin", 2, "1"],
      ["stdin", 3, "2"],
      ["stdin", 6, "3"],
      ["stdin", 7, "4"],
      ["stdin", 9, "5"],
    ]);
  });

  it("reads gzip NDJSON from stdin", async () => {
    const gz = gzipSync(Buffer.from('{"id":"1"}\n{"id":"2"}\n'));
    const { feed, records } = await readFeed("-", {
      stdin: Readable.from([gz.subarray(0, 10), gz.subarray(10)]),
    });
    expect(feed).toMatchObject({ format: "ndjson", compression: "gzip" });
    expect(records.map((r) => r.fields.id)).toEqual(["1", "2"]);
  });

  it("refuses empty stdin with FEED_EMPTY", async () => {
    const err = await openError("-", { stdin: Readable.from([]) });
    expect(err.code).toBe("FEED_EMPTY");
  });
});

describe("openFeed over http", () => {
  let server: Server;
  let base = "";
  const csv = readFileSync(path("csv", "quoted", "feed.csv"));
  const gz = readFileSync(path("csv", "gzip", "feed.csv.gz"));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/feed.csv") {
        res.writeHead(200, { "content-type": "text/csv", "content-length": csv.length });
        // two writes so the body arrives in pieces
        res.write(csv.subarray(0, 40));
        setImmediate(() => res.end(csv.subarray(40)));
      } else if (url.pathname === "/feed.csv.gz") {
        res.writeHead(200, { "content-type": "application/gzip" });
        res.end(gz);
      } else if (url.pathname === "/old-feed.csv") {
        res.writeHead(302, { location: "/feed.csv" });
        res.end();
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("no such feed");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await closeHttpAgents();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("streams a CSV over http with the URL as source and the size from Content-Length", async () => {
    const { feed, records } = await readFeed(`${base}/feed.csv`);
    expect(feed).toMatchObject({ name: `${base}/feed.csv`, size: csv.length, format: "csv" });
    expect(records.map((r) => r.fields.id)).toEqual(["1", "2", "3", "4", "5"]);
    expect(records[1]).toMatchObject({ source: `${base}/feed.csv`, line: 3 });
  });

  it("detects gzip by magic bytes over http", async () => {
    const { feed, records } = await readFeed(`${base}/feed.csv.gz`);
    expect(feed.compression).toBe("gzip");
    expect(records.map((r) => r.fields)).toEqual([
      { id: "1", name: "A", price: "1.00" },
      { id: "2", name: "B", price: "2.00" },
      { id: "3", name: "C", price: "3.00" },
    ]);
  });

  it("follows a redirect", async () => {
    const { records } = await readFeed(`${base}/old-feed.csv`);
    expect(records).toHaveLength(5);
  });

  it("fails on a 404 with HTTP_STATUS naming the URL and status, without secrets from the query", async () => {
    const err = await openError(`${base}/missing.csv?token=s3cr3t-value`);
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.context).toMatchObject({ status: 404 });
    expect(err.message).toContain("404");
    expect(err.message).toContain(`${base}/missing.csv`);
    expect(err.message).not.toContain("s3cr3t-value");
  });

  it("names the feed by its URL without credentials", async () => {
    const { feed, records } = await readFeed(`${base}/feed.csv?api_key=s3cr3t-value`);
    expect(feed.name).not.toContain("s3cr3t-value");
    expect(records[0]!.source).toBe(feed.name);
  });
});

describe("openFeed over http: a transient answer is retried before the feed starts", () => {
  it("retries 503 and 429 (with Retry-After), not 404; the CLI notes each retry", async () => {
    const body =
      "sku,name,url,image,price,currency\n" +
      "A1,One,https://s.example/a1,https://s.example/a1.jpg,1.00,EUR\n" +
      "A2,Two,https://s.example/a2,https://s.example/a2.jpg,2.00,EUR\n";
    const plan: Record<string, number[]> = { "/flaky.csv": [503, 429, 200], "/gone.csv": [404, 200] };
    const seen: Record<string, number> = {};
    const server = createServer((req, res) => {
      const path = req.url ?? "";
      const n = (seen[path] = (seen[path] ?? 0) + 1);
      const status = plan[path]?.[n - 1] ?? 200;
      if (status !== 200) {
        res.writeHead(status, { "retry-after": "0", "content-type": "text/plain" });
        res.end(`status ${status}`);
        return;
      }
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const feed = await openFeed(`${origin}/flaky.csv`, { retry: { baseDelayMs: 1, maxDelayMs: 5 } });
      const records: SourceRecord[] = [];
      for await (const b of feed.records) records.push(...b);
      expect(records.map((r) => r.fields.sku)).toEqual(["A1", "A2"]);
      expect(seen["/flaky.csv"]).toBe(3);
      const err = await openFeed(`${origin}/gone.csv`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FeedpipeError);
      expect(seen["/gone.csv"]).toBe(1);
      // Without retry: the first answer is the outcome.
      seen["/flaky.csv"] = 0;
      expect(await openFeed(`${origin}/flaky.csv`, { retry: false }).catch((e: unknown) => e)).toBeInstanceOf(
        FeedpipeError,
      );
      expect(seen["/flaky.csv"]).toBe(1);
      // The CLI: the run goes through, and says it retried.
      seen["/flaky.csv"] = 0;
      const { runCli } = await import("./helpers/cli.js");
      const r = await runCli(["validate", `${origin}/flaky.csv`, "--json"]);
      expect(seen["/flaky.csv"]).toBe(3);
      expect(r.out, r.err).not.toBe("");
      expect(JSON.parse(r.out)).toMatchObject({ records: 2 });
      expect(r.err).toMatch(/503.*retrying in/);
    } finally {
      await new Promise((r) => server.close(r));
      await closeHttpAgents();
    }
  });
});
