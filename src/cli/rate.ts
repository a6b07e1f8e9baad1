/**
 * `--rate` and `--max-wait`, shared by every command that talks to a network API, and the rate
 * part of the progress line and the summary (see src/core/rate.ts for the controller).
 */
import { type Command, Option } from "commander";
import { type NetworkSummary, networkLine, networkSummary } from "../jobs/final-pass.js";
import { DEFAULT_MAX_WAIT_MS, type RateEpisode, type RatePause } from "../core/rate.js";
import { RateLimits, type SharedRate } from "../core/rate-limits.js";
import { redisUrlOf } from "../sync/backend.js";
import type { RedisSharedRate } from "../sync/redis-rate.js";
import type { CliContext } from "./context.js";
import { numberOption } from "./options.js";

export interface RateFlags {
  rate?: number | undefined;
  maxWait?: number | undefined;
}

/** `--rate N` and `--max-wait SECONDS` as commander options. */
export function rateOptions(): Option[] {
  return [
    new Option(
      "--rate <n>",
      "at most N API requests per second (a network's published limit; default: learned from its rate-limit answers)",
    ).argParser(numberOption("--rate", 0.01, 100_000)),
    new Option(
      "--max-wait <seconds>",
      `stop the run cleanly after this long of nothing but rate-limit answers (default ${DEFAULT_MAX_WAIT_MS / 1000})`,
    ).argParser(numberOption("--max-wait", 0, 7 * 24 * 3600)),
  ];
}

export function addRateOptions(cmd: Command): Command {
  for (const o of rateOptions()) cmd.addOption(o);
  return cmd;
}

/**
 * The rate controllers of one command's run, one per API host; every command that calls a network
 * API gets them here. `notice` gets a line for each pause. With FEEDPIPE_REDIS_URL (set by `jobs
 * worker --redis`, or by hand), each host's budget is shared with every process using that Redis
 * (same API host, same budget: ten workers send what one would); the Redis driver loads and
 * connects on the first request only, and is closed when the command ends (ctx.cleanups). Without
 * it, nothing is loaded and each host is paced by this process alone.
 */
export function ratesFor(ctx: CliContext, flags: RateFlags, notice?: (line: string) => void): RateLimits {
  const url = redisUrlOf(ctx.io.env);
  const shared = url ? new LazyRedisRate(url, ctx.io.env.FEEDPIPE_REDIS_PREFIX) : undefined;
  if (shared) ctx.cleanups.push(() => shared.close());
  return new RateLimits(
    {
      maxRate: flags.rate,
      maxWaitMs: flags.maxWait === undefined ? undefined : flags.maxWait * 1000,
      onPause: notice ? (e) => notice(pauseNotice(e)) : undefined,
      // FEEDPIPE_DEBUG: what each rate-limit episode taught the controller, for "why is it slow".
      onEpisode: ctx.io.env.FEEDPIPE_DEBUG ? (e) => ctx.err(episodeLine(e)) : undefined,
    },
    shared,
  );
}

/** The Redis budget (src/sync/redis-rate.ts), imported and connected when a request first needs it. */
class LazyRedisRate implements SharedRate {
  #driver: Promise<RedisSharedRate> | undefined;
  #ready: RedisSharedRate | undefined;

  constructor(
    private readonly url: string,
    private readonly prefix: string | undefined,
  ) {}

  #load(): Promise<RedisSharedRate> {
    this.#driver ??= import("../sync/redis-rate.js").then(({ RedisSharedRate }) => {
      this.#ready = new RedisSharedRate(this.url, this.prefix);
      return this.#ready;
    });
    return this.#driver;
  }

  async take(host: string, ratePerSec: number | undefined, signal?: AbortSignal): Promise<void> {
    await (await this.#load()).take(host, ratePerSec, signal);
  }

  learned(host: string, limit: number): void {
    void this.#load().then(
      (d) => d.learned(host, limit),
      () => undefined,
    );
  }

  known(host: string): number | undefined {
    return this.#ready?.known(host);
  }

  async close(): Promise<void> {
    if (this.#driver) await (await this.#driver).close();
  }
}

/** "feedpipe: 127.0.0.1:8080 is rate limiting (HTTP 429); waiting 50 ms before the next request". */
export function pauseNotice(e: RatePause): string {
  const why =
    e.message && /\(HTTP 429\)/.test(e.message)
      ? " (HTTP 429)"
      : / 1002/.test(e.message ?? "")
        ? " (code 1002)"
        : "";
  const wait = e.pauseMs < 1000 ? `${Math.round(e.pauseMs)} ms` : `${(e.pauseMs / 1000).toFixed(1)} s`;
  return `feedpipe: ${e.host} is rate limiting${why}; waiting ${wait} before the next request\n`;
}

/**
 * "feedpipe debug: 127.0.0.1:8080: rate-limit answer to request 153 at 0.97 s (152 passed before):
 * limit unknown → ~152/s, pacing 148.2/s; pause 1.0 s (asked by the server)".
 */
export function episodeLine(e: RateEpisode): string {
  const limit = (n: number | undefined) => (n === undefined ? "unknown" : `~${one(n)}/s`);
  const pause = e.pauseMs < 1000 ? `${Math.round(e.pauseMs)} ms` : `${(e.pauseMs / 1000).toFixed(1)} s`;
  return (
    `feedpipe debug: ${e.host}: rate-limit answer to request ${e.request} at ${(e.atMs / 1000).toFixed(2)} s ` +
    `(${e.passed} passed before): limit ${limit(e.limitBefore)} → ${limit(e.limitAfter)}, ` +
    `${e.rate === undefined ? "not paced" : `pacing ${one(e.rate)}/s`}; pause ${pause}` +
    `${e.asked ? " (asked by the server)" : ""}\n`
  );
}

const one = (n: number) => (n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

/** For the progress line: "paced 19.5/s · limit ~20/s · 12 rate-limited" (undefined: nothing to say). */
export function rateStatus(rates: RateLimits): string | undefined {
  const busiest = rates.stats().sort((a, b) => b.requests - a.requests)[0];
  if (!busiest || busiest.requests === 0) return undefined;
  const parts: string[] = [];
  if (busiest.currentRate !== undefined) parts.push(`paced ${one(busiest.currentRate)}/s`);
  if (busiest.learnedLimit !== undefined) parts.push(`limit ~${one(busiest.learnedLimit)}/s`);
  if (busiest.rateLimited > 0) parts.push(`${busiest.rateLimited} rate-limited`);
  return parts.length > 0 ? parts.join(" · ") : undefined;
}

/** The summary's network line (requests, rate-limit answers, retries, achieved rate, learned limit). */
export function networkText(rates: RateLimits): { summary: NetworkSummary; line: string } {
  const summary = networkSummary(rates);
  return { summary, line: networkLine(summary) };
}
