/**
 * One rate budget per API host shared by every worker (the SharedRate of src/core/rate-limits.ts):
 * a GCRA in Redis. Each request reserves the next free slot of the host, one interval (1000 /
 * rate ms) after the previous one, on Redis's own clock (TIME), and sleeps until it: ten workers
 * together send what one would. The learned limit (from the first worker that met a rate-limit
 * answer) is published for the others. When Redis cannot be reached, the process paces alone (its
 * own controller) and asks Redis again only after `RETRY_AFTER_MS`, so an outage does not add
 * reconnect waits to every request.
 *
 *   {p}rate:{host}:tat     the next free slot (ms, Redis clock)
 *   {p}rate:{host}:limit   the learned limit per second (kept for a day)
 */
import type { Redis } from "ioredis";
import { FeedpipeError } from "../core/errors.js";
import type { SharedRate } from "../core/rate-limits.js";
import { connectRedis } from "./redis.js";

/** KEYS: tat, limit; ARGV: interval ms (0: read the limit only). Returns { wait ms, limit }. */
const TAKE = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local interval = tonumber(ARGV[1])
local wait = 0
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat < t then tat = t end
  wait = tat - t
  redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(wait + interval + 60000))
end
return { tostring(wait), redis.call('GET', KEYS[2]) or '' }
`;

/** After a failed reservation, requests skip the shared budget this long before Redis is tried again. */
export const RETRY_AFTER_MS = 10_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(new FeedpipeError("ABORTED", "Stopped while waiting for the shared rate budget"));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export class RedisSharedRate implements SharedRate {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #known = new Map<string, number>();
  #skipUntil = 0;

  constructor(url: string, prefix = "feedpipe:") {
    this.#redis = connectRedis(url);
    this.#prefix = prefix;
  }

  async take(host: string, ratePerSec: number | undefined, signal?: AbortSignal): Promise<void> {
    const interval = ratePerSec !== undefined && ratePerSec > 0 ? 1000 / ratePerSec : 0;
    const base = `${this.#prefix}rate:${host}`;
    if (Date.now() < this.#skipUntil) return;
    let reply: [string, string];
    try {
      reply = (await this.#redis.eval(TAKE, 2, `${base}:tat`, `${base}:limit`, interval)) as [string, string];
    } catch {
      // Redis unreachable: the local controller still paces this process; the run goes on.
      this.#skipUntil = Date.now() + RETRY_AFTER_MS;
      return;
    }
    const limit = Number(reply[1]);
    if (reply[1] !== "" && Number.isFinite(limit) && limit > 0) this.#known.set(host, limit);
    await sleep(Number(reply[0]), signal);
  }

  learned(host: string, limit: number): void {
    this.#known.set(host, limit);
    this.#redis.set(`${this.#prefix}rate:${host}:limit`, String(limit), "EX", 86_400).catch(() => undefined);
  }

  known(host: string): number | undefined {
    return this.#known.get(host);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
