import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { itWithSamples, sample } from "./helpers/environment.js";

const cli = (argv: string[], opts: { stdin?: string; env?: Record<string, string>; tty?: boolean } = {}) =>
  runCli(argv, opts);

const tmp = () => mkdtemp(join(tmpdir(), "fp-validate-"));

describe("feedpipe validate", () => {
  itWithSamples("exit 0 and a summary for a clean feed (preset and format detected)", async () => {
    const r = await cli(["validate", sample("google-merchant-apparel.tsv")]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/format\s+csv \(tab-delimited\)/);
    expect(r.out).toMatch(/preset\s+google-merchant \(detected\)/);
    expect(r.out).toMatch(/records read\s+22/);
    expect(r.out).toMatch(/valid\s+22/);
    expect(r.out).toMatch(/rejected\s+0/);
  });

  it("exit 1 with a table of rules: code, severity, count, first examples with line and SKU", async () => {
    const r = await cli(["validate", "samples/catalog.csv"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/records read\s+31/);
    expect(r.out).toMatch(/valid\s+24/);
    expect(r.out).toMatch(/rejected\s+7/);
    expect(r.out).toMatch(/warnings\s+2/);
    expect(r.out).toMatch(/rule\s+severity\s+count\s+first examples/);
    expect(r.out).toMatch(
      /GTIN_CHECK_DIGIT\s+error\s+1\s+line 5 sku NR-1004: gtin "4023450000045" has a wrong check digit/,
    );
    expect(r.out).toMatch(/DUPLICATE_SKU\s+error\s+1\s+line 20 sku NR-1005/);
    expect(r.out).toMatch(/OLD_PRICE_LOWER\s+warning\s+1\s+line 24 sku NR-1022/);
    expect(r.out).toMatch(/hint: .*--decimal-comma/);
  });

  it("--report json prints exactly one JSON object with the report", async () => {
    const r = await cli(["validate", "samples/catalog.csv", "--report", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({
      source: "samples/catalog.csv",
      preset: "partnerboost",
      records: 31,
      valid: 24,
      invalid: 7,
      warnings: 2,
      ok: false,
    });
    expect(report.valid + report.invalid).toBe(report.records);
    expect(report.rules).toHaveLength(9);
    for (const rule of report.rules) {
      expect(Object.keys(rule).sort()).toEqual(["code", "count", "examples", "severity"]);
      expect(["error", "warning"]).toContain(rule.severity);
      for (const e of rule.examples) {
        expect(typeof e.line).toBe("number");
        expect(typeof e.message).toBe("string");
      }
    }
    expect(report.rules.find((x: { code: string }) => x.code === "REQUIRED_MISSING")).toEqual({
      code: "REQUIRED_MISSING",
      severity: "error",
      count: 1,
      examples: [
        {
          line: 11,
          index: 10,
          sku: "NR-1010",
          field: "image",
          message: "Required field image is missing or empty",
        },
      ],
    });
  });

  it("--json is --report json, as on the other commands", async () => {
    const a = await cli(["validate", "samples/catalog.csv", "--json"]);
    const b = await cli(["validate", "samples/catalog.csv", "--report", "json"]);
    expect(a.code).toBe(1);
    // The same document but for the run's times.
    const timeless = (out: string) => {
      const doc = JSON.parse(out) as { run: Record<string, unknown> };
      for (const k of ["durationMs", "startedAt", "finishedAt"]) delete doc.run[k];
      return doc;
    };
    expect(timeless(a.out)).toEqual(timeless(b.out));
    expect(JSON.parse(a.out)).toMatchObject({ records: 31, invalid: 7 });
  });

  it("--rejects writes every rejected record with its line, issues and original fields", async () => {
    const dir = await tmp();
    const file = join(dir, "rejects.ndjson");
    const r = await cli(["validate", "samples/catalog.csv", "--rejects", file, "--report", "json"]);
    expect(r.code).toBe(1);
    const lines = (await readFile(file, "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(JSON.parse(r.out).invalid);
    expect(JSON.parse(r.out).rejectsFile).toBe(file);
    expect(lines.map((l) => l.line)).toEqual([5, 8, 11, 14, 17, 20, 26]);
    expect(lines[1]).toEqual({
      line: 8,
      index: 7,
      source: "samples/catalog.csv",
      sku: "NR-1007",
      issues: [
        {
          code: "PRICE_INVALID",
          severity: "error",
          field: "price",
          message:
            'price "12,50" is not a valid price: looks like it uses a decimal comma; turn on the decimal-comma option',
          value: "12,50",
        },
      ],
      fields: expect.objectContaining({ sku: "NR-1007", price: "12,50", name: "Cascade Rain Shell" }),
    });
    expect(Object.keys(lines[1].fields)).toHaveLength(13);
    expect(await readdir(dir)).toEqual(["rejects.ndjson"]);
  });

  it("--max-invalid allows a count or a percentage of the records", async () => {
    expect((await cli(["validate", "samples/catalog.csv", "--max-invalid", "7"])).code).toBe(0);
    expect((await cli(["validate", "samples/catalog.csv", "--max-invalid", "6"])).code).toBe(1);
    expect((await cli(["validate", "samples/catalog.csv", "--max-invalid", "25%"])).code).toBe(0);
    const over = await cli(["validate", "samples/catalog.csv", "--max-invalid", "20%"]);
    expect(over.code).toBe(1);
    expect(over.out).toMatch(/over --max-invalid \(7 invalid of 31\)/);
    const bad = await cli(["validate", "samples/catalog.csv", "--max-invalid", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /Invalid option --max-invalid: expected a number of records \(10\) or a percentage \(2\.5%\), got "lots"/,
    );
  });

  it("reads stdin with -", async () => {
    const csv =
      "sku,name,url,image,price,currency\nA,Alpha,https://s.example/a,https://s.example/a.jpg,12,50,EUR\n";
    const bad = await cli(["validate", "-", "--report", "json"], { stdin: csv });
    expect(JSON.parse(bad.out)).toMatchObject({ source: "stdin", records: 1, invalid: 1 });
    const ok =
      "sku;name;url;image;price;currency\nA;Alpha;https://s.example/a;https://s.example/a.jpg;12,50;EUR\n";
    const r = await cli(["validate", "-", "--decimal-comma", "--report", "json"], { stdin: ok });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ records: 1, valid: 1 });
  });

  it("shop exports take --preset, --base-url and --currency; skipped rows are shown", async () => {
    const r = await cli([
      "validate",
      "samples/shopify.csv",
      "--preset",
      "shopify",
      "--base-url",
      "https://shop.example",
      "--currency",
      "EUR",
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/preset\s+shopify\n/);
    expect(r.out).toMatch(/skipped\s+3\s+\(not products/);
    expect(r.out).toMatch(/SHOPIFY_IMAGE_ROW 3 e\.g\. line 6/);
    expect(r.out).not.toMatch(/hint: url is missing/);
  });

  it("--preset with a mapping file that names no preset extends that preset", async () => {
    const dir = await tmp();
    const file = join(dir, "overrides.yaml");
    await writeFile(
      file,
      "fields:\n  url: {template: 'https://shop.example/products/{Handle}'}\n  currency: {const: EUR}\n",
    );
    const r = await cli([
      "validate",
      "samples/shopify.csv",
      "--preset",
      "shopify",
      "--mapping",
      file,
      "--report",
      "json",
    ]);
    expect(JSON.parse(r.out)).toMatchObject({
      preset: `mapping:${file}`,
      read: 12,
      records: 9,
      valid: 6,
      invalid: 3,
      skipped: 3,
    });
  });

  it("--rejects - is refused: stdout carries the report", async () => {
    const r = await cli(["validate", "samples/catalog.csv", "--rejects", "-"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[USAGE\]: validate prints its report on stdout/);
    expect(r.out).toBe("");
  });

  itWithSamples("a mapping file maps nested JSON", async () => {
    const r = await cli([
      "validate",
      sample("google-shopping-api-products.json"),
      "--mapping",
      "test/fixtures/mapping/google-shopping-api.yaml",
      "--report",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      preset: "mapping:test/fixtures/mapping/google-shopping-api.yaml",
      records: 25,
      valid: 25,
    });
  });

  it("exit 2 on fatal errors, with a coded message and no stack trace", async () => {
    const missing = await cli(["validate", "nope/missing.csv"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^feedpipe: error \[IO_NOT_FOUND\]/);
    expect(missing.out).toBe("");

    // the mapping file is checked before the input is opened
    const mapping = await cli([
      "validate",
      "nope/missing.csv",
      "--mapping",
      "test/fixtures/mapping/bad-fields.json",
    ]);
    expect(mapping.code).toBe(2);
    expect(mapping.err).toMatch(
      /\[MAPPING_INVALID\]: Mapping file test\/fixtures\/mapping\/bad-fields\.json is invalid/,
    );
    expect(mapping.err).toMatch(/fields\.sku2: unknown target field/);

    const preset = await cli(["validate", "samples/catalog.csv", "--preset", "etsy"]);
    expect(preset.code).toBe(2);
    expect(preset.err).toMatch(/\[PRESET_UNKNOWN\]/);

    const layout = await cli(["validate", "test/fixtures/infer/not-products.csv", "--report", "json"]);
    expect(layout.code).toBe(2);
    expect(layout.out).toBe("");
    expect(layout.err).toMatch(/\[LAYOUT_UNKNOWN\].*columns seen: "date", "visits", "bounce_rate"/);
    expect(layout.err).toMatch(/--mapping FILE/);

    const usage = await cli(["validate", "samples/catalog.csv", "--report", "xml"]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--report/);

    const currency = await cli(["validate", "samples/catalog.csv", "--currency", "EURO"]);
    expect(currency.code).toBe(2);
    expect(currency.err).toMatch(/\[INVALID_OPTION\]: Invalid option currency/);
    for (const r of [missing, mapping, preset, layout, currency]) expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("no progress output when stderr is not a terminal, in CI, or with --quiet", async () => {
    expect((await cli(["validate", "samples/catalog.csv"], { tty: true, env: { CI: "true" } })).err).toBe("");
    expect((await cli(["validate", "samples/catalog.csv", "--quiet"], { tty: true })).err).toBe("");
    expect((await cli(["validate", "samples/catalog.csv"])).err).toBe("");
  });

  it("--help shows examples", async () => {
    const r = await cli(["validate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Examples:\n\s+\$ feedpipe validate catalog\.csv/);
    expect(r.out).toMatch(/--max-invalid <n\|n%>/);
    expect(r.out).toMatch(/Exit codes: 0/);
    expect(r.out).toMatch(/transforms: trim, lower, upper, strip_html/);
  });
});

describe("feedpipe schema", () => {
  it("prints the fields and rules, or the JSON Schema with --json", async () => {
    const text = await cli(["schema"]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/sku\s+string\s+required/);
    expect(text.out).toMatch(/old_price\s+number\s+optional/);
    expect(text.out).toMatch(/GTIN_CHECK_DIGIT\s+error/);
    const json = await cli(["schema", "--json"]);
    expect(json.code).toBe(0);
    const schema = JSON.parse(json.out);
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(
      expect.arrayContaining(["sku", "name", "url", "image", "price", "currency"]),
    );
    expect(Object.keys(schema.properties)).toContain("availability");
    expect((await cli(["schema", "--help"])).out).toMatch(/Examples:/);
  });
});

describe("feedpipe validate: what a user needs to fix a run", () => {
  const feed =
    "sku,name,url,image,price,currency\nP1,Mug,https://s.example/p,https://s.example/i.jpg,15.00 USD,\n";

  it("a price with its currency code is read with --price-with-currency, and the error says that flag", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-validate-"));
    await writeFile(join(dir, "f.csv"), feed);
    const off = await cli(["validate", join(dir, "f.csv")]);
    expect(off.code).toBe(1);
    expect(off.out).toContain("carries a currency code; turn on price-with-currency (--price-with-currency");
    const on = await cli(["validate", join(dir, "f.csv"), "--price-with-currency", "--report", "json"]);
    expect(on.code).toBe(0);
    expect(JSON.parse(on.out)).toMatchObject({ valid: 1, invalid: 0 });
  });

  it("a mapping naming columns the CSV does not have says which, and which columns there are", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-validate-"));
    await writeFile(join(dir, "f.csv"), feed);
    await writeFile(join(dir, "m.yml"), "fields:\n  sku: id\n  name: [title, Name]\n  price: preis\n");
    const r = await cli(["validate", join(dir, "f.csv"), "--mapping", join(dir, "m.yml")]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /names columns the feed does not have: sku ← "id", price ← "preis" \(its columns: "sku", "name"/,
    );
    await writeFile(join(dir, "ok.yml"), "fields:\n  sku: SKU\n  name: name\n  price: price\n");
    const ok = await cli(["validate", join(dir, "f.csv"), "--mapping", join(dir, "ok.yml")]);
    expect(ok.out).not.toContain("does not have");
  });

  it("a header naming two columns alike gets a hint: which one is read, what the other is called", async () => {
    const dir = await tmp();
    await writeFile(
      join(dir, "d.csv"),
      "sku,name,name,url,image,price,currency\nA1,First,Second,https://x.example/a,https://x.example/a.jpg,10.00,EUR\n",
    );
    const r = await cli(["validate", join(dir, "d.csv")]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'hint: the header names columns 2 and 3 "name": column 2 is the one read as "name" (column 3 as "col_3")',
    );
    const out = await cli(["convert", join(dir, "d.csv"), "-o", "-", "--to", "ndjson"]);
    expect(JSON.parse(out.out)).toMatchObject({ name: "First" }); // the value used is unchanged
    expect(out.err).toContain('column 2 is the one read as "name"');
    const json = await cli(["validate", join(dir, "d.csv"), "--json"]);
    expect(JSON.parse(json.out).hints).toEqual([
      'the header names columns 2 and 3 "name": column 2 is the one read as "name" (column 3 as "col_3")',
    ]);
  });

  it("a YAML mapping error ends in its place, not a dangling colon", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-validate-"));
    await writeFile(join(dir, "f.csv"), feed);
    await writeFile(join(dir, "bad.yml"), "fields:\n  sku: [id\n  name: title\n");
    const r = await cli(["validate", join(dir, "f.csv"), "--mapping", join(dir, "bad.yml")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yml is not valid YAML: .* at line \d+, column \d+\n$/);
  });
});
