#!/usr/bin/env node
/**
 * XML reader candidates on the same file: each reads the file in 256 KiB chunks, decodes UTF-8 and
 * turns every <item> into the record shape feedpipe's mapping reads (fast-xml-parser's: `@attr`,
 * `#text`, repeated tags as arrays, trimmed strings, entities decoded), then drops it. No mapping,
 * validation or writing: this is the reader stage alone. Each candidate runs in its own process.
 *
 *   node bench/xml-parsers.mjs FILE [--runs 3] [--only name,name]
 *
 * Candidates:
 *   one-pass        feedpipe's reader: XmlSplitter with `parse` (records parsed where they lie)
 *   split+parse     XmlSplitter cuts a string per record, parseXmlRecord parses it (two passes)
 *   split+fxp       XmlSplitter + fast-xml-parser per record (the naive pipeline's reader)
 *   saxes           saxes SAX events into the same record builder
 *   htmlparser2     htmlparser2 in xmlMode, same builder
 *   sax-wasm        sax-wasm (Rust/WebAssembly) on the raw bytes, same builder
 * It prints records/s per candidate (median of the runs) and checks that every candidate built
 * the same records (a digest over all of them).
 */
import { spawnSync } from "node:child_process";
import { createReadStream, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => join(root, "dist", "src", p);
const CHUNK = 1 << 18;
const TAG = "item";

// ---- the record builder shared by the SAX candidates (same rules as src/formats/xml-record.ts) ----

const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s) =>
  s.indexOf("&") < 0
    ? s
    : s.replace(ENTITY, (m, n, d, h) =>
        n ? NAMED[n] : String.fromCodePoint(d !== undefined ? +d : parseInt(h, 16)),
      );

class Builder {
  constructor(onRecord) {
    this.stack = [];
    this.onRecord = onRecord;
  }
  open(name, attrs) {
    if (this.stack.length === 0) {
      const i = name.indexOf(":");
      if ((i < 0 ? name : name.slice(i + 1)) !== TAG) return;
    }
    let obj;
    for (const k in attrs) (obj ??= {})[`@${k}`] = attrs[k].trim();
    this.stack.push({ name, obj, text: "" });
  }
  text(t) {
    const top = this.stack[this.stack.length - 1];
    if (top) top.text += t;
  }
  close() {
    const f = this.stack.pop();
    if (!f) return;
    const text = f.text.trim();
    let v = text;
    if (f.obj) {
      if (text !== "") f.obj["#text"] = text;
      v = f.obj;
    }
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.onRecord(typeof v === "string" ? (v === "" ? {} : { "#text": v }) : v);
      return;
    }
    const o = (parent.obj ??= {});
    const prev = Object.hasOwn(o, f.name) ? o[f.name] : undefined;
    if (prev === undefined) o[f.name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else o[f.name] = [prev, v];
  }
}

// ---- digest: order-sensitive hash of every record's JSON, to check the candidates agree ----

function digester() {
  let h = 0x811c9dc5;
  let n = 0;
  return {
    add(fields) {
      n++;
      if (n % 997 !== 1) return; // every 997th record, so the digest does not dominate the timing
      const s = JSON.stringify(fields);
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    },
    get count() {
      return n;
    },
    get value() {
      return (h >>> 0).toString(16);
    },
  };
}

async function* textChunks(file) {
  const d = new TextDecoder("utf-8");
  for await (const b of createReadStream(file, { highWaterMark: CHUNK })) yield d.decode(b, { stream: true });
  const tail = d.decode();
  if (tail) yield tail;
}

const candidates = {
  async "one-pass"(file, dg) {
    const { XmlSplitter } = await import(dist("formats/xml-splitter.js"));
    const { parseXmlRecord } = await import(dist("formats/xml-record.js"));
    const sp = new XmlSplitter({ recordTag: TAG, source: file, maxRecordBytes: 1 << 20, parse: true });
    for await (const chunk of textChunks(file)) {
      for (const r of sp.push(chunk)) {
        if (r.fields) dg.add(r.fields);
        else {
          const p = parseXmlRecord(r.text);
          dg.add(p.ok ? p.fields : {});
        }
      }
    }
    sp.end();
  },
  async "split+parse"(file, dg) {
    const { XmlSplitter } = await import(dist("formats/xml-splitter.js"));
    const { parseXmlRecord } = await import(dist("formats/xml-record.js"));
    const sp = new XmlSplitter({ recordTag: TAG, source: file, maxRecordBytes: 1 << 20 });
    for await (const chunk of textChunks(file)) {
      for (const r of sp.push(chunk)) {
        const p = parseXmlRecord(r.text);
        dg.add(p.ok ? p.fields : {});
      }
    }
    sp.end();
  },
  async "split+fxp"(file, dg) {
    const { XmlSplitter } = await import(dist("formats/xml-splitter.js"));
    const { XMLParser } = await import("fast-xml-parser");
    const fxp = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "@",
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      htmlEntities: true,
    });
    const sp = new XmlSplitter({ recordTag: TAG, source: file, maxRecordBytes: 1 << 20 });
    for await (const chunk of textChunks(file)) {
      for (const r of sp.push(chunk)) {
        const doc = fxp.parse(r.text);
        const v = doc[Object.keys(doc)[0]];
        // fast-xml-parser does not trim CDATA: trim top-level strings like feedpipe does.
        for (const k in v) if (typeof v[k] === "string") v[k] = v[k].trim();
        dg.add(v);
      }
    }
    sp.end();
  },
  async saxes(file, dg) {
    const { SaxesParser } = await import("saxes");
    const b = new Builder((f) => dg.add(f));
    const p = new SaxesParser();
    p.on("opentag", (t) => b.open(t.name, t.attributes));
    p.on("text", (t) => b.text(t));
    p.on("cdata", (t) => b.text(t));
    p.on("closetag", () => b.close());
    for await (const chunk of textChunks(file)) p.write(chunk);
    p.close();
  },
  async htmlparser2(file, dg) {
    const { Parser } = await import("htmlparser2");
    const b = new Builder((f) => dg.add(f));
    const p = new Parser(
      {
        onopentag: (name, attrs) => b.open(name, attrs),
        ontext: (t) => b.text(t),
        onclosetag: () => b.close(),
      },
      { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
    );
    for await (const chunk of textChunks(file)) p.write(chunk);
    p.end();
  },
  async "sax-wasm"(file, dg) {
    const { SAXParser, SaxEventType } = await import("sax-wasm");
    const wasm = readFileSync(join(root, "node_modules", "sax-wasm", "lib", "sax-wasm.wasm"));
    const b = new Builder((f) => dg.add(f));
    const p = new SAXParser(
      SaxEventType.OpenTag | SaxEventType.CloseTag | SaxEventType.Text | SaxEventType.Cdata,
    );
    await p.prepareWasm(wasm);
    p.eventHandler = (ev, d) => {
      if (ev === SaxEventType.OpenTag) {
        let attrs;
        for (const a of d.attributes) (attrs ??= {})[a.name.value] = decode(a.value.value);
        b.open(d.name, attrs);
        if (d.selfClosing) b.close();
      } else if (ev === SaxEventType.CloseTag) {
        if (!d.selfClosing) b.close();
      } else if (ev === SaxEventType.Text) b.text(decode(d.value));
      else b.text(d.value);
    };
    for await (const buf of createReadStream(file, { highWaterMark: CHUNK })) p.write(buf);
    p.end();
  },
};

async function child(name, file) {
  const dg = digester();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await candidates[name](file, dg);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ name, records: dg.count, seconds: s, cpu, digest: dg.value })}\n`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
  if (argv[0] === "--child") return child(argv[1], argv[2]);
  const file = argv.find((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
  if (!file) throw new Error("usage: node bench/xml-parsers.mjs FILE [--runs 3] [--only a,b]");
  const runs = Number(opt("runs", "3"));
  const only = opt("only", Object.keys(candidates).join(",")).split(",");
  const results = new Map(only.map((n) => [n, []]));
  // Rounds, not one candidate after the other: load on a shared machine spreads over all of them.
  for (let r = 0; r < runs; r++) {
    for (const name of only) {
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", name, file], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      if (out.status !== 0) {
        process.stderr.write(`${name}: failed\n${out.stderr.slice(0, 2000)}\n`);
        results.get(name).push({ failed: true });
        continue;
      }
      const res = JSON.parse(out.stdout.trim().split("\n").pop());
      results.get(name).push(res);
      process.stderr.write(
        `run ${r + 1} ${name.padEnd(12)} ${Math.round(res.records / res.seconds)} records/s, ${Math.round(res.records / res.cpu)} per CPU-second\n`,
      );
    }
  }
  const ref = results.get(only[0]).find((x) => !x.failed);
  process.stdout.write(
    `\n| candidate | records | records/s (median of ${runs}) | runs | records per CPU-second (median) | same records |\n|---|---:|---:|---|---:|---|\n`,
  );
  for (const [name, rs] of results) {
    const ok = rs.filter((x) => !x.failed);
    if (ok.length === 0) {
      process.stdout.write(`| ${name} | | failed | | |\n`);
      continue;
    }
    const rates = ok.map((x) => Math.round(x.records / x.seconds));
    const cpuRate = median(ok.map((x) => Math.round(x.records / x.cpu)));
    const same = ok.every((x) => x.digest === ref.digest && x.records === ref.records) ? "yes" : "NO";
    process.stdout.write(
      `| ${name} | ${ok[0].records} | ${median(rates).toLocaleString("en-US")} | ${rates.map((x) => `${Math.round(x / 1000)}k`).join(", ")} | ${cpuRate.toLocaleString("en-US")} | ${same} |\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`xml-parsers: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
