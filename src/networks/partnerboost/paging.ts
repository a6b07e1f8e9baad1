/**
 * Paged pulls shared by PartnerBoost's publisher-side list APIs (datafeed list, Amazon products):
 * page 1 alone, then the following pages concurrently within a bounded window (`pagesInOrder`),
 * yielded in page order with duplicates dropped by a caller-given key, and counters kept.
 *
 * How far to go: up to `ceil(total / size)` when the server gives a total (the largest total seen,
 * so a catalog that grows while paging is followed to its end; `size` is the page size asked for,
 * or page 1's when the server sends fewer; past that page while fewer products than the total have
 * come, one page more at a time until an empty one); page 1 empty under a total above 0 is
 * NET_BAD_RESPONSE; without a total, while `has_more`
 * says so (or, without either, while pages come back full). Always stop on `has_more: false` or an
 * empty page.
 *
 * Against a server that ignores `page` (the same products on every page): without a total, a page
 * that brings nothing new (every product already seen) ends the pull (`repeatedPage` says which);
 * under a total not yet reached, page 1 again (same products, same order) is NET_BAD_RESPONSE (the
 * export could not be complete);
 * and no pull goes past `maxPages` (PULL_PAGE_CAP, a clear error: the output is not written).
 */
import { FeedpipeError, NetworkError } from "../../core/errors.js";
import { type PageResult, pagesInOrder } from "../../core/pages.js";

/** Default page cap: 10,000 pages (a million products at 100 a page). */
export const DEFAULT_MAX_PAGES = 10_000;

/** One list page as the readers return it. */
export interface ListPage<T> {
  /** The server's total; undefined when it did not say. */
  total: number | undefined;
  products: T[];
  /** `has_more` (or `hasMore`) when present. */
  hasMore?: boolean | undefined;
  /** List entries that were not product objects (counted, not yielded). */
  malformed: number;
}

/** Counters of a pull (the caller adds its own: mode, requests, retries). */
export interface PagingCounters {
  pages: number;
  /** Products yielded (after duplicates were dropped). */
  products: number;
  /** Products seen again (same key) and not yielded twice. */
  duplicates: number;
  /** List entries that were not product objects, or unreadable rows of a file. */
  malformed: number;
  /** First examples of malformed entries ("page 3: ...", "line 12: ..."). */
  malformedExamples: string[];
  /** `total` from the first page (undefined when the server does not say). */
  total: number | undefined;
  /** The largest `total` seen on any page (differs from `total` when the catalog moved). */
  totalLast: number | undefined;
  /** Without a total: the page that brought nothing new and ended the pull (the server repeats itself). */
  repeatedPage?: number | undefined;
}

export function newCounters(): PagingCounters {
  return {
    pages: 0,
    products: 0,
    duplicates: 0,
    malformed: 0,
    malformedExamples: [],
    total: undefined,
    totalLast: undefined,
  };
}

/** Record malformed entries with a bounded list of examples. */
export function countMalformed(counters: PagingCounters, n: number, example: string): void {
  if (n <= 0) return;
  counters.malformed += n;
  if (counters.malformedExamples.length < 5) counters.malformedExamples.push(example);
}

/**
 * Drops items whose key was seen before (counted in `duplicates`); items without a key have no
 * identity and always pass. Kept items are counted in `products`.
 */
export class Deduper<T> {
  private readonly seen = new Set<string>();
  constructor(
    private readonly counters: Pick<PagingCounters, "products" | "duplicates">,
    private readonly key: (item: T) => string | undefined,
  ) {}

  filter(items: readonly T[]): T[] {
    const out: T[] = [];
    for (const item of items) {
      const key = this.key(item);
      if (key !== undefined) {
        if (this.seen.has(key)) {
          this.counters.duplicates++;
          continue;
        }
        this.seen.add(key);
      }
      out.push(item);
    }
    this.counters.products += out.length;
    return out;
  }
}

export interface PullPageInfo {
  page: number;
  lastPage: number;
  total: number | undefined;
  /** Products yielded so far (after duplicates). */
  products: number;
  duplicates: number;
  /** Products in this page (after duplicates). */
  pageProducts: number;
}

export interface PagedPullOptions<T> {
  /** Fetch one page (numbered from 1). */
  fetch(page: number, signal: AbortSignal): Promise<ListPage<T>>;
  /** The duplicate key of an item (undefined: never a duplicate). */
  key(item: T): string | undefined;
  /** Page size asked for (a page this full suggests more when the server says nothing else). */
  limit: number;
  /** Pages in flight at once. */
  concurrency: number;
  /** Pages held ahead of the consumer (default concurrency * 2). */
  window?: number | undefined;
  signal?: AbortSignal | undefined;
  onPage?: ((info: PullPageInfo) => void) | undefined;
  /** Never go past this page (default DEFAULT_MAX_PAGES). */
  maxPages?: number | undefined;
  /** Without a total: pages requested ahead while `has_more` says there is more (default 1). */
  lookahead?: number | undefined;
  /** Names the API in messages ("PartnerBoost", "PartnerBoost Amazon"). */
  label?: string | undefined;
}

/** Check a page cap: a whole number from 1. */
export function checkMaxPages(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option --max-pages: expected a whole number from 1, got ${String(n)}`,
      { context: { field: "--max-pages" } },
    );
  }
  return n;
}

function pageCapError(
  label: string,
  maxPages: number,
  total: number | undefined,
  limit: number,
): FeedpipeError {
  const why =
    total !== undefined
      ? `${label} reports ${total} products, ${Math.ceil(total / limit)} pages of ${limit}`
      : `${label} still says there is more after page ${maxPages} (the server may be ignoring \`page\`)`;
  return new FeedpipeError(
    "PULL_PAGE_CAP",
    `Stopped at the page cap of ${maxPages} pages: ${why}; nothing was written. Raise --max-pages if the catalog really is that large`,
    { context: { maxPages, ...(total !== undefined ? { total } : {}) } },
  );
}

function emptyFirstPage(label: string, total: number): NetworkError {
  return new NetworkError(
    "NET_BAD_RESPONSE",
    `${label} reports ${total} products but page 1 holds none; nothing was written (the server's answers do not add up)`,
    { context: { total } },
  );
}

/** A page's products by key, in order (undefined when any has no key: no identity to compare). */
function pageKeys<T>(products: readonly T[], key: (item: T) => string | undefined): string | undefined {
  const keys: string[] = [];
  for (const p of products) {
    const k = key(p);
    if (k === undefined) return undefined;
    keys.push(k);
  }
  return JSON.stringify(keys);
}

function repeatedPageError(label: string, page: number, products: number, total: number): NetworkError {
  return new NetworkError(
    "NET_BAD_RESPONSE",
    `${label} page ${page} repeats products already listed (${products} of the ${total} it reports); the server may be ignoring \`page\`; nothing was written`,
    { context: { page, products, total } },
  );
}

/** Page through a list API; `counters` is updated as pages are yielded. */
export async function* pagedPull<T>(
  options: PagedPullOptions<T>,
  counters: PagingCounters,
): AsyncGenerator<T[]> {
  const { limit } = options;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const lookahead = Math.max(1, Math.floor(options.lookahead ?? 1));
  const label = options.label ?? "PartnerBoost";
  const dedupe = new Deduper<T>(counters, options.key);
  let known = 0; // largest total seen
  let received = 0; // list entries received so far (products, duplicates and malformed)
  let pageSize = limit; // the server's page size: page 1's, when it sends fewer (or more) than asked
  let continuing = false; // the decision on the page about to be yielded
  let firstKeys: string | undefined; // page 1's products, by key, in order
  const pages = pagesInOrder<ListPage<T>>({
    concurrency: options.concurrency,
    window: options.window,
    signal: options.signal,
    fetch: options.fetch,
    decide: (result, page) => {
      if (result.total !== undefined) {
        if (counters.total === undefined) counters.total = result.total;
        known = Math.max(known, result.total);
        counters.totalLast = known;
      }
      const entries = result.products.length + result.malformed;
      received += entries;
      const empty = entries === 0;
      if (page === 1 && empty && known > 0 && result.hasMore !== false) throw emptyFirstPage(label, known);
      // A server that pages by its own size (asked for 100, sends 50): page by what it sends, or
      // half the catalog is never asked for.
      if (page === 1 && entries > 0 && entries !== limit && entries < known) pageSize = entries;
      const stop = empty || result.hasMore === false;
      let decision: { lastPage: number; stop: boolean };
      if (result.total === undefined && counters.total === undefined) {
        // No total: follow has_more, or a full page (`lookahead` pages ahead).
        const more = result.hasMore ?? result.products.length + result.malformed >= limit;
        decision = { lastPage: more && !stop ? page + lookahead : page, stop: stop || !more };
        if (!decision.stop && page >= maxPages) throw pageCapError(label, maxPages, undefined, limit);
        decision.lastPage = Math.min(decision.lastPage, maxPages);
      } else {
        let lastPage = Math.ceil(known / pageSize);
        // Fewer received than the total by the last page (shorter pages than the first): one more
        // page, and so on until an empty page or the total.
        if (!stop && page >= lastPage && received < known) lastPage = page + 1;
        decision = { lastPage, stop };
        if (!stop && decision.lastPage > maxPages) throw pageCapError(label, maxPages, known, pageSize);
      }
      continuing = !decision.stop;
      return decision;
    },
  });
  for await (const { page, result, lastPage } of pages as AsyncIterable<PageResult<ListPage<T>>>) {
    counters.pages++;
    countMalformed(
      counters,
      result.malformed,
      `page ${page}: ${result.malformed} list entries that are not products`,
    );
    const batch = dedupe.filter(result.products);
    const nothingNew = batch.length === 0 && result.products.length > 0;
    if (nothingNew && continuing && counters.total === undefined) counters.repeatedPage = page;
    if (page === 1) firstKeys = pageKeys(result.products, options.key);
    // Under a total not yet reached, page 1 again (the same products in the same order) is a server
    // that ignores `page`: an error, never an export of the first page as the catalog. A last page
    // of a few repeats (a catalog that lists some products twice) is not page 1 and stays fine.
    if (
      nothingNew &&
      page > 1 &&
      counters.total !== undefined &&
      counters.products < known &&
      firstKeys !== undefined &&
      pageKeys(result.products, options.key) === firstKeys
    ) {
      throw repeatedPageError(label, page, counters.products, known);
    }
    options.onPage?.({
      page,
      lastPage,
      total: counters.total,
      products: counters.products,
      duplicates: counters.duplicates,
      pageProducts: batch.length,
    });
    yield batch;
    // No total and nothing new: a server that ignores `page` would repeat itself forever.
    if (counters.repeatedPage !== undefined) return;
  }
}
