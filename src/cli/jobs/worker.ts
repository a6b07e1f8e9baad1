/**
 * A BullMQ worker running feedpipe jobs: each queued job (a raw definition, see jobs/queued.ts) is
 * resolved from THIS machine's environment and run by the same executeJob as `jobs run`, with the
 * sync state, locks and history in Redis (FEEDPIPE_REDIS_URL is set for the command it runs).
 *
 *   failed / aborted run      thrown: BullMQ retries with backoff, then keeps it failed; the
 *                             job's notify webhook fires on the last attempt only
 *   brand lock busy           the run is delayed (no attempt used) until the other run is done
 *   stop signal (SIGTERM)     no new jobs; running ones stop between batches and go back to the
 *                             queue (delayed to now) for another worker; then the worker exits
 *   killed (SIGKILL)          BullMQ's stalled-job check gives the job to another worker, which
 *                             resumes from the shared state (only unconfirmed products are sent)
 */
import { hostname } from "node:os";
import { DelayedError, type Job, Worker } from "bullmq";
import { redactSecrets } from "../../core/errors.js";
import { type QueuedJob, resolveQueuedJob } from "../../jobs/queued.js";
import type { OptionCatalog } from "../../jobs/job-file.js";
import { connectRedis } from "../../sync/redis.js";
import type { CliIO } from "../context.js";
import { executeJob, type JobOutcome, type RunCommand } from "./execute.js";
import type { JobLogger } from "./log.js";
import { bullPrefix, DEFAULT_QUEUE, type QueueSettings } from "./queue.js";

export interface WorkerSettings extends QueueSettings {
  concurrency?: number | undefined;
  /** BullMQ job lock (ms, default 30 000): a killed worker's job is taken over after about this. */
  lockDurationMs?: number | undefined;
  /** Stalled-job check period (ms, default 30 000). */
  stalledIntervalMs?: number | undefined;
  /** Delay before a run whose brand lock is busy is tried again (ms, default 5 000). */
  busyDelayMs?: number | undefined;
}

export interface WorkerDeps {
  io: CliIO;
  catalog: OptionCatalog;
  runCommand: RunCommand;
  logger: JobLogger;
}

/** What a completed queued job returns (kept in Redis: counts, no command output). */
export type QueuedOutcome = Omit<JobOutcome, "result">;

export const workerId = (): string => `${hostname()}:${process.pid}`;

/** Run workers until `signal` aborts; resolves when every running job was stopped and released. */
export async function runWorker(
  settings: WorkerSettings,
  deps: WorkerDeps,
  signal: AbortSignal,
): Promise<void> {
  const connection = connectRedis(settings.url, { bullmq: true });
  const stopping = new AbortController();
  const me = workerId();
  const env: Record<string, string | undefined> = { ...deps.io.env, FEEDPIPE_REDIS_URL: settings.url };
  if (settings.prefix !== undefined) env.FEEDPIPE_REDIS_PREFIX = settings.prefix;

  const processor = async (job: Job<QueuedJob>, token?: string): Promise<QueuedOutcome> => {
    const spec = resolveQueuedJob(job.data, deps.catalog, env);
    await job.updateProgress({ worker: me, startedAt: new Date().toISOString() });
    const attempts = job.opts.attempts ?? 1;
    const lastAttempt = job.attemptsMade + 1 >= attempts;
    const outcome = await executeJob(spec, {
      io: { ...deps.io, env },
      catalog: deps.catalog,
      runCommand: deps.runCommand,
      logger: deps.logger,
      signal: stopping.signal,
      notify: lastAttempt,
    });
    if (stopping.signal.aborted && outcome.status === "aborted") {
      // Released for another worker: it resumes from the shared state.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    if (outcome.status === "failed" && outcome.error?.includes("[LOCK_BUSY]")) {
      deps.logger.event("delayed", { job: spec.name, reason: outcome.error });
      await job.moveToDelayed(Date.now() + (settings.busyDelayMs ?? 5_000), token);
      throw new DelayedError();
    }
    if (outcome.status === "failed" || outcome.status === "aborted") {
      throw new Error(redactSecrets(outcome.error ?? `exit ${outcome.exitCode}`, spec.secrets));
    }
    const { result: _result, ...kept } = outcome;
    return kept;
  };

  const worker = new Worker<QueuedJob, QueuedOutcome>(settings.queue ?? DEFAULT_QUEUE, processor, {
    connection,
    prefix: bullPrefix(settings.prefix),
    concurrency: settings.concurrency ?? 1,
    name: me,
    lockDuration: settings.lockDurationMs ?? 30_000,
    stalledInterval: settings.stalledIntervalMs ?? 30_000,
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on("error", (err) => deps.logger.event("worker-error", { job: "", error: err.message }));
  worker.on("failed", (job, err) =>
    deps.logger.event("failed", {
      job: job?.name ?? "",
      id: job?.id,
      attempt: job?.attemptsMade,
      error: err.message,
    }),
  );
  const stop = () => {
    deps.logger.event("stopping", { job: "", worker: me });
    stopping.abort(new Error("worker stopping"));
    void worker.close();
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  deps.logger.event("worker", { job: "", worker: me, queue: settings.queue ?? DEFAULT_QUEUE });
  try {
    await worker.run();
  } finally {
    signal.removeEventListener("abort", stop);
    await worker.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}
