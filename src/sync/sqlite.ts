/**
 * The SQLite driver of the state interface (store.ts): one state file holds products, runs, locks
 * and job history (state.ts, lock.ts, history.ts do the work; this only opens them).
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { JobHistory } from "./history.js";
import { acquireLock, type HeldLock, type LockHolder, type LockOptions, lockHolder } from "./lock.js";
import { SyncState } from "./state.js";
import type { HistoryStore, OpenStoreOptions, StateBackend, SyncStore } from "./store.js";

export class SqliteBackend implements StateBackend {
  readonly path: string;
  constructor(path: string, cwd = ".") {
    this.path = resolve(cwd, path);
  }

  get where(): string {
    return this.path;
  }

  openState(options: OpenStoreOptions = {}): Promise<SyncStore> {
    return Promise.resolve(SyncState.open(this.path, options));
  }

  acquireLock(key: string, options: LockOptions): Promise<HeldLock> {
    mkdirSync(dirname(this.path), { recursive: true });
    return acquireLock(this.path, key, options);
  }

  lockHolder(key: string): Promise<LockHolder | undefined> {
    return Promise.resolve(lockHolder(this.path, key));
  }

  openHistory(): Promise<HistoryStore> {
    mkdirSync(dirname(this.path), { recursive: true });
    return Promise.resolve(JobHistory.open(this.path));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
