/**
 * `pagesInOrder`: fetch page `start` alone (it tells how many pages there are), then the following
 * pages concurrently (p-limit) while holding at most `window` pages ahead of the consumer, and
 * yield them strictly in page order, so the output is stable whatever order the answers arrive in.
 * Memory is bounded by the window, not by the number of pages. Shared by every paged network
 * client (networks/) and the pull jobs.
 */
import { setMaxListeners } from "node:events";
import pLimit from "p-limit";
import { throwIfAborted, toAborted } from "./abort.js";

const INTERRUPTED = "The pull was interrupted";

export interface PageDecision {
  /** The last page number as known now (it may grow when the source reports a larger total). */
  lastPage: number;
  /** Stop after this page (an empty page, a `has_more: false`, ...). */
  stop?: boolean | undefined;
}

export interface PagesInOrderOptions<P> {
  /** Fetch one page; `signal` is aborted when the consumer stops or another page failed. */
  fetch(page: number, signal: AbortSignal): Promise<P>;
  /** Look at a page (in page order, before it is yielded) and say how far to go. */
  decide(result: P, page: number): PageDecision;
  /** Pages in flight at once (>= 1). */
  concurrency: number;
  /** Pages fetched or in flight ahead of the consumer (default concurrency * 2, at least concurrency). */
  window?: number | undefined;
  /** First page number (default 1). */
  start?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface PageResult<P> {
  page: number;
  result: P;
  /** The last page as known once this page was seen. */
  lastPage: number;
}

/** Fetch pages concurrently within a bounded window and yield them in page order. */
export async function* pagesInOrder<P>(options: PagesInOrderOptions<P>): AsyncGenerator<PageResult<P>> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const window = Math.max(concurrency, Math.floor(options.window ?? concurrency * 2));
  const start = options.start ?? 1;
  const inner = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, inner.signal]) : inner.signal;
  // Every request in flight (and every retry wait) listens on this one signal.
  setMaxListeners(Math.max(10, window * 3 + 10), signal);
  const limit = pLimit({ concurrency, rejectOnClear: true });
  const scheduled = new Map<number, Promise<P>>();
  const check = () => throwIfAborted(options.signal, INTERRUPTED);
  try {
    check();
    const first = await options.fetch(start, signal);
    check();
    let decision = options.decide(first, start);
    let lastPage = decision.lastPage;
    yield { page: start, result: first, lastPage };
    if (decision.stop) return;
    let nextToYield = start + 1;
    let nextToSchedule = start + 1;
    const fill = () => {
      while (nextToSchedule <= lastPage && nextToSchedule < nextToYield + window) {
        const page = nextToSchedule++;
        const p = limit(() => options.fetch(page, signal));
        p.catch(() => undefined); // awaited in order below; never an unhandled rejection
        scheduled.set(page, p);
      }
    };
    while (nextToYield <= lastPage) {
      fill();
      const pending = scheduled.get(nextToYield);
      if (pending === undefined) break;
      const result = await pending;
      check();
      scheduled.delete(nextToYield);
      decision = options.decide(result, nextToYield);
      lastPage = Math.max(decision.lastPage, nextToYield);
      yield { page: nextToYield, result, lastPage };
      if (decision.stop) return;
      nextToYield++;
    }
  } catch (err) {
    throw options.signal?.aborted ? toAborted(err, options.signal, INTERRUPTED) : err;
  } finally {
    // Stop everything still queued or in flight (consumer broke off, a page failed, or done).
    limit.clearQueue();
    inner.abort();
    scheduled.clear();
  }
}
