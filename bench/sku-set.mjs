#!/usr/bin/env node
/**
 * The duplicate-SKU set on its own: adds the bench generator's SKUs (`SKU-00001234`, 0.5% repeats)
 * and reports the CPU seconds of the adds, the array-buffer bytes held at the end before and after
 * a full GC (before it, a table left behind by a growth is still there, as in a real run where
 * nothing forces a full GC), and the highest array-buffer bytes sampled every 16384 adds, each in
 * its own process; and the RSS growth over the adds (keys made before; a resizable buffer's
 * memory is in RSS, not in arrayBuffers). `--dist A/dist,B/dist` alternates builds.
 *
 *   node --expose-gc bench/sku-set.mjs [--skus 2551282] [--runs 3] [--dist dist,/tmp/main/dist]
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

async function child(dist, count) {
  const { CompactStringSet } = await import(pathToFileURL(resolve(dist, "src/core/sku-set.js")).href);
  let seed = 42;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const key = (i) => `SKU-${String(i > 10 && rand() < 0.005 ? Math.floor(rand() * i) : i).padStart(8, "0")}`;
  // Warm up: the young generation reaches its size, so RSS growth below is the set's.
  let warm = 0;
  for (let i = 0; i < 2e6; i++) warm += key(i).length;
  seed = 42;
  globalThis.gc();
  const base = process.memoryUsage().arrayBuffers;
  const rss0 = process.memoryUsage().rss;
  const set = new CompactStringSet();
  let peak = 0;
  let added = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    if (set.add(key(i))) added++;
    // Sampled every 16384 adds (memoryUsage is not free).
    if ((i & 0x3fff) === 0) {
      const ab = process.memoryUsage().arrayBuffers - base;
      if (ab > peak) peak = ab;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const endNoGc = process.memoryUsage().arrayBuffers - base;
  const rssEnd = process.memoryUsage().rss - rss0;
  globalThis.gc();
  const end = process.memoryUsage().arrayBuffers - base;
  const mb = (n) => +(n / 1048576).toFixed(1);
  let dups = 0;
  seed = 42;
  for (let i = 0; i < count; i++) if (!set.has(key(i))) dups++;
  return {
    dist,
    skus: count,
    warm: warm > 0,
    distinct: added,
    size: set.size,
    missing: dups,
    addCpuS: +((cpu.user + cpu.system) / 1e6).toFixed(3),
    // RSS counts a resizable buffer's memory, which V8 leaves out of arrayBuffers.
    rssGrowthMiB: +(rssEnd / 1048576).toFixed(1),
    arrayBuffersMiB: { end: mb(end), endBeforeGc: mb(endNoGc), peakSampled: mb(Math.max(peak, endNoGc)) },
  };
}

if (arg("child")) {
  process.stdout.write(`${JSON.stringify(await child(arg("child"), Number(arg("skus"))))}\n`);
} else {
  const dists = arg("dist", "dist").split(",");
  const runs = Number(arg("runs", "3"));
  const skus = arg("skus", "2564103");
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < runs; r++) {
    for (const dist of dists) {
      const p = spawnSync(process.execPath, ["--expose-gc", self, "--child", dist, "--skus", skus], {
        encoding: "utf8",
      });
      if (p.status !== 0) throw new Error(p.stderr);
      process.stdout.write(p.stdout);
    }
  }
}
