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

export type { PlainSources };

/** Set `packed.plain`: one mark per record. */
export function markPlain(packed: PackedBatch, sources: PlainSources): void {
  const { keys, recs, cells, text } = packed;
  const count = recs.length / REC;
  // Per key of the batch: the fields whose sources name it (few: usually none or one).
  const wanted: number[][] = [];
  const ids = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) ids.set(keys[i]!, i);
  const lists: number[][] = [];
  for (let f = 0; f < sources.length; f++) {
    const list: number[] = [];
    for (const k of sources[f] ?? []) list.push(ids.get(k) ?? -1);
    lists.push(list);
    for (const id of list) if (id >= 0) (wanted[id] ??= []).push(f);
  }
  // Where each wanted key's cell is in the record being read (stamped by record, -1: absent).
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
      if (cells[c + 1] === STRING) {
        if (wanted[id] !== undefined) {
          stamp[id] = r;
          cellOf[id] = c;
          startOf[id] = from;
          any = true;
        }
        from = cells[c + 2]!;
      } else if (wanted[id] !== undefined) {
        stamp[id] = r;
        cellOf[id] = c;
        any = true;
      }
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
