/**
 * Jobs on BullMQ: one queue per job file (default name "feedpipe"), one BullMQ job scheduler per
 * scheduled job (id = the job's name), one queued job per run. Job data is a QueuedJob (the raw
 * definition, `${VAR}` unresolved): secrets never enter Redis.
 *
 *   retries      `attempts` (default 3) with exponential backoff from `backoffMs` (default 30 s);
 *                then the job stays failed with its error (the last 500 are kept)
 *   one at once  a job's runs are deduplicated by its name while one waits or runs, and the
 *                brand's state lock holds across jobs (a busy lock delays the run, no attempt used)
 */
import { type JobsOptions, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { connectRedis, safeRedisUrl } from "../../sync/redis.js";
import type { QueuedJob } from "../../jobs/queued.js";

export const DEFAULT_QUEUE = "feedpipe";

export interface QueueSettings {
  url: string;
  queue?: string | undefined;
  /** Key prefix (FEEDPIPE_REDIS_PREFIX, default "feedpipe:"); BullMQ's keys go under `{prefix}bull`. */
  prefix?: string | undefined;
}

export interface RetrySettings {
  attempts?: number | undefined;
  backoffMs?: number | undefined;
}

export function bullPrefix(prefix: string | undefined): string {
  return `${prefix ?? "feedpipe:"}bull`;
}

/** A queue with its own connection (BullMQ needs maxRetriesPerRequest: null). */
export function openQueue(s: QueueSettings): { queue: Queue; connection: Redis; where: string } {
  const connection = connectRedis(s.url, { bullmq: true });
  const queue = new Queue(s.queue ?? DEFAULT_QUEUE, { connection, prefix: bullPrefix(s.prefix) });
  queue.on("error", () => {
    // Connection trouble surfaces in the command that fails.
  });
  return { queue, connection, where: safeRedisUrl(s.url) };
}

export async function closeQueue(q: { queue: Queue; connection: Redis }): Promise<void> {
  await q.queue.close().catch(() => undefined);
  await q.connection.quit().catch(() => q.connection.disconnect());
}

export function jobOptions(retry: RetrySettings): JobsOptions {
  return {
    attempts: retry.attempts ?? 3,
    backoff: { type: "exponential", delay: retry.backoffMs ?? 30_000 },
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 500 },
  };
}

export interface ScheduleChange {
  upserted: { name: string; cron: string; timezone: string | undefined; next: string | undefined }[];
  removed: string[];
}

/**
 * Make the queue's job schedulers match the scheduled jobs: each upserted (same id: updated, not
 * duplicated), and schedulers of jobs no longer in the file removed.
 */
export async function syncSchedulers(
  queue: Queue,
  jobs: readonly { queued: QueuedJob; cron: string; timezone: string | undefined }[],
  retry: RetrySettings,
): Promise<ScheduleChange> {
  const change: ScheduleChange = { upserted: [], removed: [] };
  const wanted = new Set(jobs.map((j) => j.queued.name));
  for (const j of jobs) {
    const opts = jobOptions(retry);
    await queue.upsertJobScheduler(
      j.queued.name,
      { pattern: j.cron, ...(j.timezone ? { tz: j.timezone } : {}) },
      { name: j.queued.name, data: j.queued, opts },
    );
    const s = await queue.getJobScheduler(j.queued.name);
    change.upserted.push({
      name: j.queued.name,
      cron: j.cron,
      timezone: j.timezone,
      next: s?.next ? new Date(s.next).toISOString() : undefined,
    });
  }
  for (const s of await queue.getJobSchedulers(0, -1, true)) {
    const id = s.id ?? s.key;
    if (!wanted.has(id)) {
      await queue.removeJobScheduler(id);
      change.removed.push(id);
    }
  }
  return change;
}

/** Queue one run of each job now; a job already waiting or running is not queued twice. */
export async function enqueueJobs(
  queue: Queue,
  jobs: readonly QueuedJob[],
  retry: RetrySettings,
): Promise<{ name: string; id: string; deduplicated: boolean }[]> {
  const out: { name: string; id: string; deduplicated: boolean }[] = [];
  for (const queued of jobs) {
    const job = await queue.add(queued.name, queued, {
      ...jobOptions(retry),
      deduplication: { id: queued.name },
    });
    const id = job.id ?? "";
    // A deduplicated add answers with the id of the job already there.
    const existing = await queue.getJob(id);
    out.push({
      name: queued.name,
      id,
      deduplicated: existing !== undefined && existing.timestamp < job.timestamp,
    });
  }
  return out;
}

export async function openEvents(s: QueueSettings): Promise<{ events: QueueEvents; connection: Redis }> {
  const connection = connectRedis(s.url, { bullmq: true });
  const events = new QueueEvents(s.queue ?? DEFAULT_QUEUE, { connection, prefix: bullPrefix(s.prefix) });
  events.on("error", () => undefined);
  await events.waitUntilReady();
  return { events, connection };
}

/**
 * When each delayed job becomes due (ms since the epoch). BullMQ keeps it only in the delayed set's
 * score (due ms × 4096 + an order counter): a job's `timestamp + delay` is wrong once it was moved
 * (a retry's backoff, a busy brand's delay).
 */
export async function delayedDue(queue: Queue, ids: readonly string[]): Promise<Map<string, number>> {
  const due = new Map<string, number>();
  if (ids.length === 0) return due;
  const client = await queue.client;
  const scores = await Promise.all(ids.map((id) => client.zscore(queue.keys.delayed!, id)));
  ids.forEach((id, i) => {
    const score = scores[i];
    if (typeof score === "string" && score !== "") due.set(id, Math.floor(Number(score) / 0x1000));
  });
  return due;
}
