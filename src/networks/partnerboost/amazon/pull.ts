/**
 * Pull every Amazon product matching the filters (`get_fba_products`) through the shared ordered
 * concurrent paging (../paging.ts): there is no total, so while `has_more` says there is more, up to
 * `concurrency` pages are requested ahead and yielded in page order; `has_more: false` or an empty
 * page ends it (pages fetched past the end are dropped), as do a page of nothing new and the page
 * cap. Duplicates are keyed by `product_id`.
 */
import {
  checkMaxPages,
  DEFAULT_MAX_PAGES,
  newCounters,
  type PagingCounters,
  pagedPull,
  type PullPageInfo,
} from "../paging.js";
import type { AmazonClient } from "./client.js";
import { type AmazonProduct, amazonProductKey } from "./fields.js";
import {
  type AmazonFilters,
  checkRange,
  DEFAULT_AMAZON_PAGE_SIZE,
  MAX_AMAZON_PAGE_SIZE,
  resolveAmazonFilters,
} from "./filters.js";

export const DEFAULT_AMAZON_CONCURRENCY = 4;

export interface AmazonPullOptions {
  /** Products per page, 1..100 (default 20). */
  pageSize?: number | undefined;
  /** Pages in flight at once (default 4). */
  concurrency?: number | undefined;
  window?: number | undefined;
  signal?: AbortSignal | undefined;
  onPage?: ((info: PullPageInfo) => void) | undefined;
  /** Never go past this page (default 10,000): PULL_PAGE_CAP. */
  maxPages?: number | undefined;
}

export interface AmazonPullStats extends PagingCounters {
  requests: number;
  retries: number;
}

export interface AmazonPull {
  /** Product batches, one per page, in page order, duplicates dropped. */
  products: AsyncIterable<AmazonProduct[]>;
  stats(): AmazonPullStats;
}

/** Filters and options are checked when this is called, before any request. */
export function pullAmazonProducts(
  client: AmazonClient,
  filters: AmazonFilters = {},
  options: AmazonPullOptions = {},
): AmazonPull {
  const params = resolveAmazonFilters(filters);
  const pageSize = checkRange(
    "--page-size",
    options.pageSize ?? DEFAULT_AMAZON_PAGE_SIZE,
    1,
    MAX_AMAZON_PAGE_SIZE,
  );
  const concurrency = checkRange("--concurrency", options.concurrency ?? DEFAULT_AMAZON_CONCURRENCY, 1, 64);
  const maxPages = checkMaxPages(options.maxPages ?? DEFAULT_MAX_PAGES);
  const counters = newCounters();
  const before = { requests: client.requests, retries: client.retries };
  const products = pagedPull<AmazonProduct>(
    {
      fetch: (page, signal) => client.productsPage(params, page, pageSize, { signal }),
      key: amazonProductKey,
      limit: pageSize,
      concurrency,
      lookahead: concurrency,
      window: options.window,
      signal: options.signal,
      onPage: options.onPage,
      maxPages,
      label: "PartnerBoost's Amazon API",
    },
    counters,
  );
  return {
    products,
    stats: () => ({
      ...counters,
      malformedExamples: [...counters.malformedExamples],
      requests: client.requests - before.requests,
      retries: client.retries - before.retries,
    }),
  };
}
