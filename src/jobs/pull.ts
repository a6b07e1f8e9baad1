/**
 * Pull → export for publisher-side network sources (PartnerBoost, Partnerize, ...); the pages come
 * from `pagesInOrder` (src/core/pages.ts).
 *
 * - `exportRows`: write a stream of row batches through a writer into an atomic output. The output
 *   is opened only once the first batch has arrived (an auth or filter error leaves nothing behind,
 *   not even a header on stdout); any failure aborts it, so an interrupted pull never leaves a file
 *   that looks complete.
 */
import type { OutputFormat, Row } from "../formats/types.js";
import { createWriter } from "../formats/writers/index.js";
import { type Output, type OutputStream, openOutput, writeBatch } from "../io/output.js";
import { throwIfAborted } from "../core/abort.js";
import { maskSecretsInRows } from "../core/errors.js";

const INTERRUPTED = "The pull was interrupted";

export interface ExportRowsOptions {
  /** Output path, or "-" for stdout. Written atomically (temporary file renamed on success). */
  target: string;
  format: OutputFormat;
  /** Column order (also the key order of JSON/NDJSON). */
  columns: string[];
  /** CSV/TSV formula-injection protection (default true). */
  protectFormulas?: boolean | undefined;
  /** XML channel title. */
  title?: string | undefined;
  /** The stream for "-" (the CLI passes its stdout). */
  stdout?: OutputStream | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each batch is written (progress). */
  onBatch?: ((rows: number) => void) | undefined;
  /** The run's secrets: masked (`***`) wherever a value holds one (see `masked`). */
  secrets?: Iterable<string> | undefined;
}

export interface ExportResult {
  target: string;
  format: OutputFormat;
  rows: number;
  bytes: number;
  /** Values that held one of the run's secrets and were written masked. */
  masked: number;
}

/**
 * Write row batches into `target` through the writer for `format`. The output is committed only
 * after the last batch; on any error (source, writer, disk, abort) it is aborted and the error is
 * rethrown, so no complete-looking file is left.
 */
export async function exportRows(
  batches: AsyncIterable<Row[]>,
  options: ExportRowsOptions,
): Promise<ExportResult> {
  const writer = createWriter(options.format, {
    columns: options.columns,
    protectFormulas: options.protectFormulas,
    title: options.title,
  });
  const iterator = batches[Symbol.asyncIterator]();
  let output: Output | undefined;
  let rows = 0;
  let masked = 0;
  try {
    // Pull the first batch before opening the output: a failure before any data leaves nothing.
    let step = await iterator.next();
    output = await openOutput(options.target, { stdout: options.stdout, signal: options.signal });
    await output.write(writer.header());
    while (!step.done) {
      const batch = step.value;
      if (batch.length > 0) {
        masked += maskSecretsInRows(batch, options.secrets);
        await writeBatch(output, writer, batch);
        rows += batch.length;
        options.onBatch?.(batch.length);
      }
      step = await iterator.next();
    }
    await output.write(writer.footer());
    throwIfAborted(options.signal, INTERRUPTED);
    await output.commit();
    return { target: options.target, format: options.format, rows, bytes: output.bytes, masked };
  } catch (err) {
    await output?.abort();
    await iterator.return?.().catch(() => undefined);
    throw err;
  }
}
