/**
 * The sync state, locks and job history behind one interface with two drivers:
 *
 *   SQLite (sqlite.ts over state.ts / lock.ts / history.ts)  one machine, the embedded default
 *   Redis  (redis.ts)                                        many workers sharing one state
 *
 * Methods may answer synchronously (SQLite) or with a promise (Redis): callers always `await`.
 * Both drivers pass one contract suite (test/state-contract.ts).
 */
import type { JobRunEnd, JobRunRecord } from "./history.js";
import type { HeldLock, LockHolder, LockOptions } from "./lock.js";
import type { RunCounts, RunRow, RunStatus } from "./state.js";

export type MaybePromise<T> = T | Promise<T>;

/** Confirmed content per endpoint + brand + SKU, and the runs (see state.ts). */
export interface SyncStore {
  /** The hash (sha256 hex) of the last confirmed content; drivers may compare on a prefix. */
  confirmedHash(brandId: string, sku: string): MaybePromise<string | undefined>;
  /** Load the confirmations of these SKUs in one round trip before a batch is checked (optional). */
  prefetch?(brandId: string, skus: readonly string[]): Promise<void>;
  confirmedPrice(brandId: string, sku: string): MaybePromise<string | undefined>;
  confirm(brandId: string, sku: string, hash: string, at?: Date, price?: string): MaybePromise<void>;
  flush(): MaybePromise<void>;
  confirmedCount(brandId: string): MaybePromise<number>;
  lastCompletedRun(brandId: string): MaybePromise<RunRow | undefined>;
  lastRun(brandId: string): MaybePromise<RunRow | undefined>;
  startRun(brandId: string, at?: Date): MaybePromise<number>;
  finishRun(id: number, status: RunStatus, counts: RunCounts, at?: Date): MaybePromise<void>;
  close(): MaybePromise<void>;
}

/** Job run history (see history.ts). */
export interface HistoryStore {
  start(job: string, command: string, at?: Date): MaybePromise<number>;
  finish(id: number, end: JobRunEnd, at?: Date): MaybePromise<void>;
  skipped(job: string, command: string, reason: string, at?: Date): MaybePromise<void>;
  recent(job: string, limit?: number): MaybePromise<JobRunRecord[]>;
  close(): MaybePromise<void>;
}

export interface OpenStoreOptions {
  endpoint?: string | undefined;
  readonly?: boolean | undefined;
  flushEvery?: number | undefined;
}

/** One place sync state lives: a SQLite file, or a Redis server. */
export interface StateBackend {
  /** Where it is, for messages (a file path, or a Redis URL without credentials). */
  readonly where: string;
  openState(options?: OpenStoreOptions): Promise<SyncStore>;
  acquireLock(key: string, options: LockOptions): Promise<HeldLock>;
  lockHolder(key: string): Promise<LockHolder | undefined>;
  openHistory(): Promise<HistoryStore>;
  /** Release the connection (the SQLite driver opens per use: nothing to do). */
  close(): Promise<void>;
}

/**
 * Does a stored confirmation hash match a product's sha256 hex? The Redis driver keeps the first
 * 16 bytes (32 hex digits) of the digest, SQLite the whole one: a prefix match serves both.
 */
export function hashMatches(stored: string | undefined, hash: string): boolean {
  return stored !== undefined && stored.length >= 32 && hash.startsWith(stored);
}
