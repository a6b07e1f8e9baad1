/**
 * `feedpipe mapping init`: the scaffold is a commented YAML mapping, and `validate --mapping` of it
 * gives the same report as `validate` with the inferred mapping (the round trip).
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCT_FIELDS } from "../schemas/product.js";
import type { RunReport } from "../src/core/report.js";
import { loadMappingFile } from "../transforms/index.js";
import { runCli } from "./helpers/cli.js";

const FIX = "test/fixtures/infer";

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), "feedpipe-init-"));
}

async function validate(args: string[]): Promise<RunReport> {
  const r = await runCli(["validate", ...args, "--report", "json"]);
  expect(r.err).toBe("");
  return JSON.parse(r.out) as RunReport;
}

/** What must be the same between the inferred run and the scaffold's run. */
function outcome(r: RunReport) {
  return { read: r.read, valid: r.valid, invalid: r.invalid, skipped: r.skipped, rules: r.rules };
}

describe("mapping init", () => {
  for (const [file, extra] of [
    ["marketplace-en.csv", []],
    ["shop-de.csv", []],
    ["shop-cs.csv", []],
    ["catalogue.xml", []],
    ["swapped-columns.csv", []],
    ["no-currency.csv", ["--currency", "EUR"]],
  ] as const) {
    it(`round trip on ${file}: scaffold → --mapping → same report as the inference`, async () => {
      const out = join(await tmp(), "mapping.yaml");
      const init = await runCli(["mapping", "init", `${FIX}/${file}`, "-o", out, ...extra]);
      expect(init.code).toBe(0);
      expect(init.err).toMatch(/wrote .*mapping\.yaml \(inferred mapping\)/);
      const inferred = await validate([`${FIX}/${file}`, ...extra]);
      expect(inferred.presetChosen).toBe("inferred");
      const mapped = await validate([`${FIX}/${file}`, "--mapping", out]);
      expect(mapped.presetChosen).toBe("mapping");
      expect(outcome(mapped)).toEqual(outcome(inferred));
      // The file holds exactly the inferred fields.
      const loaded = await loadMappingFile(out);
      const fromFile = Object.entries(loaded.spec.fields).map(([f, s]) => [
        f,
        typeof s === "string" ? s : (s as { from: string }).from,
      ]);
      expect(Object.fromEntries(fromFile)).toEqual(
        Object.fromEntries(inferred.mapping!.fields.map((f) => [f.field, f.source])),
      );
    });
  }

  it("the scaffold lists every product field with confidence, candidates, samples and needed options", async () => {
    const r = await runCli(["mapping", "init", `${FIX}/no-currency.csv`]);
    expect(r.code).toBe(0);
    const text = r.out;
    for (const f of PRODUCT_FIELDS) {
      expect(text).toMatch(new RegExp(`# ${f} \\((required|optional)\\)`));
    }
    expect(text).toMatch(/# sku \(required\): confidence 1\.00/);
    expect(text).toMatch(/# {3}e\.g\. "NC-1", "NC-2"/);
    expect(text).toMatch(/# currency \(required\): NOT MAPPED/);
    expect(text).toMatch(/# currency: "EUR" {2}# needed/);
    const m = await runCli(["mapping", "init", `${FIX}/marketplace-en.csv`]);
    expect(m.out).toMatch(/# price \(required\): confidence 1\.00; other candidates: "compare_price"/);
    expect(m.out).toMatch(/read from the price text of "price" \(USD\)/);
    expect(m.out).toMatch(/ {4}transforms: \["first"\]/);
  });

  it("where a preset matches, the scaffold extends it (and validates the same)", async () => {
    const out = join(await tmp(), "m.yaml");
    const init = await runCli(["mapping", "init", "test/fixtures/presets/awin/feed.csv", "-o", out]);
    expect(init.code).toBe(0);
    expect(await readFile(out, "utf8")).toMatch(/^preset: "awin"$/m);
    const auto = await validate(["test/fixtures/presets/awin/feed.csv"]);
    const mapped = await validate(["test/fixtures/presets/awin/feed.csv", "--mapping", out]);
    expect(outcome(mapped)).toEqual(outcome(auto));
  });

  it("where the preset's layout states no currency or store URL, the scaffold says to set them", async () => {
    const dir = await tmp();
    const out = join(dir, "m.yaml");
    const init = await runCli(["mapping", "init", "samples/shopify.csv", "-o", out]);
    expect(init.code).toBe(0);
    expect(init.err).toContain("set currency and baseUrl in its options before validating");
    const text = await readFile(out, "utf8");
    expect(text).toMatch(/^# This layout does not state currency or baseUrl: set them here/m);
    expect(text).toMatch(/^# {3}currency: EUR$/m);
    // Commented out: the file loads, and nothing is made up for the user.
    const loaded = await loadMappingFile(out);
    expect(loaded.options.currency).toBeUndefined();
    expect(loaded.options.baseUrl).toBeUndefined();
    const given = join(dir, "given.yaml");
    await runCli(["mapping", "init", "samples/shopify.csv", "-o", given, "--currency", "USD"]);
    const withCurrency = await readFile(given, "utf8");
    expect(withCurrency).toMatch(/^ {2}currency: "USD"$/m);
    expect(withCurrency).toMatch(/does not state baseUrl: set it here \(or pass --base-url\)/);
  });

  it("a layout where nothing fits still gives a loadable file, every field marked NOT MAPPED", async () => {
    const out = join(await tmp(), "m.yaml");
    const init = await runCli(["mapping", "init", `${FIX}/not-products.csv`, "-o", out]);
    expect(init.code).toBe(0);
    const text = await readFile(out, "utf8");
    expect(text.match(/NOT MAPPED/g)).toHaveLength(6);
    expect((await loadMappingFile(out)).spec.fields).toEqual({});
  });

  it("does not overwrite a file without --force", async () => {
    const out = join(await tmp(), "m.yaml");
    await writeFile(out, "keep me\n");
    const r = await runCli(["mapping", "init", `${FIX}/shop-fr.csv`, "-o", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[USAGE\].*exists: pass --force/);
    expect(await readFile(out, "utf8")).toBe("keep me\n");
    const forced = await runCli(["mapping", "init", `${FIX}/shop-fr.csv`, "-o", out, "--force"]);
    expect(forced.code).toBe(0);
    expect(await readFile(out, "utf8")).toMatch(/^fields:$/m);
  });
});
