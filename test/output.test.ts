import { EventEmitter } from "node:events";
import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { createWriter } from "../src/formats/writers/index.js";
import { openOutput, writeRows } from "../src/io/output.js";
import { codeOf } from "./helpers/errors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "feedpipe-output-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file output", () => {
  it("writeLines writes exactly the concatenation, across buffer flushes and oversized lines", async () => {
    const lines = [
      "sku,name\n",
      "A1,☕ café\n",
      "",
      `B2,${"x".repeat(5000)}\n`, // larger than the whole buffer
      "C3,\u{1F600} emoji\n",
      ...Array.from({ length: 300 }, (_, i) => `R${i},ünïcödé ${i}\n`),
    ];
    for (const bufferBytes of [16, 64, 1000, 1 << 20]) {
      const target = join(dir, `lines-${bufferBytes}.csv`);
      const out = await openOutput(target, { bufferBytes });
      await out.write("# head\n");
      await out.writeLines(lines);
      await out.writeLines([]);
      await out.write("# tail\n");
      await out.commit();
      const expected = `# head\n${lines.join("")}# tail\n`;
      expect(await readFile(target, "utf8")).toBe(expected);
      expect(out.bytes).toBe(Buffer.byteLength(expected));
    }
  });

  it.each(["csv", "tsv", "ndjson", "json", "xml"] as const)(
    "%s writer: lines(rows) is exactly batch(rows), batch after batch",
    (format) => {
      const rows = [{ sku: "A", price: 1.5 }, { sku: 'B,"x"' }, { sku: "=C", price: -2 }];
      const a = createWriter(format, { columns: ["sku", "price"] });
      const b = createWriter(format, { columns: ["sku", "price"] });
      expect(a.lines).toBeDefined();
      const viaLines = [a.header(), ...a.lines!(rows), ...a.lines!(rows.slice(1)), a.footer()].join("");
      const viaBatch = b.header() + b.batch(rows) + b.batch(rows.slice(1)) + b.footer();
      expect(viaLines).toBe(viaBatch);
      if (format === "json") expect(JSON.parse(viaLines)).toHaveLength(5);
    },
  );

  it("writeRows uses the writer's per-row lines and gives the same file as batch()", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      sku: `S${i}`,
      name: `=cmd ${i}, "q"`,
      price: i + 0.5,
    }));
    const writer = createWriter("csv", { columns: ["sku", "name", "price"] });
    expect(writer.lines?.(rows).join("")).toBe(writer.batch(rows));
    const target = join(dir, "rows.csv");
    const out = await openOutput(target, { bufferBytes: 100 });
    await writeRows(out, writer, [rows.slice(0, 20), [], rows.slice(20)]);
    await out.commit();
    expect(await readFile(target, "utf8")).toBe(writer.header() + writer.batch(rows));
  });

  it("writes to a dot-tmp file and renames it into place on commit", async () => {
    const target = join(dir, "out.csv");
    const out = await openOutput(target);
    await out.write("a,b\n");
    await out.write("1,☕\n");
    const during = await readdir(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.out\.csv\.\d+\.[0-9a-f]+\.tmp$/);
    await expect(stat(target)).rejects.toThrow();
    await out.commit();
    expect(await readFile(target, "utf8")).toBe("a,b\n1,☕\n");
    expect(out.bytes).toBe(Buffer.byteLength("a,b\n1,☕\n"));
    expect(await readdir(dir)).toEqual(["out.csv"]);
  });

  it("replaces an existing target atomically and keeps its mode", async () => {
    const target = join(dir, "out.csv");
    await writeFile(target, "old complete file\n");
    await chmod(target, 0o640);
    const out = await openOutput(target);
    await out.write("new\n");
    expect(await readFile(target, "utf8")).toBe("old complete file\n");
    await out.commit();
    expect(await readFile(target, "utf8")).toBe("new\n");
    expect((await stat(target)).mode & 0o777).toBe(0o640);
  });

  it("abort removes the temp file and leaves no target (a failure mid-write)", async () => {
    const target = join(dir, "out.json");
    const out = await openOutput(target, { bufferBytes: 8 });
    await out.write("[\n");
    await out.write('{"sku":"A1"},\n'); // flushed to disk: over the buffer size
    await out.abort();
    await out.abort(); // idempotent
    expect(await readdir(dir)).toEqual([]);
    expect(await codeOf(out.write("x"))).toBe("STATE_ERROR");
    expect(await codeOf(out.commit())).toBe("STATE_ERROR");
  });

  it("abort keeps the previous target untouched", async () => {
    const target = join(dir, "out.csv");
    await writeFile(target, "previous\n");
    const out = await openOutput(target);
    await out.write("partial");
    await out.abort();
    expect(await readFile(target, "utf8")).toBe("previous\n");
    expect(await readdir(dir)).toEqual(["out.csv"]);
  });

  it("fails with IO_WRITE naming the path when the directory is missing", async () => {
    const target = join(dir, "nope", "out.csv");
    const err = await openOutput(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("IO_WRITE");
    expect((err as FeedpipeError).message).toContain(target);
    expect((err as FeedpipeError).message).toContain("does not exist");
  });

  it("fails with IO_WRITE when the target is a directory", async () => {
    expect(await codeOf(openOutput(dir))).toBe("IO_WRITE");
  });

  it("writes large outputs through the buffer in order", async () => {
    const target = join(dir, "big.ndjson");
    const out = await openOutput(target, { bufferBytes: 1000 });
    let expected = "";
    for (let i = 0; i < 2000; i++) {
      const line = `{"i":${i},"s":"${"é".repeat(i % 7)}"}\n`;
      expected += line;
      await out.write(line);
    }
    await out.commit();
    expect(await readFile(target, "utf8")).toBe(expected);
    expect(out.bytes).toBe(Buffer.byteLength(expected));
  });

  it("stops writing once the signal is aborted", async () => {
    const ac = new AbortController();
    const out = await openOutput(join(dir, "x.csv"), { signal: ac.signal });
    await out.write("a\n");
    ac.abort();
    expect(await codeOf(out.write("b\n"))).toBe("ABORTED");
    await out.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("writeRows writes header, batches and footer", async () => {
    const target = join(dir, "rows.json");
    const out = await openOutput(target);
    async function* batches() {
      yield [{ sku: "A" }];
      yield [{ sku: "B" }, { sku: "C" }];
    }
    const n = await writeRows(out, createWriter("json", { columns: ["sku"] }), batches());
    await out.commit();
    expect(n).toBe(3);
    expect(JSON.parse(await readFile(target, "utf8"))).toEqual([{ sku: "A" }, { sku: "B" }, { sku: "C" }]);
  });

  it("writeRows aborts the output when the input fails", async () => {
    const target = join(dir, "rows.csv");
    const out = await openOutput(target);
    async function* batches() {
      yield [{ sku: "A" }];
      throw new FeedpipeError("FEED_CSV_MALFORMED", "bad input");
    }
    await expect(writeRows(out, createWriter("csv", { columns: ["sku"] }), batches())).rejects.toThrow(
      "bad input",
    );
    expect(await readdir(dir)).toEqual([]);
  });
});

/** A stdout that accepts `capacity` writes, then reports backpressure until drained by the test. */
class SlowStdout extends EventEmitter {
  chunks: string[] = [];
  pending = 0;
  constructor(private readonly capacity: number) {
    super();
  }
  get writableNeedDrain(): boolean {
    return this.pending >= this.capacity;
  }
  write(text: string): boolean {
    this.chunks.push(text);
    this.pending++;
    return this.pending < this.capacity;
  }
  drainNow(): void {
    this.pending = 0;
    this.emit("drain");
  }
}

describe("stdout output", () => {
  it("writes to the given stream and waits for drain under backpressure", async () => {
    const stdout = new SlowStdout(2);
    const out = await openOutput("-", { stdout });
    expect(out.path).toBe("-");
    await out.write("one\n");
    let second = false;
    const p = out.write("two\n").then(() => {
      second = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false); // blocked: the stream asked us to wait
    stdout.drainNow();
    await p;
    expect(second).toBe(true);
    await out.write("three\n");
    await out.commit();
    expect(stdout.chunks.join("")).toBe("one\ntwo\nthree\n");
    expect(out.bytes).toBe(14);
    expect(stdout.listenerCount("error")).toBe(0);
  });

  it("turns a stream error (EPIPE) into IO_WRITE", async () => {
    const stdout = new SlowStdout(1);
    const out = await openOutput("-", { stdout });
    const p = out.write("x\n");
    stdout.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(await codeOf(p)).toBe("IO_WRITE");
    await out.abort();
  });

  it("works with a plain TextOut that only has write()", async () => {
    const chunks: string[] = [];
    const out = await openOutput("-", { stdout: { write: (t: string) => chunks.push(t) } });
    await out.write("a");
    await out.commit();
    expect(chunks).toEqual(["a"]);
  });
});
