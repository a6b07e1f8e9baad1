/**
 * Which driver holds the sync state: Redis when FEEDPIPE_REDIS_URL is set (workers on many machines
 * share it; `jobs … --redis URL` sets it for the commands a worker runs), otherwise the SQLite file.
 *
 *   FEEDPIPE_REDIS_URL      redis://[user:password@]host:port[/db]
 *   FEEDPIPE_REDIS_PREFIX   key prefix (default "feedpipe:"), to share one server between setups
 *   FEEDPIPE_LOCK_TTL_MS    a brand lock whose holder stopped beating expires after this (default 30 000)
 */
import { SqliteBackend } from "./sqlite.js";
import type { StateBackend } from "./store.js";

export type Env = Readonly<Record<string, string | undefined>>;

export function redisUrlOf(env: Env): string | undefined {
  const url = env.FEEDPIPE_REDIS_URL?.trim();
  return url ? url : undefined;
}

/**
 * The backend for this environment; the SQLite one at `statePath` (resolved against `cwd`). The
 * Redis driver (and ioredis) is loaded only when it is used.
 */
export async function openBackend(env: Env, statePath: string, cwd = "."): Promise<StateBackend> {
  const url = redisUrlOf(env);
  if (url) {
    const { RedisBackend } = await import("./redis.js");
    const ttl = Number(env.FEEDPIPE_LOCK_TTL_MS);
    return new RedisBackend(url, {
      prefix: env.FEEDPIPE_REDIS_PREFIX,
      lockTtlMs: Number.isInteger(ttl) && ttl >= 1000 ? ttl : undefined,
    });
  }
  return new SqliteBackend(statePath, cwd);
}
