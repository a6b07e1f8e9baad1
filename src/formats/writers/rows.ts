/** The part every row-at-a-time writer shares: a batch as one text, or one text per row. */
import type { Row, Writer } from "../types.js";

/**
 * A writer from a row encoder. `batch` appends row by row: one rope per batch, which V8 flattens
 * once when the output encodes it (see writeBatch in src/io/output.ts); `lines` keeps one string
 * per row.
 */
export function rowWriter(header: string, footer: () => string, one: (row: Row) => string): Writer {
  return {
    header: () => header,
    batch: (rows) => {
      let text = "";
      for (let i = 0; i < rows.length; i++) text += one(rows[i]!);
      return text;
    },
    lines: (rows) => {
      const out = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = one(rows[i]!);
      return out;
    },
    footer,
  };
}
