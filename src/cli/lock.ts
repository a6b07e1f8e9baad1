/**
 * One run at a time per brand (or campaign) and state, for `push` and `register` as for jobs:
 * `--wait [DURATION]` waits for the run holding the lock instead of refusing (exit 2).
 */
import { type Command, InvalidArgumentError } from "commander";
import { openBackend } from "../sync/backend.js";
import type { HeldLock } from "../sync/lock.js";
import type { CliContext } from "./context.js";

/** Waiting with `--wait` and no duration: up to a day. */
const WAIT_FOREVER_MS = 24 * 60 * 60 * 1000;

/** `90`, `90s`, `5m`, `2h`, `500ms` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      `Invalid option --wait: expected a duration like 30s, 5m or 1h, got "${value}"`,
    );
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  return Math.round(n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000));
}

export function addLockOptions(cmd: Command): Command {
  return cmd.option(
    "--wait [duration]",
    "when another run holds this brand's lock, wait for it (up to DURATION, e.g. 10m; default a day) instead of refusing",
    parseDuration,
  );
}

/**
 * Take the lock `key` in the state (the SQLite file, or Redis with FEEDPIPE_REDIS_URL) for the
 * command `what` (the job's name when run by a job). Releasing it also closes the backend.
 */
export async function takeRunLock(
  ctx: CliContext,
  statePath: string,
  key: string,
  what: string,
  wait: number | boolean | undefined,
): Promise<HeldLock> {
  const job = ctx.io.env.FEEDPIPE_JOB;
  const backend = await openBackend(ctx.io.env, statePath, ctx.io.cwd);
  try {
    const lock = await backend.acquireLock(key, {
      holder: job ? `job ${job} (${what})` : `feedpipe ${what}`,
      waitMs: wait === true ? WAIT_FOREVER_MS : typeof wait === "number" ? wait : 0,
      signal: ctx.io.signal,
    });
    return {
      key: lock.key,
      release: async () => {
        try {
          await lock.release();
        } finally {
          await backend.close();
        }
      },
    };
  } catch (err) {
    await backend.close();
    throw err;
  }
}
