/**
 * `--rate` and `--max-wait`, shared by every command that talks to a network API, and the rate
 * part of the progress line and the summary (see src/core/rate.ts for the controller).
 */
import { type Command, Option } from "commander";
import { type NetworkSummary, networkLine, networkSummary } from "../jobs/final-pass.js";
import { DEFAULT_MAX_WAIT_MS, type RatePause } from "../core/rate.js";
import { RateLimits, type SharedRate } from "../core/rate-limits.js";
import { redisUrlOf } from "../sync/backend.js";
import type { RedisSharedRate } from "../sync/redis-rate.js";
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

/** The run's rate controllers, one per API host; `notice` gets a line for each pause. */
export function rateLimitsFor(
  flags: RateFlags,
  notice?: (line: string) => void,
  shared?: SharedRate,
): RateLimits {
  return new RateLimits(
    {
      maxRate: flags.rate,
      maxWaitMs: flags.maxWait === undefined ? undefined : flags.maxWait * 1000,
      onPause: notice ? (e) => notice(pauseNotice(e)) : undefined,
    },
    shared,
  );
}

/**
 * With FEEDPIPE_REDIS_URL (a BullMQ worker, or by hand), the rate budget of each API host is shared
 * with every other process using that Redis; close it when the command ends.
 */
export async function sharedRateFor(
  env: Record<string, string | undefined>,
): Promise<RedisSharedRate | undefined> {
  const url = redisUrlOf(env);
  if (!url) return undefined;
  const { RedisSharedRate } = await import("../sync/redis-rate.js");
  return new RedisSharedRate(url, env.FEEDPIPE_REDIS_PREFIX);
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
