import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCT_FIELDS } from "../schemas/product.js";
import { runCli } from "./helpers/cli.js";
import { openFeed } from "../src/formats/index.js";
import { itWithSamples, sample } from "./helpers/environment.js";

const cli = (argv: string[], stdin = "") => runCli(argv, { stdin });

const tmp = () => mkdtemp(join(tmpdir(), "fp-convert-"));

/** Minimal CSV line parser for the test's own checks (quoted cells, doubled quotes). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ",") {
      cells.push(cur);
      cur = "";
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}

describe("feedpipe convert", () => {
  it("writes the valid normalised products as CSV with the product columns; exit 1 when rows were rejected", async () => {
    const dir = await tmp();
    const out = join(dir, "products.csv");
    const r = await cli(["convert", "samples/catalog.csv", "-o", out]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/output\s+24 products written to .*products\.csv \(csv\)/);
    expect(r.err).toMatch(/rejected\s+7/);
    const lines = (await readFile(out, "utf8")).trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe(PRODUCT_FIELDS.join(","));
    expect(lines).toHaveLength(25);
    const first = csvCells(lines[1]!);
    expect(first.slice(0, 6)).toEqual([
      "NR-1001",
      "Glacier Pro Ski Jacket",
      "https://shop.northridge.example/products/glacier-pro-ski-jacket",
      "https://cdn.northridge.example/img/nr-1001.jpg",
      "349",
      "EUR",
    ]);
    expect(first[12]).toBe("in_stock");
    expect(await readdir(dir)).toEqual(["products.csv"]);
  });

  it("escapes spreadsheet formulas in CSV unless --raw-cells", async () => {
    const dir = await tmp();
    await cli(["convert", "samples/catalog.csv", "-o", join(dir, "safe.csv")]);
    await cli(["convert", "samples/catalog.csv", "-o", join(dir, "raw.csv"), "--raw-cells"]);
    const safe = (await readFile(join(dir, "safe.csv"), "utf8"))
      .split("\n")
      .find((l) => l.startsWith("NR-1027"))!;
    const raw = (await readFile(join(dir, "raw.csv"), "utf8"))
      .split("\n")
      .find((l) => l.startsWith("NR-1027"))!;
    expect(csvCells(safe)[6]).toBe(`'=HYPERLINK("http://evil.example","Click")`);
    expect(csvCells(raw)[6]).toBe(`=HYPERLINK("http://evil.example","Click")`);
  });

  itWithSamples("chooses the format by extension or --to: TSV, NDJSON, JSON, Google RSS XML", async () => {
    const dir = await tmp();
    const src = sample("google-merchant-apparel.tsv");
    for (const ext of ["tsv", "ndjson", "json", "xml"]) {
      const r = await cli(["convert", src, "-o", join(dir, `out.${ext}`)]);
      expect(r.code, ext).toBe(0);
    }
    const tsv = (await readFile(join(dir, "out.tsv"), "utf8")).trimEnd().split("\n");
    expect(tsv[0]).toBe(PRODUCT_FIELDS.join("\t"));
    expect(tsv).toHaveLength(23);
    const nd = (await readFile(join(dir, "out.ndjson"), "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(nd).toHaveLength(22);
    expect(nd[0]).toMatchObject({
      sku: "glacier-pro-mens-black-m",
      price: 349,
      currency: "EUR",
      availability: "in_stock",
    });
    const json = JSON.parse(await readFile(join(dir, "out.json"), "utf8"));
    expect(json).toHaveLength(22);
    const xml = await readFile(join(dir, "out.xml"), "utf8");
    expect(xml.match(/<item>/g)).toHaveLength(22);
    expect(xml).toMatch(/xmlns:g="http:\/\/base\.google\.com\/ns\/1\.0"/);

    const forced = await cli(["convert", src, "-o", join(dir, "data.out"), "--to", "ndjson"]);
    expect(forced.code).toBe(0);
    expect((await readFile(join(dir, "data.out"), "utf8")).trimEnd().split("\n")).toHaveLength(22);
  });

  it("round trip: the written RSS and CSV read back as the same products", async () => {
    const dir = await tmp();
    await cli(["convert", "samples/catalog.csv", "-o", join(dir, "a.ndjson")]);
    await cli(["convert", "samples/catalog.csv", "-o", join(dir, "b.xml")]);
    await cli(["convert", "samples/catalog.csv", "-o", join(dir, "c.csv"), "--raw-cells"]); // formula cells kept as written
    const r1 = await cli(["convert", join(dir, "b.xml"), "-o", join(dir, "b.ndjson")]);
    const r2 = await cli(["convert", join(dir, "c.csv"), "-o", join(dir, "c.ndjson")]);
    expect([r1.code, r2.code]).toEqual([0, 0]);
    expect(r1.err).toMatch(/preset\s+google-merchant \(detected\)/);
    const load = async (f: string) =>
      (await readFile(join(dir, f), "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
    const a = await load("a.ndjson");
    expect(a).toHaveLength(24);
    expect(await load("c.ndjson")).toEqual(a);
    // RSS has no place for an old price below the price (it is not a sale): that one is dropped.
    const noLowOld = a.map(({ old_price, ...p }) =>
      old_price !== undefined && old_price > p.price ? { ...p, old_price } : p,
    );
    expect(await load("b.ndjson")).toEqual(noLowOld);
  });

  itWithSamples("-o - writes to stdout (summary on stderr); --quiet keeps stderr clean", async () => {
    const r = await cli([
      "convert",
      sample("google-merchant-apparel.tsv"),
      "-o",
      "-",
      "--to",
      "ndjson",
      "--quiet",
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out.trimEnd().split("\n")).toHaveLength(22);
  });

  it("--rejects writes the rejected records beside the output", async () => {
    const dir = await tmp();
    const r = await cli([
      "convert",
      "samples/catalog.csv",
      "-o",
      join(dir, "p.ndjson"),
      "--rejects",
      join(dir, "rejects.ndjson"),
    ]);
    expect(r.code).toBe(1);
    const rejects = (await readFile(join(dir, "rejects.ndjson"), "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const products = (await readFile(join(dir, "p.ndjson"), "utf8")).trimEnd().split("\n");
    expect(rejects).toHaveLength(7);
    expect(products.length + rejects.length).toBe(31);
    expect(rejects.map((x) => x.sku)).toEqual([
      "NR-1004",
      "NR-1007",
      "NR-1010",
      "NR-1013",
      "NR-1016",
      "NR-1005",
      "NR-1024",
    ]);
    expect(r.err).toMatch(/rejects\s+7 written to/);
  });

  it("usage errors: unknown output extension, same file for output and rejects (exit 2, nothing written)", async () => {
    const dir = await tmp();
    const ext = await cli(["convert", "samples/catalog.csv", "-o", join(dir, "out.txt")]);
    expect(ext.code).toBe(2);
    expect(ext.err).toMatch(/\[USAGE\]: cannot tell the output format from ".*out\.txt"/);
    const stdout = await cli(["convert", "samples/catalog.csv", "-o", "-"]);
    expect(stdout.code).toBe(2);
    expect(stdout.err).toMatch(/needs --to/);
    const same = await cli([
      "convert",
      "samples/catalog.csv",
      "-o",
      join(dir, "a.csv"),
      "--rejects",
      join(dir, "a.csv"),
    ]);
    expect(same.code).toBe(2);
    const noOut = await cli(["convert", "samples/catalog.csv"]);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/--output/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("a fatal error mid-run leaves no output that looks complete (and keeps an older file intact)", async () => {
    const dir = await tmp();
    const src = join(dir, "big.csv");
    const header = "sku,name,url,image,price,currency,description\n";
    let body = "";
    for (let i = 0; i < 12000; i++) {
      body += `S${i},Product ${i},https://s.example/p/${i},https://s.example/i/${i}.jpg,${(i % 90) + 10}.00,EUR,${"lorem ipsum ".repeat(10)}\n`;
    }
    // A quote that is never closed: the reader stops with FEED_CSV_MALFORMED after the earlier rows.
    await writeFile(
      src,
      `${header}${body}S-last,"Broken,https://s.example/p/x,https://s.example/i/x.jpg,1.00,EUR,x\n`,
    );
    // the reader does yield batches before it fails, so the output really was being written
    let before = 0;
    const feed = await openFeed(src);
    await expect(
      (async () => {
        for await (const b of feed.records) before += b.length;
      })(),
    ).rejects.toMatchObject({ code: "FEED_CSV_MALFORMED" });
    expect(before).toBeGreaterThan(1000);
    const out = join(dir, "out.csv");
    await writeFile(out, "previous complete export\n");
    const r = await cli(["convert", src, "-o", out, "--rejects", join(dir, "rejects.ndjson")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[FEED_CSV_MALFORMED\]/);
    expect(await readFile(out, "utf8")).toBe("previous complete export\n");
    expect((await readdir(dir)).sort()).toEqual(["big.csv", "out.csv"]);
  });

  it("--help shows examples", async () => {
    const r = await cli(["convert", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:\n\s+\$ feedpipe convert catalog\.csv -o products\.csv/);
    expect(r.out).toMatch(/--raw-cells/);
  });
});

describe("convert interrupted (Ctrl-C / SIGTERM)", () => {
  it("stops with ABORTED and leaves no output, rejects or temporary file", async () => {
    const dir = await tmp();
    const src = join(dir, "catalog.csv");
    const rows = ["sku,name,url,image,price,currency"];
    for (let i = 0; i < 2000; i++) {
      rows.push(`S${i},Item ${i},https://shop.example/p/${i},https://shop.example/i/${i}.jpg,${i}.5,EUR`);
    }
    await writeFile(src, `${rows.join("\n")}\n`);
    const r = await runCli(
      ["convert", src, "-o", join(dir, "out.csv"), "--rejects", join(dir, "rejects.ndjson")],
      { signal: AbortSignal.abort(new Error("interrupted by SIGINT")) },
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[ABORTED\]: convert of .*catalog\.csv was interrupted before the end/);
    expect(await readdir(dir)).toEqual(["catalog.csv"]);
  });
});

describe("feedpipe convert -o - to a terminal", () => {
  const ESC = "\u001b";
  const feed =
    "id,title,link,image_link,price,description\n" +
    `E${ESC}[2J1,Mug ${ESC}[2J clear,https://s.example/p,https://s.example/i.jpg,9.99 EUR,"desc ${ESC}]52;c;aGk=\u0007 end"\n`;

  it("shows control characters of the feed as visible escapes on a terminal, and passes them to a pipe as they are", async () => {
    const dir = await tmp();
    const file = join(dir, "esc.csv");
    await writeFile(file, feed);
    for (const to of ["csv", "tsv"]) {
      const shown = await runCli(["convert", file, "-o", "-", "--to", to], { stdoutTty: true });
      expect(shown.code, shown.err).toBe(0);
      expect(shown.out).toContain("E\\x1b[2J1");
      expect(shown.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      const piped = await runCli(["convert", file, "-o", "-", "--to", to]);
      expect(piped.code, piped.err).toBe(0);
      expect(piped.out).toContain(`E${ESC}[2J1`);
      // Text fields drop control characters: the name and description carry none to begin with.
      for (const out of [shown.out, piped.out]) {
        expect(out).toContain("Mug [2J clear");
        expect(out).toContain("desc ]52;c;aGk= end");
      }
    }
  });
});

describe("feedpipe convert with a rejects file that cannot be written", () => {
  it.skipIf(!existsSync("/dev/full"))(
    "leaves no output file behind, as the message says (the output stayed while it said nothing was written)",
    async () => {
      const dir = await tmp();
      const out = join(dir, "products.csv");
      const r = await cli(["convert", "samples/catalog.csv", "-o", out, "--rejects", "/dev/full"]);
      expect(r.code).toBe(2);
      expect(r.err).toContain("[IO_WRITE]");
      expect(r.err).toContain(`nothing was written to ${out}`);
      expect(await readdir(dir)).toEqual([]);
    },
  );
});
