#!/usr/bin/env node
/**
 * The main thread's work of a threaded convert, for two builds in one process (A/B): the first N
 * records of FILE are read and packed once (as the reader thread hands them over), then each round
 * unpacks them, runs processFeed (mapping, validation, duplicate SKUs) and writes the valid
 * products (to /dev/null), alternating A and B round by round so that both see the same load.
 * Checks first that both builds write the same bytes. CPU milliseconds per round (medians).
 *
 *   node bench/main-ab.mjs A/dist B/dist FILE [--products 100000] [--rounds 10] [--to csv]
 *                          [--records]   (--records: hand over the reader's records, no pack/unpack)
 * Needs both builds built (`npm run build`; a copy of main's dist beside its package.json and
 * node_modules for A).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const [A, B, file] = argv;
if (!A || !B || !file) throw new Error("usage: node bench/main-ab.mjs A/dist B/dist FILE [--products N]");
const products = Number(flag("products", "100000"));
const rounds = Number(flag("rounds", "10"));
const to = flag("to", "csv");
const packed = !argv.includes("--records");

async function load(dir) {
  const m = (p) => import(pathToFileURL(join(dir, p)).href);
  const yg = await m("src/cli/young-generation.js");
  return {
    cap: () => yg.capYoungGeneration(yg.youngGenerationOption(process.env)),
    ...(await m("src/formats/index.js")),
    ...(await m("src/formats/pack.js")),
    ...(await m("src/jobs/pipeline.js")),
    ...(await m("src/formats/writers/index.js")),
    ...(await m("src/io/output.js")),
    ...(await m("schemas/product.js")),
  };
}

const a = await load(A);
const b = await load(B);
a.cap();
const feed = await a.openFeed(file, { worker: false });
const stored = [];
let n = 0;
for await (const batch of feed.records) {
  stored.push(packed ? globalThis.structuredClone(a.packBatch(batch, batch[0].source)) : batch);
  n += batch.length;
  if (n >= products) break;
}

async function round(x, hash) {
  const records = (async function* () {
    for (const p of stored) yield packed ? x.unpackBatch(p) : p;
  })();
  const processed = await x.processFeed({ ...feed, records });
  const writer = x.createWriter(to, { columns: [...x.PRODUCT_FIELDS], protectFormulas: true });
  const output = hash
    ? { write: async (t) => void hash.update(t), commit: async () => undefined }
    : await x.openOutput("/dev/null");
  await output.write(writer.header());
  for await (const batch of processed.records) {
    const rows = [];
    for (const c of batch) if (c.product !== undefined) rows.push(c.product);
    if (rows.length > 0) await x.writeBatch(output, writer, rows);
  }
  await output.write(writer.footer());
  await output.commit();
}

const ha = createHash("sha256");
const hb = createHash("sha256");
await round(a, ha);
await round(b, hb);
const [da, db] = [ha.digest("hex"), hb.digest("hex")];
if (da !== db) throw new Error(`A and B write different output: ${da} vs ${db}`);
const ms = { A: [], B: [] };
for (let r = 0; r < rounds; r++) {
  const order =
    r % 2 === 0
      ? [
          ["A", a],
          ["B", b],
        ]
      : [
          ["B", b],
          ["A", a],
        ];
  for (const [label, x] of order) {
    const t = process.cpuUsage();
    await round(x, undefined);
    const c = process.cpuUsage(t);
    ms[label].push(Math.round((c.user + c.system) / 1000));
  }
}
const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
process.stdout.write(
  `${n} records (${packed ? "packed" : "records"}) → ${to}, same output (sha256 ${da.slice(0, 12)})\n` +
    `A: ${ms.A.join(" ")} ms, median ${median(ms.A)}\nB: ${ms.B.join(" ")} ms, median ${median(ms.B)}\n` +
    `B/A ${(median(ms.B) / median(ms.A)).toFixed(3)}\n`,
);
