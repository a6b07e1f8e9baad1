#!/usr/bin/env node
/**
 * Heap kept by combining signals per request (the old brand client and PartnerBoost requester:
 * `AbortSignal.any([client, call])` per product/page) against once per run (`runSignal` in
 * src/core/abort.ts). 300k calls, as many as a 300k-product push makes; heap after a full GC.
 *
 *   node bench/abort-heap.mjs [calls]     (each way in its own process, with --expose-gc)
 */
import { spawnSync } from "node:child_process";
import { setImmediate } from "node:timers";
import { fileURLToPath } from "node:url";
import { runSignal } from "../dist/src/core/abort.js";

const CALLS = Number(process.argv[2] ?? 300_000);
const MODE = process.argv[3];
if (MODE === undefined) {
  for (const mode of ["old", "new"]) {
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", fileURLToPath(import.meta.url), String(CALLS), mode],
      {
        stdio: "inherit",
      },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;

async function measure(name, makeJoin) {
  const client = new AbortController(); // the client's signal (construction time)
  const run = new AbortController(); // the run's signal, passed with every call
  const join = makeJoin(client.signal);
  const before = heap();
  let live = 0;
  for (let i = 0; i < CALLS; i++) {
    const s = join(run.signal);
    if (!s.aborted) live++;
    // let the request "finish" now and then, as real calls do
    if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
  }
  const after = heap();
  console.log(
    `${name.padEnd(22)} ${CALLS} calls: heap ${mb(before)} -> ${mb(after)} (+${mb(after - before)})`,
  );
  return live;
}

if (MODE === "old")
  await measure("per call (old)", (base) => (call) => globalThis.AbortSignal.any([call, base]));
else await measure("once per run (new)", (base) => runSignal(base));
