/**
 * The reader contract, for every reader (csv, xml, json, ndjson in-process, and the reader thread):
 * a feed is something you close. Stopping early releases the file (counted in /proc/self/fd), a
 * failed open releases what it opened, errors are coded and records carry their origin, and the
 * reader's counters are always there. Over HTTP, a consumer that stops ends the download.
 *
 * The reader thread runs compiled JavaScript, so its cases load the build in dist/.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import * as inProcess from "../src/formats/index.js";
import type { InputFormat } from "../src/formats/types.js";
import { until } from "./helpers/settle.js";

const ROOT = resolve(import.meta.dirname, "..");
const N = 3000;
const dir = mkdtempSync(join(tmpdir(), "feedpipe-contract-"));
let built: typeof inProcess;

const hasProcFd = (() => {
  try {
    readdirSync("/proc/self/fd");
    return true;
  } catch {
    return false;
  }
})();
const openFds = () => readdirSync("/proc/self/fd").length;

/** Wait for the fd count to come back down to `want` (closes are asynchronous), then report it. */
async function settledFds(want: number): Promise<number> {
  await until(() => openFds() <= want);
  return openFds();
}

function body(format: InputFormat): string {
  const rows = Array.from({ length: N }, (_, i) => ({ sku: `S${i + 1}`, title: `Product ${i + 1}` }));
  switch (format) {
    case "csv":
      return "sku,title\n" + rows.map((r) => `${r.sku},${r.title}`).join("\n") + "\n";
    case "ndjson":
      return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
    case "json":
      return JSON.stringify({ items: rows });
    case "xml":
      return (
        '<?xml version="1.0"?><catalog>' +
        rows.map((r) => `<item><sku>${r.sku}</sku><title>${r.title}</title></item>`).join("") +
        "</catalog>"
      );
  }
}

/** A feed whose first record is fine and whose second has a problem the reader reports. */
function withProblem(format: InputFormat): { text: string; code: string } {
  switch (format) {
    case "csv":
      return { text: "sku,title\nA,one\nB,two,extra\n", code: "CSV_RAGGED_ROW" };
    case "ndjson":
      return { text: '{"sku":"A"}\n{"sku": nope}\n', code: "NDJSON_MALFORMED" };
    case "json":
      return { text: '{"items":[{"sku":"A"},{"sku":"B","x":' + '"y'.padEnd(40, "y") + '"}]}', code: "" };
    case "xml":
      return {
        text: "<catalog><item><sku>A</sku></item><item><sku>B</x></item></catalog>",
        code: "XML_MALFORMED",
      };
  }
}

const FORMATS: InputFormat[] = ["csv", "xml", "json", "ndjson"];
const files = new Map<InputFormat, string>();

beforeAll(async () => {
  for (const f of FORMATS) {
    const path = join(dir, `feed.${f}`);
    writeFileSync(path, body(f));
    files.set(f, path);
  }
  const dist = pathToFileURL(join(ROOT, "dist", "src", "formats", "index.js")).href;
  try {
    built = (await import(dist)) as typeof inProcess;
  } catch (err) {
    throw new Error(`dist/ is missing or stale: run \`npm run build\` first (${String(err)})`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readers = [
  ...FORMATS.map((format) => ({ name: format, format, open: () => inProcess.openFeed, worker: false })),
  // The reader thread reads any local file it is given; csv and ndjson are its usual formats.
  ...(["csv", "ndjson"] as const).map((format) => ({
    name: `${format} on the reader thread`,
    format,
    open: () => built.openFeed,
    worker: true,
  })),
];

describe.skipIf(!hasProcFd)("reader contract", () => {
  describe.each(readers)("$name", ({ format, open, worker }) => {
    const opts = { worker, highWaterMark: 4096 } as const;

    it("stopping after the first batch closes the file", async () => {
      const before = openFds();
      const feed = await open()(files.get(format)!, opts);
      expect(openFds()).toBeGreaterThan(before);
      let seen = 0;
      for await (const batch of feed.records) {
        seen += batch.length;
        break;
      }
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(N);
      expect(await settledFds(before)).toBe(before);
    });

    it("close() on a feed never iterated releases it, and may be called twice", async () => {
      const before = openFds();
      const feed = await open()(files.get(format)!, opts);
      await feed.close();
      await feed[Symbol.asyncDispose]();
      expect(await settledFds(before)).toBe(before);
    });

    it("a failed open closes what it opened, with a coded error", async () => {
      const before = openFds();
      const err = await open()(files.get(format)!, { ...opts, format, maxRecordBytes: 0 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(worker ? Error : FeedpipeError);
      expect((err as FeedpipeError).code).toBe("INVALID_OPTION");
      expect(await settledFds(before)).toBe(before);
    });

    it("reads every record with its origin, and the stats count them", async () => {
      const feed = await open()(files.get(format)!, opts);
      expect(feed.stats).toBeDefined();
      let count = 0;
      let last: SourceRecord | undefined;
      for await (const batch of feed.records) {
        for (const r of batch) {
          count++;
          expect(r.index).toBe(count);
          last = r;
        }
      }
      expect(count).toBe(N);
      expect(last!.source).toBe(files.get(format));
      expect(last!.fields.sku).toBe(`S${N}`);
      expect(feed.stats.records).toBe(N);
      expect(feed.stats.problems).toBe(0);
    });

    it("a bad record is a coded problem with its origin, counted in the stats", async () => {
      const { text, code } = withProblem(format);
      const path = join(dir, `problem-${worker ? "w" : "p"}.${format}`);
      // The JSON case: a record over the size cap.
      writeFileSync(path, text);
      const feed = await open()(path, { ...opts, format, maxRecordBytes: format === "json" ? 30 : 1 << 20 });
      const records: SourceRecord[] = [];
      for await (const batch of feed.records) records.push(...batch);
      expect(records).toHaveLength(2);
      expect(records[0]!.problem).toBeUndefined();
      expect(records[1]!.problem?.code).toBe(code === "" ? "RECORD_TOO_LARGE" : code);
      expect(records[1]!.source).toBe(path);
      expect(records[1]!.index).toBe(2);
      expect(feed.stats.records).toBe(2);
      expect(feed.stats.problems).toBe(1);
    });
  });
});

describe("reader contract over HTTP", () => {
  let origin = "";
  const closed: string[] = [];
  const server = createServer((req, res: ServerResponse) => {
    res.on("close", () => closed.push(req.url ?? ""));
    res.writeHead(200, { "content-type": "text/csv" });
    res.write("sku,title\n");
    // An endless feed: it only stops when the client goes away.
    let i = 0;
    const more = () => {
      if (res.destroyed) return;
      const lines: string[] = [];
      for (let k = 0; k < 500; k++) lines.push(`S${++i},Product ${i}`);
      if (res.write(lines.join("\n") + "\n")) setImmediate(more);
      else res.once("drain", more);
    };
    more();
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const closedOnServer = async (url: string) => {
    await until(() => closed.includes(url));
    return closed.includes(url);
  };

  it("a consumer that stops ends the download", async () => {
    const feed = await inProcess.openFeed(`${origin}/endless.csv`);
    let seen = 0;
    for await (const batch of feed.records) {
      seen += batch.length;
      if (seen > 1000) break;
    }
    expect(await closedOnServer("/endless.csv")).toBe(true);
  });

  it("a failed open ends the download", async () => {
    const err = await inProcess
      .openFeed(`${origin}/refused.csv`, { format: "csv", delimiter: "" })
      .catch((e: unknown) => e);
    expect((err as FeedpipeError).code).toBe("INVALID_OPTION");
    expect(await closedOnServer("/refused.csv")).toBe(true);
  });
});
