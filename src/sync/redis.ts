/**
 * The Redis driver of the state interface (store.ts): many workers on many machines share one
 * sync state, one set of locks and one job history.
 *
 *   {p}sku:{endpoint}|{brand}     hash  SKU → 16-byte sha256 prefix + price text ("12.5 EUR")
 *   {p}runs:seq                   counter of run ids
 *   {p}run:{id}                   string  the run (JSON)
 *   {p}runs:{endpoint}|{brand}    list    the brand's newest run ids (newest first, last 100)
 *   {p}lastok:{endpoint}|{brand}  string  the id of the last ok/partial run (the publish gate)
 *   {p}lock:{key}                 string  the holder (JSON with a random token), PX time-to-live
 *   {p}job…                       job history (redis-history.ts)
 *
 * Confirmations are buffered and written in one pipeline per `flushEvery` (default 25): a killed
 * worker loses at most those, which are sent again by the next run (the network upserts by SKU).
 * A lock is SET NX PX with a token; its holder extends it every `heartbeatMs`, so a dead worker's
 * lock expires by itself after `ttlMs`. Nothing secret is stored: ids, SKUs, digests, times, counts.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { hostname } from "node:os";
import { Redis } from "ioredis";
import { FeedpipeError } from "../core/errors.js";
import { RedisHistory } from "./redis-history.js";
import { type HeldLock, LockBusyError, type LockHolder, type LockOptions } from "./lock.js";
import { endpointKey, type RunCounts, type RunRow, type RunStatus } from "./state.js";
import type { HistoryStore, OpenStoreOptions, StateBackend, SyncStore } from "./store.js";

const DIGEST_BYTES = 16;
const RUNS_KEPT = 100;

/** A Redis URL with any password removed (for messages). */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "redis URL";
  }
}

export function redisError(where: string, err: unknown): FeedpipeError {
  if (err instanceof FeedpipeError) return err;
  return new FeedpipeError("STATE_ERROR", `Sync state ${where}: ${(err as Error).message}`, { cause: err });
}

/** A connection that fails fast (a few reconnects) instead of queueing commands forever. */
export function connectRedis(url: string, options: { bullmq?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    // BullMQ's blocking connections need null; plain state commands give up after a few tries.
    maxRetriesPerRequest: options.bullmq ? null : 3,
    retryStrategy: (times) => (times > 20 ? null : Math.min(times * 100, 2000)),
  });
  redis.on("error", () => {
    // Reported by the command that fails; an idle connection's errors are only reconnects.
  });
  return redis;
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

interface StoredRun extends RunRow {
  endpoint: string;
}

export class RedisState implements SyncStore {
  private pending = new Map<string, { sku: string; brandId: string; value: Buffer }>();
  private cache = new Map<string, Buffer | null>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly where: string,
    readonly endpoint: string,
    private readonly readonly: boolean,
    private readonly flushEvery: number,
  ) {}

  private scope(brandId: string): string {
    return `${this.endpoint}|${brandId}`;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new FeedpipeError("STATE_ERROR", `Sync state ${this.where} is closed`);
    try {
      return await fn();
    } catch (err) {
      throw redisError(this.where, err);
    }
  }

  private async stored(brandId: string, sku: string): Promise<Buffer | undefined> {
    const key = `${brandId}\u0000${sku}`;
    const p = this.pending.get(key);
    if (p) return p.value;
    if (this.cache.has(key)) return this.cache.get(key) ?? undefined;
    const v = await this.guard(() => this.redis.hgetBuffer(`${this.prefix}sku:${this.scope(brandId)}`, sku));
    return v ?? undefined;
  }

  async prefetch(brandId: string, skus: readonly string[]): Promise<void> {
    this.cache.clear();
    if (skus.length === 0) return;
    const values = await this.guard(() =>
      this.redis.hmgetBuffer(`${this.prefix}sku:${this.scope(brandId)}`, ...skus),
    );
    skus.forEach((sku, i) => this.cache.set(`${brandId}\u0000${sku}`, values[i] ?? null));
  }

  async confirmedHash(brandId: string, sku: string): Promise<string | undefined> {
    const v = await this.stored(brandId, sku);
    return v && v.length >= DIGEST_BYTES ? v.subarray(0, DIGEST_BYTES).toString("hex") : undefined;
  }

  async confirmedPrice(brandId: string, sku: string): Promise<string | undefined> {
    const v = await this.stored(brandId, sku);
    return v && v.length > DIGEST_BYTES ? v.subarray(DIGEST_BYTES).toString("utf8") : undefined;
  }

  async confirm(brandId: string, sku: string, hash: string, _at?: Date, price?: string): Promise<void> {
    if (this.readonly)
      throw new FeedpipeError("STATE_ERROR", `Sync state ${this.where} was opened read-only`);
    const digest = Buffer.from(hash.slice(0, DIGEST_BYTES * 2), "hex");
    const value = price ? Buffer.concat([digest, Buffer.from(price, "utf8")]) : digest;
    this.pending.set(`${brandId}\u0000${sku}`, { brandId, sku, value });
    if (this.pending.size >= this.flushEvery) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0 || this.readonly) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    await this.guard(async () => {
      const multi = this.redis.multi();
      for (const p of batch) multi.hset(`${this.prefix}sku:${this.scope(p.brandId)}`, p.sku, p.value);
      await multi.exec();
    });
  }

  async confirmedCount(brandId: string): Promise<number> {
    await this.flush();
    return this.guard(() => this.redis.hlen(`${this.prefix}sku:${this.scope(brandId)}`));
  }

  private async run(id: string | null): Promise<RunRow | undefined> {
    if (!id) return undefined;
    const json = await this.redis.get(`${this.prefix}run:${id}`);
    if (!json) return undefined;
    const { endpoint: _e, ...row } = JSON.parse(json) as StoredRun;
    return row;
  }

  lastCompletedRun(brandId: string): Promise<RunRow | undefined> {
    return this.guard(async () =>
      this.run(await this.redis.get(`${this.prefix}lastok:${this.scope(brandId)}`)),
    );
  }

  lastRun(brandId: string): Promise<RunRow | undefined> {
    return this.guard(async () =>
      this.run(await this.redis.lindex(`${this.prefix}runs:${this.scope(brandId)}`, 0)),
    );
  }

  async startRun(brandId: string, at: Date = new Date()): Promise<number> {
    if (this.readonly) throw new FeedpipeError("STATE_ERROR", `Sync state ${this.where} is read-only`);
    return this.guard(async () => {
      const id = await this.redis.incr(`${this.prefix}runs:seq`);
      const row: StoredRun = {
        id,
        brandId,
        endpoint: this.endpoint,
        startedAt: at.toISOString(),
        finishedAt: undefined,
        status: "running",
        ...{ read: 0, valid: 0, invalid: 0, sent: 0, unchanged: 0, failed: 0 },
      };
      const list = `${this.prefix}runs:${this.scope(brandId)}`;
      await this.redis
        .multi()
        .set(`${this.prefix}run:${id}`, JSON.stringify(row))
        .lpush(list, String(id))
        .ltrim(list, 0, RUNS_KEPT - 1)
        .exec();
      return id;
    });
  }

  async finishRun(id: number, status: RunStatus, counts: RunCounts, at: Date = new Date()): Promise<void> {
    if (this.readonly) return;
    await this.flush();
    await this.guard(async () => {
      const json = await this.redis.get(`${this.prefix}run:${id}`);
      if (!json) return;
      const prev = JSON.parse(json) as StoredRun;
      const row: StoredRun = { ...prev, ...counts, status, finishedAt: at.toISOString() };
      const multi = this.redis.multi().set(`${this.prefix}run:${id}`, JSON.stringify(row));
      if (status === "ok" || status === "partial") {
        multi.set(`${this.prefix}lastok:${prev.endpoint}|${prev.brandId}`, String(id));
      }
      await multi.exec();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
  }
}

export interface RedisBackendOptions {
  /** Key prefix (default "feedpipe:"). */
  prefix?: string | undefined;
  /** Default time-to-live of a lock whose holder stops its heartbeat (ms, default 30 000). */
  lockTtlMs?: number | undefined;
}

export class RedisBackend implements StateBackend {
  readonly where: string;
  readonly redis: Redis;
  readonly prefix: string;
  private readonly lockTtlMs: number;

  constructor(
    readonly url: string,
    options: RedisBackendOptions = {},
  ) {
    this.where = safeRedisUrl(url);
    this.prefix = options.prefix ?? "feedpipe:";
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
    this.redis = connectRedis(url);
  }

  openState(options: OpenStoreOptions = {}): Promise<SyncStore> {
    const endpoint = options.endpoint === undefined ? "" : endpointKey(options.endpoint);
    return Promise.resolve(
      new RedisState(
        this.redis,
        this.prefix,
        this.where,
        endpoint,
        options.readonly === true,
        options.flushEvery ?? 25,
      ),
    );
  }

  async acquireLock(key: string, options: LockOptions): Promise<HeldLock> {
    const now = options.now ?? Date.now;
    const ttl = options.ttlMs ?? this.lockTtlMs;
    const token = randomUUID();
    const redisKey = `${this.prefix}lock:${key}`;
    const value = JSON.stringify({
      token,
      holder: options.holder,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date(now()).toISOString(),
    });
    const started = now();
    const waitMs = options.waitMs ?? 0;
    for (;;) {
      const ok = await this.redis.set(redisKey, value, "PX", ttl, "NX").catch((e: unknown) => {
        throw redisError(this.where, e);
      });
      if (ok === "OK") break;
      const waited = now() - started;
      if (waited >= waitMs) {
        const holder = (await this.lockHolder(key)) ?? unknownHolder(key);
        throw new LockBusyError(key, holder, waitMs > 0 ? waited : 0);
      }
      if (options.signal?.aborted) throw new FeedpipeError("ABORTED", "Stopped while waiting for the lock");
      // A timer that holds the process (unref'd, the process could end mid-wait with exit 0).
      await sleep(Math.min(options.pollMs ?? 500, waitMs - waited), undefined, {
        signal: options.signal,
      }).catch((e: unknown) => {
        throw new FeedpipeError("ABORTED", "Stopped while waiting for the lock", { cause: e });
      });
    }
    const timer = setInterval(
      () => {
        this.redis.eval(EXTEND, 1, redisKey, value, ttl).catch(() => {
          // A failed heartbeat only lets the lock expire sooner.
        });
      },
      options.heartbeatMs ?? Math.min(5_000, Math.floor(ttl / 3)),
    );
    timer.unref();
    let released = false;
    return {
      key,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, redisKey, value).catch(() => undefined);
      },
    };
  }

  async lockHolder(key: string): Promise<LockHolder | undefined> {
    const redisKey = `${this.prefix}lock:${key}`;
    const [json, pttl] = await Promise.all([this.redis.get(redisKey), this.redis.pttl(redisKey)]).catch(
      (e: unknown) => {
        throw redisError(this.where, e);
      },
    );
    if (!json) return undefined;
    const v = JSON.parse(json) as { holder: string; pid: number; host: string; startedAt: string };
    return {
      key,
      holder: v.holder,
      pid: v.pid,
      host: v.host,
      startedAt: v.startedAt,
      heartbeatAt: new Date(Date.now() - Math.max(0, this.lockTtlMs - pttl)).toISOString(),
    };
  }

  openHistory(): Promise<HistoryStore> {
    return Promise.resolve(new RedisHistory(this.redis, this.prefix, this.where));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function unknownHolder(key: string): LockHolder {
  const at = new Date().toISOString();
  return { key, holder: "another run", pid: 0, host: "?", startedAt: at, heartbeatAt: at };
}
