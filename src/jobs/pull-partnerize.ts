/**
 * Partner side, the composition (the network's parts are src/networks/partnerize/feeds.ts and
 * client.ts): download the feeds a partner may use, run each through ingest → map → validate, and
 * export the valid products with the feed's campaign id, campaign title and feed id added.
 *
 * - Each selected feed is downloaded from `location_compressed` (gzip) when listed, else
 *   `location`; if the gzip copy cannot be opened (HTTP error, connection), `location` is tried.
 *   Opening a download goes through the shared retry policy. The Basic credentials are sent only
 *   when the file is on the API's own host.
 * - The format is sniffed per feed (CSV, TSV, XML, JSON, NDJSON; gzip/zip by magic bytes), and the
 *   mapping preset is detected per feed unless one is given.
 * - One output for all feeds (`perFeed: false`), or one file per feed named
 *   `<campaign_id>-<feed_id>.<ext>` in a directory (`perFeed: true`). Outputs are atomic.
 * - A feed that fails (download, unreadable format, truncated gzip, unknown layout) is reported
 *   and exports nothing: in the single output, each feed's rows are spooled to a temporary NDJSON
 *   file and appended only once the whole feed has been read, so a feed that fails halfway leaves
 *   no partial rows behind, and memory stays flat (./feed-sinks.ts). The other feeds still export.
 * - Fatal problems stop the run instead: bad options (unknown preset, broken mapping file), and
 *   failures writing the output.
 */
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FeedpipeError, maskSecretsInRows, NetworkError, redactUrl } from "../core/errors.js";
import {
  type CheckedRecord,
  loadPipeline,
  type PipelineOptions,
  type ProcessedFeed,
  type RunReport,
} from "./pipeline.js";
import type { RateLimits } from "../core/rate-limits.js";
import { withRetry } from "../core/retry.js";
import { openFeed } from "../formats/index.js";
import type { OutputFormat, Row } from "../formats/types.js";
import { type FeedSink, fileSink, spoolSink } from "./feed-sinks.js";
import { createWriter } from "../formats/writers/index.js";
import { type OpenOutputOptions, type Output, openOutput, writeBatch } from "../io/output.js";
import { requireRemoteUrl } from "../io/remote.js";
import type { PartnerizeClient } from "../networks/partnerize/client.js";
import type { PublisherFeed } from "../networks/partnerize/envelope.js";
import {
  downloadCandidates,
  PARTNERIZE_PULL_COLUMNS,
  partnerizeRow,
  perFeedFileName,
  selectPartnerizeFeeds,
} from "../networks/partnerize/feeds.js";
import { isAborted } from "../core/abort.js";

export interface PartnerizePullOptions {
  client: PartnerizeClient;
  publisherId: string;
  campaignId?: string | undefined;
  /** Only these feeds (campaign_feeds_id). Without it: every active feed. */
  feedIds?: string[] | undefined;
  /** Output file, `-` for stdout, or a directory (with `perFeed`). */
  output: string;
  /** One file per feed in the `output` directory. */
  perFeed?: boolean | undefined;
  format: OutputFormat;
  preset?: string | undefined;
  mapping?: string | undefined;
  /** Other pipeline options for every feed (currency, baseUrl, decimalComma, dedupe). */
  pipeline?: Omit<PipelineOptions, "preset" | "mapping"> | undefined;
  /** Download timeout (ms). */
  timeoutMs?: number | undefined;
  /** The run's rate controllers: feed downloads are paced per host like API calls. */
  rates?: RateLimits | undefined;
  /** Stream for the `-` output. */
  stdout?: OpenOutputOptions["stdout"];
  signal?: AbortSignal | undefined;
  /** The run's secrets: masked (`***`) wherever an exported value holds one (see `masked`). */
  secrets?: Iterable<string> | undefined;
  /** Called before a feed is downloaded, with the download size when the listing gives it. */
  onFeedStart?: ((feed: PublisherFeed, info: { url: string; size: number | undefined }) => void) | undefined;
  /** Called per batch of records read from the current feed. */
  onProgress?: ((delta: { records?: number; bytes?: number }) => void) | undefined;
  onFeedDone?: ((result: FeedPullResult) => void) | undefined;
  /** Receives every checked batch; keeps the rejected records (the CLI's --rejects file). */
  rejects?: { add(batch: readonly CheckedRecord[]): Promise<void> } | undefined;
}

/** The outcome of one feed. */
export interface FeedPullResult {
  campaignId: string;
  campaignTitle: string;
  feedId: string;
  name: string;
  status: "ok" | "failed";
  /** Which listing field was downloaded, and its URL (credentials and secret-looking parameters redacted). */
  downloaded?: "location_compressed" | "location" | undefined;
  url?: string | undefined;
  /** The per-feed output file (perFeed mode). */
  output?: string | undefined;
  format?: string | undefined;
  compression?: string | undefined;
  preset?: string | undefined;
  /** Records read, products exported, products rejected, warnings. */
  records: number;
  exported: number;
  rejected: number;
  warnings: number;
  /** Rejections by rule, most frequent first, with the first example's place. */
  rejections: { code: string; count: number; example?: string | undefined }[];
  /** Why the feed failed, when it did. */
  error?: { code: string; message: string } | undefined;
}

export interface PartnerizePullResult {
  publisherId: string;
  feeds: FeedPullResult[];
  /** Products exported in all. */
  exported: number;
  rejected: number;
  failedFeeds: number;
  /** Files written (the single output, or one per successful feed). Empty for stdout. */
  outputs: string[];
  format: OutputFormat;
  /** Exported values that held one of the run's secrets and were written masked. */
  masked: number;
}

/** Marks errors that must stop the whole run rather than fail one feed. */
class FatalError extends Error {
  constructor(readonly error: unknown) {
    super("fatal");
  }
}

const OPTION_CODES = new Set(["INVALID_OPTION", "PRESET_UNKNOWN", "MAPPING_INVALID", "USAGE", "ABORTED"]);

/** Does `-o` name a directory (trailing slash, or an existing directory)? */
export async function isDirectoryTarget(output: string): Promise<boolean> {
  if (output === "-") return false;
  if (/[\\/]$/.test(output)) return true;
  try {
    return (await stat(output)).isDirectory();
  } catch {
    return false;
  }
}

function rejectionSummary(report: RunReport): FeedPullResult["rejections"] {
  return report.rules
    .filter((r) => r.severity === "error")
    .sort((a, b) => b.count - a.count)
    .map((r) => {
      const ex = r.examples[0];
      const where = ex ? (ex.line !== undefined ? `line ${ex.line}` : `record ${ex.index}`) : undefined;
      const example = ex ? `${where}${ex.sku ? ` (sku ${ex.sku})` : ""}: ${ex.message}` : undefined;
      return { code: r.code, count: r.count, example };
    });
}

function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof FeedpipeError) {
    // A failed feed exports nothing, whatever the reader kept: drop the reader's note saying otherwise.
    return { code: err.code, message: err.message.replace(/;\s*records read so far were kept\.?$/, "") };
  }
  return { code: "UNEXPECTED", message: err instanceof Error ? err.message : String(err) };
}

/** Can the other download location still be tried after this failure to open one? */
function isOpenFailure(err: unknown): boolean {
  return err instanceof NetworkError && err.code !== "NET_AUTH_FAILED" && !isAborted(err);
}

export async function pullPartnerizeFeeds(options: PartnerizePullOptions): Promise<PartnerizePullResult> {
  const format = options.format;
  const columns = PARTNERIZE_PULL_COLUMNS;
  // Bad options, presets and mapping files fail here, before any request.
  const pipeline = await loadPipeline({
    ...options.pipeline,
    preset: options.preset,
    mapping: options.mapping,
  });

  const feeds = await selectPartnerizeFeeds(
    options.client,
    options.publisherId,
    options.campaignId,
    options.feedIds,
    { signal: options.signal },
  );
  const results: FeedPullResult[] = [];
  const outputs: string[] = [];
  let masked = 0;

  let main: Output | undefined;
  let mainWriter: ReturnType<typeof createWriter> | undefined;
  let mainStarted = false;
  let spoolDir: string | undefined;

  if (options.perFeed) {
    try {
      await mkdir(options.output, { recursive: true });
    } catch (err) {
      throw new FeedpipeError(
        "IO_WRITE",
        `Could not create directory ${options.output}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  } else if (feeds.length > 0) {
    main = await openOutput(options.output, { stdout: options.stdout, signal: options.signal });
    mainWriter = createWriter(format, {
      columns,
      title: `Partnerize feeds for partner ${options.publisherId}`,
    });
    spoolDir = await mkdtemp(join(tmpdir(), "feedpipe-partnerize-"));
  }

  const usedNames = new Set<string>(); // per-feed file names given out in this run
  const sinkFor = async (feed: PublisherFeed): Promise<FeedSink> => {
    if (options.perFeed) {
      const path = join(options.output, perFeedFileName(feed, format, usedNames));
      const title = `${feed.campaignTitle} – ${feed.name}`;
      return fileSink(path, { format, columns, title }, options.signal);
    }
    return spoolSink(join(spoolDir!, `${results.length}.ndjson`), async (batches) => {
      if (!mainStarted) {
        await main!.write(mainWriter!.header());
        mainStarted = true;
      }
      for await (const rows of batches) await writeBatch(main!, mainWriter!, rows);
    });
  };

  const pullOne = async (feed: PublisherFeed): Promise<FeedPullResult> => {
    const result: FeedPullResult = {
      campaignId: feed.campaignId,
      campaignTitle: feed.campaignTitle,
      feedId: feed.feedId,
      name: feed.name,
      status: "failed",
      records: 0,
      exported: 0,
      rejected: 0,
      warnings: 0,
      rejections: [],
    };
    const candidates = downloadCandidates(feed);
    if (candidates.length === 0) {
      result.error = {
        code: "NET_BAD_RESPONSE",
        message: "the listing gives no location to download this feed from",
      };
      return result;
    }

    let sink: FeedSink | undefined;
    let processed: ProcessedFeed | undefined;
    try {
      let opened: Awaited<ReturnType<typeof openFeed>> | undefined;
      let lastError: unknown;
      for (const c of candidates) {
        result.downloaded = c.field;
        try {
          // The location comes from the API: only ever downloaded, never a local path or stdin.
          requireRemoteUrl(c.url, `Partnerize feed ${c.field}`);
        } catch (err) {
          lastError = err;
          continue;
        }
        result.url = redactUrl(c.url);
        options.onFeedStart?.(feed, { url: result.url, size: c.size });
        try {
          opened = await withRetry(
            () =>
              openFeed(c.url, {
                retry: false, // this withRetry is the one (paced by the run's rate controller)
                headers: options.client.downloadHeaders(c.url),
                timeoutMs: options.timeoutMs,
                signal: options.signal,
                onBytes: (n) => options.onProgress?.({ bytes: n }),
              }),
            { signal: options.signal, rate: options.rates?.for(c.url) },
          );
          break;
        } catch (err) {
          lastError = err;
          if (!isOpenFailure(err)) break;
        }
      }
      if (!opened) throw lastError;
      result.format = opened.format === "csv" && opened.delimiter === "\t" ? "tsv" : opened.format;
      result.compression = opened.compression;
      processed = await pipeline.process(opened);
      result.preset = processed.preset;
      try {
        sink = await sinkFor(feed);
      } catch (err) {
        throw new FatalError(err);
      }
      for await (const batch of processed.records) {
        const rows: Row[] = [];
        for (const rec of batch) if (rec.product) rows.push(partnerizeRow(rec.product, feed));
        masked += maskSecretsInRows(rows, options.secrets);
        try {
          await sink.write(rows);
          await options.rejects?.add(batch);
        } catch (err) {
          throw new FatalError(err);
        }
        result.exported += rows.length;
        options.onProgress?.({ records: batch.length });
      }
      const report = processed.report();
      result.records = report.records;
      result.rejected = report.invalid;
      result.warnings = report.warnings;
      result.rejections = rejectionSummary(report);
      try {
        result.output = await sink.commit();
      } catch (err) {
        throw new FatalError(err);
      }
      sink = undefined;
      result.status = "ok";
      return result;
    } catch (err) {
      if (sink) await sink.abort().catch(() => undefined);
      if (err instanceof FatalError) throw err.error;
      if (err instanceof FeedpipeError && OPTION_CODES.has(err.code)) throw err;
      result.status = "failed";
      result.exported = 0;
      result.error = errorInfo(err);
      if (processed) {
        // What was read before the failure (none of it exported).
        result.records = processed.report().records;
      }
      return result;
    }
  };

  try {
    for (const feed of feeds) {
      const r = await pullOne(feed);
      results.push(r);
      if (r.output) outputs.push(r.output);
      options.onFeedDone?.(r);
    }
    if (main) {
      if (mainStarted) {
        await main.write(mainWriter!.footer());
        await main.commit();
        if (options.output !== "-") outputs.push(options.output);
      } else {
        await main.abort();
      }
    }
  } catch (err) {
    await main?.abort().catch(() => undefined);
    throw err;
  } finally {
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true }).catch(() => undefined);
  }

  return {
    publisherId: options.publisherId,
    feeds: results,
    exported: results.reduce((n, r) => n + r.exported, 0),
    rejected: results.reduce((n, r) => n + r.rejected, 0),
    failedFeeds: results.filter((r) => r.status === "failed").length,
    outputs,
    format,
    masked,
  };
}
