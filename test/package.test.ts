/**
 * The package is exactly what it says: runtime `dependencies` are what the shipped code imports
 * (src, transforms, schemas: what `dist/` is built from), and every import anywhere is declared.
 * Imports are read with TypeScript's own pre-processor (static, dynamic and type imports).
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const BUILTINS = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(?:ts|mts|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) {
    return undefined;
  }
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  return BUILTINS.has(name) ? undefined : name;
}

/** Package name → the files importing it. */
function importsOf(dirs: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of dirs.flatMap(sourceFiles)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      const name = packageOf(ref.fileName);
      if (name === undefined || name === pkg.name) continue;
      const list = found.get(name) ?? [];
      list.push(file.slice(ROOT.length + 1));
      found.set(name, list);
    }
  }
  return found;
}

describe("package dependencies", () => {
  const runtime = importsOf(["src", "transforms", "schemas"]);
  const declared = Object.keys(pkg.dependencies ?? {});

  it("reads the imports it checks (a sanity check of the scanner)", () => {
    expect(runtime.get("zod")?.length).toBeGreaterThan(0);
    expect(packageOf("@types/node")).toBe("@types/node");
    expect(packageOf("csv-parse/sync")).toBe("csv-parse");
    expect(packageOf("node:fs")).toBeUndefined();
    expect(packageOf("fs")).toBeUndefined();
    expect(packageOf("./x.js")).toBeUndefined();
  });

  it("every runtime dependency is imported by shipped code", () => {
    const unused = declared.filter((d) => !runtime.has(d));
    expect(unused, "dependencies nothing in src/transforms/schemas imports").toEqual([]);
  });

  it("every package shipped code imports is a runtime dependency", () => {
    const undeclared = [...runtime].filter(([name]) => !declared.includes(name));
    expect(undeclared, "imported by shipped code but not in dependencies").toEqual([]);
  });

  it("every package tests and benchmarks import is declared", () => {
    const all = new Set([...declared, ...Object.keys(pkg.devDependencies ?? {})]);
    const used = importsOf(["test", "bench"]);
    const undeclared = [...used].filter(([name]) => !all.has(name));
    expect(undeclared, "imported by tests or bench but not declared").toEqual([]);
  });
});
