/**
 * One run at a time per brand (or campaign) and state: a lock row in the state's SQLite database.
 *
 *   locks(key, owner, holder, pid, host, started_at, heartbeat_at)
 *
 * Taking the lock is one IMMEDIATE transaction, so two processes sharing a state file cannot both
 * win. The holder refreshes `heartbeat_at` every few seconds while it runs. A lock whose holder died
 * is taken over without a human: on the same host when its pid no longer exists, on any host when
 * its heartbeat is older than the time-to-live (a reboot, a dead container).
 *
 * Nothing secret is stored: the key is made of ids, the holder is a command or job name.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { FeedpipeError } from "../core/errors.js";

export interface LockHolder {
  key: string;
  /** What holds it: `push`, `register partnerboost`, `job acme-nightly`… */
  holder: string;
  pid: number;
  host: string;
  startedAt: string;
  heartbeatAt: string;
}

export interface LockOptions {
  /** What is taking the lock (shown to the run that is refused). */
  holder: string;
  /** Wait up to this long for a live holder to finish (ms); 0 refuses at once (default). */
  waitMs?: number | undefined;
  /** Heartbeat period (ms, default 5 000). */
  heartbeatMs?: number | undefined;
  /** A heartbeat older than this marks the holder dead (ms, default 30 000). */
  ttlMs?: number | undefined;
  /** Poll period while waiting (ms, default 500). */
  pollMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** For tests: the clock, the wait between polls, and the liveness check of a pid on this host. */
  now?: (() => number) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  isAlive?: ((pid: number) => boolean) | undefined;
}

export interface HeldLock {
  readonly key: string;
  /** Release the lock (idempotent). */
  release(): void | Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS locks (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  holder TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface RawLock {
  key: string;
  owner: string;
  holder: string;
  pid: number;
  host: string;
  started_at: string;
  heartbeat_at: number;
}

/** Does a process with this pid exist on this host? (EPERM: it exists, owned by someone else.) */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function describe(l: RawLock): LockHolder {
  return {
    key: l.key,
    holder: l.holder,
    pid: l.pid,
    host: l.host,
    startedAt: l.started_at,
    heartbeatAt: new Date(l.heartbeat_at).toISOString(),
  };
}

/** One line naming who holds a lock. */
export function describeHolder(h: LockHolder): string {
  return `${h.holder} (pid ${h.pid} on ${h.host}, started ${h.startedAt})`;
}

export class LockBusyError extends FeedpipeError {
  readonly holder: LockHolder;
  constructor(key: string, holder: LockHolder, waitedMs: number) {
    super(
      "LOCK_BUSY",
      `Another run holds the lock for ${key}: ${describeHolder(holder)}` +
        (waitedMs > 0 ? `; waited ${Math.round(waitedMs / 1000)} s` : "; use --wait to wait for it"),
    );
    this.holder = holder;
  }
}

/**
 * Take the lock `key` in the state database at `path` (created if missing), or throw LOCK_BUSY
 * naming the live holder. With `waitMs`, wait for it instead (polling), up to that long.
 */
export async function acquireLock(path: string, key: string, options: LockOptions): Promise<HeldLock> {
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? pidAlive;
  const ttl = options.ttlMs ?? 30_000;
  const host = hostname();
  const owner = randomUUID();
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 5_000 });
    db.pragma("journal_mode = WAL");
    db.exec(SCHEMA);
  } catch (err) {
    throw new FeedpipeError("STATE_ERROR", `Sync state ${path}: ${(err as Error).message}`, { cause: err });
  }
  const select = db.prepare<[string], RawLock>("SELECT * FROM locks WHERE key = ?");
  const upsert = db.prepare(
    `INSERT INTO locks (key, owner, holder, pid, host, started_at, heartbeat_at)
     VALUES (@key, @owner, @holder, @pid, @host, @started_at, @heartbeat_at)
     ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, holder = excluded.holder, pid = excluded.pid,
       host = excluded.host, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
  );
  const beat = db.prepare("UPDATE locks SET heartbeat_at = ? WHERE key = ? AND owner = ?");
  const remove = db.prepare("DELETE FROM locks WHERE key = ? AND owner = ?");

  const live = (l: RawLock): boolean => {
    if (now() - l.heartbeat_at > ttl) return false;
    return l.host !== host || isAlive(l.pid);
  };
  const tryTake = db
    .transaction((): RawLock | undefined => {
      const current = select.get(key);
      if (current && current.owner !== owner && live(current)) return current;
      const t = now();
      upsert.run({
        key,
        owner,
        holder: options.holder,
        pid: process.pid,
        host,
        started_at: new Date(t).toISOString(),
        heartbeat_at: t,
      });
      return undefined;
    })
    .immediate.bind(undefined);

  const started = now();
  const waitMs = options.waitMs ?? 0;
  try {
    for (;;) {
      const busy = tryTake();
      if (busy === undefined) break;
      const waited = now() - started;
      // A refusal without --wait says how to wait; after waiting it says for how long.
      if (waited >= waitMs) throw new LockBusyError(key, describe(busy), waitMs === 0 ? 0 : waited);
      options.signal?.throwIfAborted();
      const pause = Math.min(options.pollMs ?? 500, waitMs - waited);
      if (options.sleep) await options.sleep(pause);
      // A timer that holds the process: waiting is the only thing it does (unref'd, the process
      // ended mid-wait with exit 0, having done nothing).
      else await sleep(pause, undefined, { signal: options.signal });
    }
  } catch (err) {
    db.close();
    if (err instanceof FeedpipeError) throw err;
    if ((err as Error).name === "AbortError") {
      throw new FeedpipeError("ABORTED", "Stopped while waiting for the lock", { cause: err });
    }
    throw new FeedpipeError("STATE_ERROR", `Sync state ${path}: ${(err as Error).message}`, { cause: err });
  }

  const timer = setInterval(() => {
    try {
      beat.run(now(), key, owner);
    } catch {
      // A failed heartbeat only shortens the time others wait for a dead holder.
    }
  }, options.heartbeatMs ?? 5_000);
  timer.unref();
  let released = false;
  return {
    key,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        remove.run(key, owner);
      } finally {
        db.close();
      }
    },
  };
}

/** Who holds `key` now, if anyone alive (for `jobs status`). */
export function lockHolder(
  path: string,
  key: string,
  now = Date.now(),
  ttlMs = 30_000,
): LockHolder | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const row = db.prepare<[string], RawLock>("SELECT * FROM locks WHERE key = ?").get(key);
    if (!row || now - row.heartbeat_at > ttlMs) return undefined;
    if (row.host === hostname() && !pidAlive(row.pid)) return undefined;
    return describe(row);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
