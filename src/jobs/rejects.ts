/**
 * The rejects file: one NDJSON line per rejected record, with where it came from, its SKU, every
 * issue, and the original source fields, so nothing is lost and the rows can be fixed and re-run:
 *
 *   {"line":12,"index":11,"source":"catalog.csv","sku":"ABC","issues":[{"code":"GTIN_CHECK_DIGIT",
 *    "severity":"error","field":"gtin","message":"...","value":"4006381333932"}],"fields":{...}}
 *
 * Written atomically through src/io/output.ts (temporary file renamed on commit; abort leaves none).
 */
import { type Output, type OutputStream, openOutput } from "../io/output.js";
import type { CheckedRecord } from "./pipeline.js";

export interface RejectLine {
  line?: number | undefined;
  index: number;
  offset?: number | undefined;
  source: string;
  sku?: string | undefined;
  issues: { code: string; severity: string; field?: string | undefined; message: string; value?: unknown }[];
  fields: CheckedRecord["fields"];
  raw?: string | undefined;
}

/** The NDJSON line (without newline) for one rejected record. */
export function rejectLine(c: CheckedRecord): string {
  const o: RejectLine = {
    line: c.line,
    index: c.index,
    offset: c.offset,
    source: c.source,
    sku: c.sku,
    issues: c.issues.map((i) => ({
      code: i.code,
      severity: i.severity,
      field: i.field,
      message: i.message,
      value: i.value,
    })),
    fields: c.fields,
    raw: c.raw,
  };
  return JSON.stringify(o);
}

export interface RejectsWriter {
  readonly path: string;
  /** Rejected records written so far. */
  readonly count: number;
  /** Write the rejected records of a batch (valid ones are ignored): one write per batch. */
  add(batch: readonly CheckedRecord[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Open a rejects file (`-` for the given stdout). */
export async function openRejects(
  path: string,
  options: { stdout?: OutputStream | undefined; signal?: AbortSignal | undefined } = {},
): Promise<RejectsWriter> {
  const out: Output = await openOutput(path, { stdout: options.stdout, signal: options.signal });
  let count = 0;
  return {
    path,
    get count() {
      return count;
    },
    async add(batch) {
      let text = "";
      for (const c of batch) {
        if (c.product !== undefined) continue;
        text += `${rejectLine(c)}\n`;
        count++;
      }
      if (text) await out.write(text);
    },
    commit: () => out.commit(),
    abort: () => out.abort(),
  };
}
