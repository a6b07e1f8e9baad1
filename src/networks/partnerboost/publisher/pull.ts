/**
 * PartnerBoost Publisher API: the paged pull of every product matching the filters, through the
 * shared ordered concurrent paging (../paging.ts). Duplicates are keyed by sku + brand_id.
 */
import {
  checkMaxPages,
  DEFAULT_MAX_PAGES,
  newCounters,
  type PagingCounters,
  pagedPull,
  type PullPageInfo,
} from "../paging.js";
import type { PublisherClient } from "./client.js";
import { productKey, type PublisherProduct } from "./fields.js";
import {
  checkConcurrency,
  checkPageLimit,
  DEFAULT_CONCURRENCY,
  DEFAULT_PAGE_LIMIT,
  filterParams,
  type PublisherFilters,
  type ResolvedFilters,
} from "./filters.js";

export { DEFAULT_MAX_PAGES, type PullPageInfo } from "../paging.js";

export interface PullStats extends PagingCounters {
  /** "list" (paged API) or "bulk" (download file). */
  mode: "list" | "bulk";
  /** products === total; undefined when there is no total. */
  match: boolean | undefined;
  /** HTTP requests made and retries among them. */
  requests: number;
  retries: number;
}

export interface PullOptions {
  /** Page size 1..100 (default 100). */
  limit?: number | undefined;
  /** Pages in flight at once (default 4). */
  concurrency?: number | undefined;
  /** Pages held ahead of the consumer (default concurrency * 2). */
  window?: number | undefined;
  signal?: AbortSignal | undefined;
  onPage?: ((info: PullPageInfo) => void) | undefined;
  /** Never go past this page (default 10,000): PULL_PAGE_CAP. */
  maxPages?: number | undefined;
}

export interface PublisherPull {
  /** Product batches (one per page, in page order; duplicates already dropped). */
  products: AsyncIterable<PublisherProduct[]>;
  /** Counters so far; final once `products` is drained. */
  stats(): PullStats;
}

/** The counters of a pull as the caller sees them: requests and retries since it started. */
export function pullStats(
  mode: PullStats["mode"],
  counters: PagingCounters,
  client: PublisherClient,
  before: { requests: number; retries: number },
): PullStats {
  return {
    mode,
    ...counters,
    malformedExamples: [...counters.malformedExamples],
    requests: client.requests - before.requests,
    retries: client.retries - before.retries,
    match: counters.total === undefined ? undefined : counters.products === counters.total,
  };
}

/**
 * Pull every product matching the filters: page 1 alone (it tells `total`), then pages 2..N
 * concurrently within a bounded window, yielded in page order. Stops when page * limit >= total
 * (the largest total seen, so a catalog that grows while paging is followed to its end), on a
 * `has_more: false`, or on an empty page; without a total, also on a page that brings nothing new, and
 * never past `maxPages` (see ../paging.ts). Filters and options are checked when this is called,
 * before any request.
 */
export function pullPublisherProducts(
  client: PublisherClient,
  filters: PublisherFilters | ResolvedFilters = {},
  options: PullOptions = {},
): PublisherPull {
  const params = filterParams(filters);
  const limit = checkPageLimit(options.limit ?? DEFAULT_PAGE_LIMIT);
  const concurrency = checkConcurrency(options.concurrency ?? DEFAULT_CONCURRENCY);
  const counters = newCounters();
  const before = { requests: client.requests, retries: client.retries };
  const products = pagedPull<PublisherProduct>(
    {
      fetch: (page, signal) => client.listPage(params, page, limit, { signal }),
      key: productKey,
      limit,
      concurrency,
      window: options.window,
      signal: options.signal,
      onPage: options.onPage,
      maxPages: checkMaxPages(options.maxPages ?? DEFAULT_MAX_PAGES),
    },
    counters,
  );
  return { products, stats: () => pullStats("list", counters, client, before) };
}
