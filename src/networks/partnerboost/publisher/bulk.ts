/**
 * PartnerBoost Publisher API: the bulk path. Request a brand's download file, poll until it is
 * ready, then stream the CSV through the ingest reader.
 */
import { FeedpipeError, NetworkError } from "../../../core/errors.js";
import { inlineText } from "../../../core/terminal-text.js";
import type { SourceRecord } from "../../../core/record.js";
import { openFeed } from "../../../formats/index.js";
import { countMalformed, Deduper, newCounters } from "../paging.js";
import type { DownloadStatus, PublisherClient } from "./client.js";
import { normalizePublisherProduct, productKey, PUBLISHER_FIELDS, type PublisherProduct } from "./fields.js";
import { safeText } from "../values.js";
import { invalidFilter, resolvePublisherFilters } from "./filters.js";
import { type PublisherPull, pullStats } from "./pull.js";
import { sleep, throwIfAborted } from "../../../core/abort.js";

export interface BulkPollInfo {
  id: string;
  polls: number;
  status: DownloadStatus;
  elapsedMs: number;
}

export interface BulkOptions {
  /** First wait between polls (ms, default 2000); grows by half each poll up to maxPollIntervalMs. */
  pollIntervalMs?: number | undefined;
  /** Longest wait between polls (ms, default 30000). */
  maxPollIntervalMs?: number | undefined;
  /** Give up waiting for the file after this long (ms, default 10 minutes): NET_TIMEOUT. */
  timeoutMs?: number | undefined;
  /** HTTP timeout for the file download (ms). */
  downloadTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onRequested?: ((id: string) => void) | undefined;
  onPoll?: ((info: BulkPollInfo) => void) | undefined;
  /** Called as the file's raw bytes arrive. */
  onBytes?: ((n: number) => void) | undefined;
  /** Products per yielded batch are whatever the CSV reader yields. */
}

/**
 * A download location from an API answer must be an absolute http(s) URL: anything else (a local
 * path, `-`, `file:`, `data:` ...) would make the ingest reader open a local file or stdin. The value
 * is refused without being shown (it could be a path on this machine); only its kind is named.
 */
export function checkDownloadUrl(url: string, id: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // The ingest reader fetches only what starts with http(s)://: `http:/x` would be a local path.
  const http = parsed !== undefined && /^https?:\/\/[^/\\]/i.test(url);
  if (parsed === undefined || !http || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    const kind =
      parsed === undefined
        ? "not an absolute URL (a local path or a name: it is not opened)"
        : parsed.protocol === "http:" || parsed.protocol === "https:"
          ? "a malformed http(s) URL (expected http(s)://host/...)"
          : /^[a-z][a-z0-9+.-]{0,20}:$/.test(parsed.protocol)
            ? `a ${parsed.protocol} URL (only http and https are fetched)`
            : "not an http(s) URL";
    throw new NetworkError(
      "NET_BAD_RESPONSE",
      `PartnerBoost said download ${inlineText(id)} is ready but its data.url is ${kind}; the file was refused`,
      { context: { downloadId: id } },
    );
  }
  return url;
}

/**
 * Request a brand's download file and poll until it is ready. Returns the file URL (always http(s),
 * see `checkDownloadUrl`). FAIL → NET_DOWNLOAD_FAILED; not ready within `timeoutMs` → NET_TIMEOUT.
 */
export async function waitForDownload(
  client: PublisherClient,
  brandId: string | number,
  options: BulkOptions = {},
): Promise<{ id: string; url: string; polls: number }> {
  const interval = options.pollIntervalMs ?? 2_000;
  const maxInterval = Math.max(interval, options.maxPollIntervalMs ?? 30_000);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = Date.now();
  const id = await client.requestDownload(brandId, { signal: options.signal });
  options.onRequested?.(id);
  let wait = interval;
  for (let polls = 1; ; polls++) {
    const { status, url } = await client.getDownloadUrl(id, { signal: options.signal });
    const elapsedMs = Date.now() - started;
    options.onPoll?.({ id, polls, status, elapsedMs });
    if (status === "OK") {
      if (url === "") {
        throw new NetworkError(
          "NET_BAD_RESPONSE",
          `PartnerBoost said download ${inlineText(id)} is ready (OK) but gave no URL`,
          { context: { downloadId: id } },
        );
      }
      return { id, url: checkDownloadUrl(url, id), polls };
    }
    if (status === "FAIL") {
      throw new NetworkError(
        "NET_DOWNLOAD_FAILED",
        `PartnerBoost could not prepare the product file for brand ${String(brandId)} (download ${inlineText(id)}: status FAIL); try again later or pull page by page without --bulk`,
        { context: { downloadId: id, brandId: String(brandId) } },
      );
    }
    if (elapsedMs + wait > timeoutMs) {
      throw new NetworkError(
        "NET_TIMEOUT",
        `PartnerBoost's product file for brand ${String(brandId)} (download ${inlineText(id)}) was still PENDING after ${Math.round(elapsedMs / 1000)} s and ${polls} polls; try again later or raise the bulk timeout`,
        { context: { downloadId: id, brandId: String(brandId), polls } },
      );
    }
    await sleep(wait, options.signal, "The pull was interrupted");
    wait = Math.min(maxInterval, Math.ceil(wait * 1.5));
  }
}

/**
 * The file's header must name at least one product field (sku, name, url, ...): a login page or an
 * error page in HTML would otherwise become rows of empty products that replace a good export.
 */
function checkProductHeader(columns: string[], id: string): void {
  const known = new Set<string>(PUBLISHER_FIELDS);
  const named = columns.some((c) => {
    const k = c
      .replace(/^\uFEFF/, "")
      .trim()
      .toLowerCase();
    return known.has(k) || k === "updated-at";
  });
  if (named) return;
  const first = safeText(columns[0] ?? "", 60);
  throw new NetworkError(
    "NET_BAD_RESPONSE",
    `PartnerBoost's file for download ${inlineText(id)} is not a product CSV (its first line names none of the product fields${first ? `; it starts with "${first}"` : ""}); nothing was exported`,
    { context: { downloadId: id } },
  );
}

function describeProblem(r: SourceRecord): string {
  const where = r.line !== undefined ? `line ${r.line}` : `record ${r.index}`;
  return `${where}: ${r.problem?.message ?? "unreadable row"}`;
}

/**
 * The bulk path: request the brand's file, poll until ready, then stream the CSV at the URL through
 * the ingest reader (openFeed). Rows the reader could not read cleanly (ragged rows, bad bytes) are
 * counted as malformed with examples, not exported; duplicates are dropped as in the paged pull.
 */
export function bulkPublisherProducts(
  client: PublisherClient,
  brandId: string | number,
  options: BulkOptions = {},
): PublisherPull & { download(): { id: string; url: string; polls: number } | undefined } {
  const resolved = resolvePublisherFilters({ brandId }).brand_id;
  if (resolved === undefined) throw invalidFilter("brandId", "a brand id of digits (like 66303)", brandId);
  const counters = newCounters();
  const dedupe = new Deduper<PublisherProduct>(counters, productKey);
  const before = { requests: client.requests, retries: client.retries };
  let download: { id: string; url: string; polls: number } | undefined;

  async function* run(): AsyncGenerator<PublisherProduct[]> {
    download = await waitForDownload(client, resolved!, options);
    const feed = await openFeed(download.url, {
      format: "csv",
      timeoutMs: options.downloadTimeoutMs,
      signal: options.signal,
      onBytes: options.onBytes,
    }).catch((err: unknown) => {
      if (err instanceof FeedpipeError && err.code === "FEED_EMPTY") return undefined; // no products
      throw err;
    });
    if (feed === undefined) return;
    let checked = false;
    for await (const records of feed.records) {
      throwIfAborted(options.signal, "The pull was interrupted");
      if (!checked && records.length > 0) {
        checked = true;
        checkProductHeader(Object.keys(records[0]!.fields), download.id);
      }
      const products: PublisherProduct[] = [];
      for (const r of records) {
        if (r.problem?.severity === "error") {
          countMalformed(counters, 1, describeProblem(r));
          continue;
        }
        products.push(normalizePublisherProduct(r.fields));
      }
      yield dedupe.filter(products);
    }
  }

  return {
    products: run(),
    // One download, no pages: `pages` stays 0 (the CSV's batches are not pages).
    stats: () => pullStats("bulk", counters, client, before),
    download: () => download,
  };
}
