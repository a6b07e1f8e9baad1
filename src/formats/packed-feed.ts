/**
 * openFeed for the reader thread (./read-worker.ts): the same source, decoding, sniffing and
 * reader, but the records leave as packed batches (./pack.ts). NDJSON and JSON arrays are read
 * straight into packed batches (./ndjson-scan.ts, ./json-packed.ts); the other formats' record
 * batches are packed with packBatch.
 * Records, counters and errors, once unpacked, are those of openFeed.
 */
import type { RecordStream } from "../core/record.js";
import { openSource } from "../io/source.js";
import {
  type Feed,
  flagRecord,
  jsonOptions,
  markInvalidBytes,
  prepareFeed,
  type ReadFeedOptions,
  recordsOf,
} from "./index.js";
import { readJsonPacked } from "./json-packed.js";
import { type PackedStream, readNdjsonPacked } from "./ndjson-scan.js";
import { type PackedBatch, packBatch, unpackBatch } from "./pack.js";
import type { ReaderStats } from "./reader.js";

export type PackedFeed = Omit<Feed, "records" | "stats" | "close" | typeof Symbol.asyncDispose> & {
  batches: AsyncGenerator<PackedBatch>;
  stats: ReaderStats;
  close(): Promise<void>;
};

async function* packAll(records: RecordStream, source: string): AsyncGenerator<PackedBatch> {
  for await (const batch of records) yield packBatch(batch, source);
}

/**
 * What markInvalidBytes does to record batches: once the decoder has met invalid bytes, records
 * without a problem that hold U+FFFD get FEED_ENCODING_INVALID (rare: such batches are unpacked,
 * marked and packed again).
 */
async function* markInvalidPacked(
  batches: AsyncIterable<PackedBatch>,
  state: { invalidBytes: boolean },
  encoding: string,
): AsyncGenerator<PackedBatch> {
  for await (const packed of batches) {
    if (!state.invalidBytes) {
      yield packed;
      continue;
    }
    const records = unpackBatch(packed);
    for (const r of records) if (!r.problem) flagRecord(r, encoding);
    yield packBatch(records, packed.source);
  }
}

export async function openPackedFeed(spec: string, options: ReadFeedOptions): Promise<PackedFeed> {
  const src = await openSource(spec, options);
  try {
    const opened = await prepareFeed(src, options);
    const { feed, state } = opened;
    let batches: AsyncGenerator<PackedBatch>;
    let stats: ReaderStats;
    if (feed.format === "ndjson" || feed.format === "json") {
      const packed: PackedStream =
        feed.format === "ndjson"
          ? readNdjsonPacked(opened.text, opened.base)
          : readJsonPacked(opened.text, jsonOptions(opened, options));
      stats = packed.stats;
      batches = markInvalidPacked(packed, state, feed.encoding);
    } else {
      const records = recordsOf(opened, options);
      stats = records.stats;
      batches = packAll(markInvalidBytes(records, state, feed.encoding), feed.name);
    }
    return {
      ...feed,
      batches,
      stats,
      close: async () => {
        await batches.return(undefined);
        await src.close();
      },
    };
  } catch (err) {
    await src.close();
    throw err;
  }
}
