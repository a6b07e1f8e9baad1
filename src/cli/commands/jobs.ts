/**
 * `feedpipe jobs run|schedule|status FILE`: named jobs from a YAML/JSON job file.
 *
 * A job runs its command in-process exactly as the equivalent command line would (catalog.ts builds
 * it from the job), so a job and the command give the same result. Exit codes of `jobs run`: 0 all
 * ok, 1 some ended partial (invalid rows over the allowance, failed products), 2 some failed fatally.
 */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import pLimit from "p-limit";
import { FeedpipeError } from "../../core/errors.js";
import { type JobFile, type JobSpec, loadJobFile } from "../../jobs/job-file.js";
import { createScheduler, nextStart } from "../../jobs/scheduler.js";
import { openBackend } from "../../sync/backend.js";
import { JobHistory } from "../../sync/history.js";
import { type CliContext, EXIT_FATAL, EXIT_INVALID, EXIT_OK } from "../context.js";
import { optionCatalog } from "../jobs/catalog.js";
import { executeJob, type JobOutcome, jobStatePath, type RunCommand } from "../jobs/execute.js";
import { createJobLogger, type LogFormat } from "../jobs/log.js";
import {
  addRedisOptions,
  type RedisFlags,
  registerQueueCommands,
  scheduleOnRedis,
  statusOnRedis,
} from "./jobs-redis.js";

interface RunFlags {
  job?: string[] | undefined;
  parallel?: number | undefined;
  json?: boolean | undefined;
  logFormat?: LogFormat | undefined;
}

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      throw new InvalidArgumentError(`Invalid option ${name}: expected a whole number 1-64, got "${v}"`);
    }
    return n;
  };
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function selectJobs(file: JobFile, names: string[] | undefined): JobSpec[] {
  if (!names || names.length === 0) return file.jobs;
  const unknown = names.filter((n) => !file.jobs.some((j) => j.name === n));
  if (unknown.length > 0) {
    throw new FeedpipeError(
      "USAGE",
      `No job named ${unknown.map((n) => `"${n}"`).join(", ")} in ${file.path} (jobs: ${file.jobs.map((j) => j.name).join(", ")})`,
    );
  }
  return file.jobs.filter((j) => names.includes(j.name));
}

/** 0 all ok, 1 some partial, 2 some failed (aborted runs count as failed). */
export function combinedExit(outcomes: readonly JobOutcome[]): number {
  if (outcomes.some((o) => o.status === "failed" || o.status === "aborted")) return EXIT_FATAL;
  if (outcomes.some((o) => o.status === "partial")) return EXIT_INVALID;
  return EXIT_OK;
}

function outcomeLine(o: JobOutcome): string {
  const counts = Object.entries(o.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  return (
    `${o.job.padEnd(20)} ${o.status.padEnd(8)} ${o.command}` +
    (counts ? `: ${counts}` : "") +
    `  in ${(o.durationMs / 1000).toFixed(1)} s` +
    (o.error ? `\n${" ".repeat(21)}${o.error}` : "") +
    "\n"
  );
}

/** A scheduled start skipped because the previous run is still going: recorded in its history. */
async function recordSkip(ctx: CliContext, job: JobSpec, name: string, reason: string): Promise<void> {
  const backend = await openBackend(ctx.io.env, jobStatePath(job, ctx.io));
  try {
    const history = await backend.openHistory();
    await history.skipped(name, "scheduled", reason);
    await history.close();
  } finally {
    await backend.close();
  }
}

export function registerJobs(program: Command, ctx: CliContext, runCommand: RunCommand): void {
  const jobs = program
    .command("jobs")
    .description("run named jobs from a job file: once, on a schedule, and their history");
  const logOption = () =>
    new Option("--log-format <format>", "run events: text on stderr, or json lines on stdout")
      .choices(["text", "json"])
      .default("text");
  const load = (file: string) => loadJobFile(file, optionCatalog(program), ctx.io.env);

  jobs
    .command("run")
    .argument("<file>", "job file (YAML or JSON)")
    .description("run jobs once, now")
    .option("--job <name>", "run only this job (repeatable)", collect)
    .option("--parallel <n>", "jobs at once (default 1)", positiveInt("--parallel"))
    .option("--json", "print one JSON result object per job on stdout")
    .addOption(logOption())
    .addHelpText(
      "after",
      `
Examples:
  $ feedpipe jobs run jobs.yaml                        every job, one after another
  $ feedpipe jobs run jobs.yaml --job acme-nightly     one job
  $ feedpipe jobs run jobs.yaml --parallel 4 --json    four at once, results as JSON lines

Exit codes: 0 all jobs ok, 1 some ended partial (invalid rows, failed products), 2 some failed.`,
    )
    .action(async (file: string, flags: RunFlags) => {
      const jobFile = await load(file);
      const selected = selectJobs(jobFile, flags.job);
      const logger = createJobLogger(flags.logFormat ?? "text", ctx);
      const catalog = optionCatalog(program);
      for (const j of selected) for (const s of j.secrets) ctx.secrets.add(s);
      const limit = pLimit(flags.parallel ?? 1);
      const outcomes = await Promise.all(
        selected.map((job) =>
          limit(async () => {
            if (ctx.io.signal?.aborted) return undefined;
            const o = await executeJob(job, {
              io: ctx.io,
              catalog,
              runCommand,
              logger,
              signal: ctx.io.signal,
            });
            if (flags.json) ctx.out(`${JSON.stringify(o)}\n`);
            else if (flags.logFormat !== "json") ctx.out(outcomeLine(o));
            return o;
          }),
        ),
      );
      ctx.exitCode = combinedExit(outcomes.filter((o): o is JobOutcome => o !== undefined));
    });

  const schedule = jobs
    .command("schedule")
    .argument("<file>", "job file (YAML or JSON)")
    .description(
      "stay running and start each job at its schedule's times (with --redis: register them in BullMQ)",
    )
    .addOption(logOption());
  addRedisOptions(schedule, true)
    .addHelpText(
      "after",
      `
A job whose previous run is still going when its time comes is skipped (logged, recorded).
SIGINT/SIGTERM: running jobs stop between batches and are recorded as aborted, then feedpipe exits.
SIGHUP: the job file is read again (a broken file is reported and the old schedule kept).
With --redis URL: each scheduled job becomes a BullMQ job scheduler (run again to update; jobs
no longer in the file are unscheduled) and feedpipe exits; \`jobs worker\` processes runs.

Examples:
  $ feedpipe jobs schedule jobs.yaml
  $ feedpipe jobs schedule jobs.yaml --log-format json | my-log-shipper`,
    )
    .action(async (file: string, flags: RedisFlags & { logFormat?: LogFormat }) => {
      if (flags.redis) return scheduleOnRedis(ctx, program, file, flags);
      let jobFile = await load(file);
      const logger = createJobLogger(flags.logFormat ?? "text", ctx);
      const catalog = optionCatalog(program);
      const scheduled = (f: JobFile) =>
        f.jobs.filter((j) => j.schedule).map((j) => ({ name: j.name, ...j.schedule! }));
      if (scheduled(jobFile).length === 0) {
        throw new FeedpipeError("USAGE", `No job in ${file} has a schedule`);
      }
      for (const j of jobFile.jobs) for (const s of j.secrets) ctx.secrets.add(s);
      const scheduler = createScheduler(scheduled(jobFile), {
        clock: ctx.io.clock,
        start: async (name, signal) => {
          const job = jobFile.jobs.find((j) => j.name === name);
          if (job) await executeJob(job, { io: ctx.io, catalog, runCommand, logger, signal });
        },
        onSkip: (name, reason) => {
          logger.event("skip", { job: name, reason });
          const job = jobFile.jobs.find((j) => j.name === name);
          if (!job) return;
          void recordSkip(ctx, job, name, reason).catch((err: unknown) =>
            logger.event("error", { job: name, error: (err as Error).message }),
          );
        },
      });
      const offHangup = ctx.io.onHangup?.(() => {
        load(file).then(
          (next) => {
            jobFile = next;
            for (const j of next.jobs) for (const s of j.secrets) ctx.secrets.add(s);
            scheduler.reload(scheduled(next));
            logger.event("reload", { job: "", jobs: scheduled(next).length });
          },
          (err: unknown) => logger.event("reload-failed", { job: "", error: (err as Error).message }),
        );
      });
      for (const [name, at] of scheduler.next())
        logger.event("scheduled", { job: name, next: at?.toISOString() });
      try {
        await scheduler.run(ctx.io.signal);
      } finally {
        offHangup?.();
      }
      ctx.exitCode = EXIT_OK;
    });

  const status = jobs
    .command("status")
    .argument("[file]", "job file (YAML or JSON); optional with --redis")
    .description("per job: the last runs and the next start time (with --redis: the queue too)")
    .option("--runs <n>", "runs shown per job (default 5)", positiveInt("--runs"))
    .option("--json", "print JSON");
  addRedisOptions(status, false).action(
    async (file: string | undefined, flags: RedisFlags & { runs?: number; json?: boolean }) => {
      if (flags.redis) return statusOnRedis(ctx, program, file, flags);
      if (!file) throw new FeedpipeError("USAGE", "jobs status: give the job file (or --redis URL)");
      // Status only reads history: monitoring needs no credentials, so an unset ${VAR} is no error.
      const jobFile = await loadJobFile(file, optionCatalog(program), unsetAllowed(ctx.io.env));
      const rows = jobFile.jobs.map((job) => {
        const path = jobStatePath(job, ctx.io);
        let runs: ReturnType<JobHistory["recent"]> = [];
        if (existsSync(path)) {
          const history = JobHistory.open(path);
          try {
            runs = history.recent(job.name, flags.runs ?? 5);
          } finally {
            history.close();
          }
        }
        const next = job.schedule ? nextStart({ name: job.name, ...job.schedule }) : undefined;
        return { job: job.name, schedule: job.schedule, next: next?.toISOString(), runs };
      });
      if (flags.json) {
        ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        ctx.out(
          `${r.job}  ${r.schedule ? `${r.schedule.cron}${r.schedule.timezone ? ` (${r.schedule.timezone})` : ""}, next ${r.next ?? "never"}` : "no schedule"}\n`,
        );
        if (r.runs.length === 0) ctx.out("  no runs yet\n");
        for (const run of r.runs) {
          const counts = Object.entries(run.counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ");
          ctx.out(
            `  #${run.id} ${run.startedAt} → ${run.finishedAt ?? "…"}  ${run.status}${counts ? `  ${counts}` : ""}` +
              (run.error ? `\n      ${run.error}` : "") +
              "\n",
          );
        }
      }
    },
  );

  registerQueueCommands(jobs, program, ctx, runCommand, combinedExit);
}

/** The environment with every unset variable read as a placeholder (for `jobs status`). */
function unsetAllowed(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return new Proxy(env, {
    get: (target, name) => (typeof name === "string" ? target[name] || `\${${name}}` : undefined),
  });
}
