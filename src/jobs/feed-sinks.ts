/**
 * Where one pulled feed's rows go until the feed is known to be complete (used by the Partnerize
 * pull, src/jobs/pull-partnerize.ts): a feed that fails halfway leaves no partial rows behind.
 *
 * - `fileSink`: its own atomic output file (committed, or aborted and removed).
 * - `spoolSink`: an NDJSON spool file, replayed in batches into a shared output on commit, so
 *   memory stays flat whatever the feed's size.
 */
import { createReadStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { OutputFormat, Row } from "../formats/types.js";
import { createWriter } from "../formats/writers/index.js";
import { openOutput, writeBatch } from "../io/output.js";

const SPOOL_BATCH = 1000;

export interface FeedSink {
  write(rows: Row[]): Promise<void>;
  /** Finish the feed's rows; returns the file written, if any. */
  commit(): Promise<string | undefined>;
  abort(): Promise<void>;
}

/** One atomic output file for the feed. */
export async function fileSink(
  path: string,
  writerOptions: { format: OutputFormat; columns: string[]; title: string },
  signal: AbortSignal | undefined,
): Promise<FeedSink> {
  const out = await openOutput(path, { signal });
  const writer = createWriter(writerOptions.format, {
    columns: writerOptions.columns,
    title: writerOptions.title,
  });
  await out.write(writer.header());
  return {
    async write(rows) {
      await writeBatch(out, writer, rows);
    },
    async commit() {
      await out.write(writer.footer());
      await out.commit();
      return path;
    },
    abort: () => out.abort(),
  };
}

async function* readSpool(path: string): AsyncIterable<Row[]> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let batch: Row[] = [];
  for await (const line of lines) {
    if (line === "") continue;
    batch.push(JSON.parse(line) as Row);
    if (batch.length >= SPOOL_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** An NDJSON spool file at `path`; on commit its rows are handed to `replay`, then it is removed. */
export async function spoolSink(
  path: string,
  replay: (rows: AsyncIterable<Row[]>) => Promise<void>,
): Promise<FeedSink> {
  const handle = await open(path, "w");
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    async write(rows) {
      if (rows.length === 0) return;
      let text = "";
      for (const r of rows) text += `${JSON.stringify(r)}\n`;
      await handle.write(text);
    },
    async commit() {
      await close();
      await replay(readSpool(path));
      await rm(path, { force: true });
      return undefined;
    },
    async abort() {
      await close();
      await rm(path, { force: true });
    },
  };
}
