/**
 * `feedpipe jobs … --redis URL`: jobs on many machines through BullMQ (see ../jobs/queue.ts and
 * ../jobs/worker.ts). `enqueue` and `worker` are new; `schedule` and `status` with `--redis`
 * register the schedules in Redis / read the queue instead of running in this process.
 */
import { type Command, Option } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { loadRawJobs } from "../../jobs/queued.js";
import type { JobRunRecord } from "../../sync/history.js";
import type { CliContext } from "../context.js";
import { intOption } from "../options.js";
import { optionCatalog } from "../jobs/catalog.js";
import type { JobOutcome, RunCommand } from "../jobs/execute.js";
import { createJobLogger, type LogFormat } from "../jobs/log.js";
import type { RetrySettings } from "../jobs/queue.js";
import { queueRow, type RedisStatus, statusText } from "../jobs/redis-status.js";

/** BullMQ and ioredis load only when a Redis command runs (they cost ~0.3 s at startup). */
const queueLib = () => import("../jobs/queue.js");

export interface RedisFlags {
  redis?: string | undefined;
  queue?: string | undefined;
  attempts?: number | undefined;
  backoff?: number | undefined;
}

/** `--redis`, `--queue` (and with `retry`, `--attempts`, `--backoff`) on a command. */
export function addRedisOptions(cmd: Command, retry: boolean): Command {
  cmd
    .option("--redis <url>", "Redis of the BullMQ queue and the shared sync state (redis://host:port)")
    .option("--queue <name>", "BullMQ queue name (default feedpipe; one queue per job file)");
  if (retry) {
    cmd
      .option(
        "--attempts <n>",
        "tries of a failing run before it is kept failed (default 3)",
        intOption("--attempts", 1, 100),
      )
      .option(
        "--backoff <ms>",
        "first retry delay in ms, doubling each time (default 30000)",
        intOption("--backoff", 0, 86_400_000),
      );
  }
  return cmd;
}

const retryOf = (f: RedisFlags): RetrySettings => ({ attempts: f.attempts, backoffMs: f.backoff });
const settingsOf = (ctx: CliContext, url: string, f: RedisFlags) => ({
  url,
  queue: f.queue,
  prefix: ctx.io.env.FEEDPIPE_REDIS_PREFIX,
});

function needUrl(ctx: CliContext, flags: RedisFlags): string {
  const url = flags.redis ?? ctx.io.env.FEEDPIPE_REDIS_URL;
  if (!url) throw new FeedpipeError("USAGE", "Give --redis URL (or set FEEDPIPE_REDIS_URL)");
  if (!/^rediss?:\/\//i.test(url))
    throw new FeedpipeError("USAGE", "--redis expects a redis:// or rediss:// URL");
  return url;
}

/** `jobs schedule FILE --redis URL`: the file's schedules become BullMQ job schedulers. */
export async function scheduleOnRedis(
  ctx: CliContext,
  program: Command,
  file: string,
  flags: RedisFlags,
): Promise<void> {
  const url = needUrl(ctx, flags);
  const raw = await loadRawJobs(file, optionCatalog(program), ctx.io.env);
  const scheduled = raw.jobs.flatMap((queued) => {
    const s = raw.checked.jobs.find((j) => j.name === queued.name)?.schedule;
    return s ? [{ queued, cron: s.cron, timezone: s.timezone }] : [];
  });
  const { openQueue, closeQueue, syncSchedulers } = await queueLib();
  const q = openQueue(settingsOf(ctx, url, flags));
  try {
    const change = await syncSchedulers(q.queue, scheduled, retryOf(flags));
    for (const u of change.upserted)
      ctx.out(
        `scheduled  ${u.name.padEnd(20)} ${u.cron}${u.timezone ? ` (${u.timezone})` : ""}, next ${u.next ?? "never"}\n`,
      );
    for (const r of change.removed) ctx.out(`removed    ${r}\n`);
  } catch (err) {
    throw asRedisError(q.where, err);
  } finally {
    await closeQueue(q);
  }
}

function asRedisError(where: string, err: unknown): FeedpipeError {
  if (err instanceof FeedpipeError) return err;
  return new FeedpipeError("QUEUE_ERROR", `Redis ${where}: ${(err as Error).message}`, { cause: err });
}

/** `jobs status --redis URL [FILE]`: the queue, the schedulers and each job's last runs. */
export async function statusOnRedis(
  ctx: CliContext,
  program: Command,
  file: string | undefined,
  flags: RedisFlags & { runs?: number; json?: boolean },
): Promise<void> {
  const url = needUrl(ctx, flags);
  const names = new Set<string>();
  if (file)
    for (const j of (await loadRawJobs(file, optionCatalog(program), ctx.io.env)).jobs) names.add(j.name);
  const { openQueue, closeQueue, delayedDue } = await queueLib();
  const { RedisBackend } = await import("../../sync/redis.js");
  const q = openQueue(settingsOf(ctx, url, flags));
  const backend = new RedisBackend(url, { prefix: ctx.io.env.FEEDPIPE_REDIS_PREFIX });
  try {
    const counts = await q.queue.getJobCounts("waiting", "active", "delayed", "completed", "failed");
    const [waiting, active, delayed, completed, failed, schedulers] = await Promise.all([
      q.queue.getWaiting(0, 49),
      q.queue.getActive(0, 49),
      q.queue.getDelayed(0, 49),
      q.queue.getCompleted(0, 9),
      q.queue.getFailed(0, 19),
      q.queue.getJobSchedulers(0, -1, true),
    ]);
    for (const s of schedulers) names.add(s.id ?? s.key);
    for (const j of [...waiting, ...active, ...delayed, ...completed, ...failed]) names.add(j.name);
    const due = await delayedDue(
      q.queue,
      delayed.flatMap((j) => (j.id ? [j.id] : [])),
    );
    const history = await backend.openHistory();
    const runs: Record<string, JobRunRecord[]> = {};
    for (const n of [...names].sort()) runs[n] = await history.recent(n, flags.runs ?? 5);
    const status: RedisStatus = {
      queue: q.queue.name,
      counts,
      active: active.map((j) => queueRow(j, "active")),
      waiting: [
        ...waiting.map((j) => queueRow(j, "waiting")),
        ...delayed.map((j) => queueRow(j, "delayed", due.get(j.id ?? ""))),
      ],
      failed: failed.map((j) => queueRow(j, "finished")),
      completed: completed.map((j) => queueRow(j, "finished")),
      schedules: schedulers.map((s) => ({
        job: s.id ?? s.key,
        cron: s.pattern,
        timezone: s.tz,
        next: s.next ? new Date(s.next).toISOString() : undefined,
      })),
      runs,
    };
    ctx.out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
  } catch (err) {
    throw asRedisError(q.where, err);
  } finally {
    await backend.close();
    await closeQueue(q);
  }
}

/** The `enqueue` and `worker` commands. */
export function registerQueueCommands(
  jobs: Command,
  program: Command,
  ctx: CliContext,
  runCommand: RunCommand,
  combinedExit: (o: readonly JobOutcome[]) => number,
): void {
  const enqueue = jobs
    .command("enqueue")
    .argument("<file>", "job file (YAML or JSON)")
    .description("queue one run of each job now, for the workers (BullMQ on Redis)")
    .option("--job <name>", "only this job (repeatable)", (v: string, p: string[] | undefined) => [
      ...(p ?? []),
      v,
    ])
    .option("--wait", "wait for the runs and exit like `jobs run` (0 ok, 1 partial, 2 failed)")
    .option("--json", "print JSON lines");
  addRedisOptions(enqueue, true).action(
    async (file: string, flags: RedisFlags & { job?: string[]; wait?: boolean; json?: boolean }) => {
      const url = needUrl(ctx, flags);
      const raw = await loadRawJobs(file, optionCatalog(program), ctx.io.env);
      const unknown = (flags.job ?? []).filter((n) => !raw.jobs.some((j) => j.name === n));
      if (unknown.length > 0)
        throw new FeedpipeError("USAGE", `No job named ${unknown.join(", ")} in ${file}`);
      const selected = flags.job ? raw.jobs.filter((j) => flags.job!.includes(j.name)) : raw.jobs;
      const s = settingsOf(ctx, url, flags);
      const { openQueue, closeQueue, enqueueJobs, openEvents } = await queueLib();
      const q = openQueue(s);
      const ev = flags.wait
        ? await openEvents(s).catch((e: unknown) => Promise.reject(asRedisError(q.where, e)))
        : undefined;
      try {
        const added = await enqueueJobs(q.queue, selected, retryOf(flags));
        for (const a of added) {
          ctx.out(
            flags.json
              ? `${JSON.stringify({ event: "queued", ...a })}\n`
              : `queued  ${a.name.padEnd(20)} #${a.id}${a.deduplicated ? " (already queued)" : ""}\n`,
          );
        }
        if (!ev) return;
        const outcomes: JobOutcome[] = [];
        for (const a of added) {
          const job = await q.queue.getJob(a.id);
          let o: JobOutcome;
          try {
            o = (await job!.waitUntilFinished(ev.events)) as JobOutcome;
          } catch (err) {
            const now = new Date().toISOString();
            o = {
              job: a.name,
              command: "",
              status: "failed",
              exitCode: 2,
              startedAt: now,
              finishedAt: now,
              durationMs: 0,
              counts: {},
              error: (err as Error).message,
            };
          }
          outcomes.push(o);
          ctx.out(
            flags.json
              ? `${JSON.stringify(o)}\n`
              : `${o.job.padEnd(20)} ${o.status}${o.error ? `  ${o.error}` : ""}\n`,
          );
        }
        ctx.exitCode = combinedExit(outcomes);
      } catch (err) {
        throw asRedisError(q.where, err);
      } finally {
        if (ev) {
          await ev.events.close().catch(() => undefined);
          ev.connection.disconnect();
        }
        await closeQueue(q);
      }
    },
  );

  const worker = jobs
    .command("worker")
    .description("process queued jobs (any number of workers on any number of machines)")
    .option("--concurrency <n>", "jobs at once in this worker (default 1)", intOption("--concurrency", 1, 64))
    .option(
      "--lock-duration <ms>",
      "BullMQ job lock: a killed worker's job moves on after about this (default 30000)",
      intOption("--lock-duration", 1000, 3_600_000),
    )
    .option(
      "--stalled-interval <ms>",
      "how often stalled jobs are looked for (default 30000)",
      intOption("--stalled-interval", 500, 3_600_000),
    )
    .addOption(
      new Option("--log-format <format>", "run events: text on stderr, or json lines on stdout")
        .choices(["text", "json"])
        .default("text"),
    );
  addRedisOptions(worker, false).action(
    async (
      flags: RedisFlags & {
        concurrency?: number;
        lockDuration?: number;
        stalledInterval?: number;
        logFormat?: LogFormat;
      },
    ) => {
      const url = needUrl(ctx, flags);
      const signal = ctx.io.signal ?? new AbortController().signal;
      const { runWorker } = await import("../jobs/worker.js");
      await runWorker(
        {
          ...settingsOf(ctx, url, flags),
          concurrency: flags.concurrency,
          lockDurationMs: flags.lockDuration,
          stalledIntervalMs: flags.stalledInterval,
        },
        {
          io: ctx.io,
          catalog: optionCatalog(program),
          runCommand,
          logger: createJobLogger(flags.logFormat ?? "text", ctx),
        },
        signal,
      );
      ctx.exitCode = 0;
    },
  );
}
