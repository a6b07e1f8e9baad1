#!/usr/bin/env node
/**
 * CPU seconds of the JSON-family reader stages, in-process (no thread), one child process per
 * figure so that one stage's garbage does not bill the next:
 *   read     openFeed(file, { worker: false }) and iterate the batches
 *   pack     read + packBatch (what the reader thread does per batch)
 *   unpack   read + packBatch + structuredClone of the packed batch + unpackBatch (the main thread's share)
 *   thread   openFeed(file, { worker: true }) and iterate: the real reader thread; CPU of the whole
 *            process, of the main thread, and of the busiest other thread (the reader; sampled
 *            from /proc/self/task every 100 ms, Linux only)
 *
 *   node bench/json-stages.mjs [--runs 2] [--stages read,pack,unpack] FILE...
 * Needs `npm run build` (imports dist/). Prints one JSON line per run and a summary table.
 */
/* global structuredClone */
import { spawnSync } from "node:child_process";
import { clearInterval, setInterval } from "node:timers";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { threadCpu } from "./proc-threads.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "dist", "src", "formats");

async function child(file, stage) {
  const threads = new Map();
  const sampler = stage === "thread" ? setInterval(() => threadCpu(threads), 100) : undefined;
  const { openFeed } = await import(join(dist, "index.js"));
  const { packBatch, unpackBatch } = await import(join(dist, "pack.js"));
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  const feed = await openFeed(file, { worker: stage === "thread" });
  let records = 0;
  let fields = 0;
  for await (const batch of feed.records) {
    records += batch.length;
    if (stage === "read" || stage === "thread") continue;
    const packed = packBatch(batch, feed.name);
    if (stage === "pack") continue;
    const out = unpackBatch(structuredClone(packed));
    fields += out.length;
  }
  const u = process.cpuUsage(t0);
  const heap = process.memoryUsage();
  let perThread;
  if (sampler !== undefined) {
    clearInterval(sampler);
    threadCpu(threads);
    const main = threads.get(String(process.pid)) ?? Number.NaN;
    const others = [...threads].filter(([tid]) => tid !== String(process.pid)).map(([, s]) => s);
    const reader = Math.max(0, ...others);
    perThread = { main, reader, rest: +(others.reduce((a, b) => a + b, 0) - reader).toFixed(2) };
  }
  process.stdout.write(
    `${JSON.stringify({
      file,
      stage,
      records,
      cpu: +((u.user + u.system) / 1e6).toFixed(2),
      wall: +((performance.now() - w0) / 1e3).toFixed(2),
      rssMB: Math.round(heap.rss / 2 ** 20),
      checked: fields,
      ...(perThread && { threads: perThread }),
    })}\n`,
  );
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(args[1], args[2]);
} else {
  let runs = 2;
  let stages = ["read", "pack", "unpack"];
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--runs") runs = Number(args[++i]);
    else if (args[i] === "--stages") stages = args[++i].split(",");
    else files.push(args[i]);
  }
  const rows = [];
  for (const file of files) {
    for (const stage of stages) {
      const cpus = [];
      for (let r = 0; r < runs; r++) {
        const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", file, stage], {
          encoding: "utf8",
        });
        if (res.status !== 0) throw new Error(res.stderr);
        process.stdout.write(res.stdout);
        cpus.push(JSON.parse(res.stdout).cpu);
      }
      rows.push({ file, stage, cpu: cpus.join(" / ") });
    }
  }
  console.table(rows);
}
