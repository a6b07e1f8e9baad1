/**
 * The layer rule, checked on every import: cli → jobs → networks/transforms/formats/io → core.
 * A layer imports only from layers below it (or its own); nothing points up. `core` holds the
 * ground (record, errors, retry, rate, abort, report, batch, clock, pages) and imports no other layer.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** Layer of a file (by its path from the repository root); higher may import lower. */
function layerOf(path: string): { name: string; rank: number } | undefined {
  const p = path.split("\\").join("/");
  if (p.startsWith("src/core/")) return { name: "core", rank: 0 };
  for (const dir of ["src/formats/", "src/io/", "src/networks/", "src/sync/", "transforms/", "schemas/"])
    if (p.startsWith(dir)) return { name: dir.replace(/^src\//, "").replace(/\/$/, ""), rank: 1 };
  if (p.startsWith("src/jobs/")) return { name: "jobs", rank: 2 };
  if (p.startsWith("src/cli/")) return { name: "cli", rank: 3 };
  return undefined; // src/index.ts and the sandbox sit beside the layers
}

/** Known exceptions, each a debt with its reason (the list may only shrink; it is empty now). */
const KNOWN_UPWARD = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

function edges(): { from: string; to: string }[] {
  const found: { from: string; to: string }[] = [];
  for (const file of ["src", "transforms", "schemas"].flatMap((d) => sourceFiles(join(ROOT, d)))) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const target = resolve(dirname(file), ref.fileName).replace(/\.js$/, ".ts");
      found.push({ from: relative(ROOT, file), to: relative(ROOT, target) });
    }
  }
  return found;
}

describe("layers", () => {
  const all = edges();

  it("finds the imports it checks", () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all.some((e) => e.from.startsWith("src/core/") && e.to === "src/core/errors.ts")).toBe(true);
  });

  it("core imports nothing from formats, transforms, networks, io, sync or jobs", () => {
    const bad = all.filter((e) => layerOf(e.from)?.name === "core" && layerOf(e.to)?.name !== "core");
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("no import points up a layer (cli → jobs → networks/transforms/formats/io → core)", () => {
    const upward = all
      .filter((e) => {
        const from = layerOf(e.from);
        const to = layerOf(e.to);
        return from !== undefined && to !== undefined && to.rank > from.rank;
      })
      .map((e) => `${e.from} -> ${e.to}`)
      .filter((edge) => !KNOWN_UPWARD.has(edge));
    expect(upward).toEqual([]);
  });

  it("the known exceptions are still real (remove them from the list once fixed)", () => {
    const present = new Set(all.map((e) => `${e.from} -> ${e.to}`));
    expect([...KNOWN_UPWARD].filter((edge) => !present.has(edge))).toEqual([]);
  });
});
