/**
 * Plain-text marks, set on the reader thread (./read-worker.ts) so the main thread's validator can
 * skip its text test for values the mark vouches for (issue #18: the main thread is the busy one
 * in CSV, NDJSON and JSON conversions; the description test was ~10% of its time).
 *
 * Once the pipeline knows its mapping, it names, for each of the product's text fields
 * (PLAIN_FIELDS: name, description, category, brand, mpn) whose mapping reads source keys as they
 * are (a key or a list of keys, no transforms, no preset `prepare`), those keys in order. For each
 * record the reader then finds the value the mapping will take (the first key whose value is
 * present and not blank, as transforms/mapping.ts picks it) and sets the field's bit when that
 * value is a string that `isPlainText` passes. Anything else (a number, an object, a list with a
 * value the reader cannot judge) leaves the bit unset, so a bit never claims more than the
 * validator's own test would: an unset bit only means "test it".
 */
import { isBlankText, isPlainText, type PlainSources } from "../core/plain-text.js";
import { CELL, type PackedBatch, REC, STRING } from "./pack.js";

/** Set `packed.plain`: one mark per record. */
export function markPlain(packed: PackedBatch, sources: PlainSources): void {
  const { keys, recs, cells, text } = packed;
  const count = recs.length / REC;
  // Which keys of the batch some field's sources name (1), and each field's sources as key ids.
  const wanted = new Uint8Array(keys.length);
  const ids = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) ids.set(keys[i]!, i);
  const lists = sources.map((names) => (names ?? []).map((k) => ids.get(k) ?? -1));
  for (const list of lists) for (const id of list) if (id >= 0) wanted[id] = 1;
  // Where each wanted key's cell (and its string) is in the record being read; stamp: which record.
  const cellOf = new Int32Array(keys.length);
  const stamp = new Int32Array(keys.length).fill(-1);
  const startOf = new Int32Array(keys.length);
  const marks = new Uint8Array(count);
  let c = 0;
  let from = 0;
  for (let r = 0; r < count; r++) {
    const n = recs[r * REC + 3]!;
    let any = false;
    for (let j = 0; j < n; j++, c += CELL) {
      const id = cells[c]!;
      if (wanted[id] === 1) {
        stamp[id] = r;
        cellOf[id] = c;
        startOf[id] = from;
        any = true;
      }
      if (cells[c + 1] === STRING) from = cells[c + 2]!;
    }
    if (!any) continue;
    let mark = 0;
    for (let f = 0; f < lists.length; f++) {
      for (const id of lists[f]!) {
        if (id < 0 || stamp[id] !== r) continue; // absent: the mapping tries the next key
        const at = cellOf[id]!;
        if (cells[at + 1] !== STRING) break; // not a string: left to the validator
        const v = text.slice(startOf[id]!, cells[at + 2]!);
        if (isBlankText(v)) continue; // blank: the mapping tries the next key
        if (isPlainText(v)) mark |= 1 << f;
        break;
      }
    }
    marks[r] = mark;
  }
  packed.plain = marks;
}
