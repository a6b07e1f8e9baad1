#!/usr/bin/env node
// The floor: read the file, decode UTF-8, split into records without parsing them.
//   node bench/floor.mjs FILE csv|xml|json|ndjson
import { createReadStream } from "node:fs";

const [file, format] = process.argv.slice(2);
const decoder = new TextDecoder("utf-8");
let records = 0;
let carry = "";
const sep = format === "xml" ? "</item>" : "\n";
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
  const text = carry + decoder.decode(chunk, { stream: true });
  let start = 0;
  for (;;) {
    const i = text.indexOf(sep, start);
    if (i < 0) break;
    records++;
    start = i + sep.length;
  }
  carry = text.slice(start);
}
process.stdout.write(`${JSON.stringify({ records })}\n`);
