/**
 * The public API, entry point by entry point (package.json `exports`): every exported name and its
 * kind (function, class, object, ..., or type for type-only exports). The expected surface is
 * test/fixtures/api-surface.json: a change to the API shows here and is made on purpose (update the
 * file in the same commit). Entry files use explicit named exports only (no `export *`).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const ENTRIES: Record<string, string> = {
  feedpipe: "src/index.ts",
  "feedpipe/sandbox": "src/entries/sandbox.ts",
  "feedpipe/partnerboost": "src/entries/partnerboost.ts",
  "feedpipe/partnerize": "src/entries/partnerize.ts",
};
const expected = JSON.parse(readFileSync(join(ROOT, "test/fixtures/api-surface.json"), "utf8")) as Record<
  string,
  Record<string, string>
>;
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, unknown>;
  sideEffects?: boolean;
};

function kindOf(v: unknown): string {
  if (typeof v === "function")
    return /^class\b/.test(Function.prototype.toString.call(v)) ? "class" : "function";
  if (Array.isArray(v)) return "array";
  return v === null ? "null" : typeof v;
}

/** Type-only names of an entry file, and whether it re-exports everything of a module. */
function declared(file: string): { types: string[]; star: boolean } {
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), "utf8"), ts.ScriptTarget.Latest);
  const types: string[] = [];
  let star = false;
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st)) continue;
    if (!st.exportClause) star = true;
    else if (ts.isNamedExports(st.exportClause))
      for (const el of st.exportClause.elements) if (st.isTypeOnly || el.isTypeOnly) types.push(el.name.text);
  }
  return { types, star };
}

async function surface(file: string): Promise<Record<string, string>> {
  const mod = (await import(join(ROOT, file))) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const name of declared(file).types) out[name] = "type";
  for (const [name, value] of Object.entries(mod)) out[name] = kindOf(value);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

describe("public API", () => {
  it("package.json exports exactly these entry points, with no side effects on import", () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");
    expect(subpaths.map((k) => (k === "." ? "feedpipe" : `feedpipe/${k.slice(2)}`)).sort()).toEqual(
      Object.keys(ENTRIES).sort(),
    );
    expect(pkg.sideEffects).toBe(false);
  });

  it.each(Object.entries(ENTRIES))("%s: explicit named exports only", (_name, file) => {
    expect(declared(file).star).toBe(false);
  });

  it.each(Object.entries(ENTRIES))(
    "%s: the exported names and kinds are the expected ones",
    async (name, file) => {
      expect(await surface(file)).toEqual(expected[name]);
    },
  );

  it("internals stay inside", async () => {
    const all = Object.values(expected).flatMap((names) => Object.keys(names));
    for (const internal of [
      "readErrorBody",
      "perFeedFileName",
      "authHash",
      "pagesInOrder",
      "redactSecrets",
      "parseEnvelope",
    ])
      expect(all).not.toContain(internal);
  });
});
