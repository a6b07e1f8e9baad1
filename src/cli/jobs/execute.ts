/**
 * Run one job: its command line (see catalog.ts) runs in-process exactly as the user would type it,
 * with the job's credentials in its environment and its JSON result captured; the run is recorded
 * in the state database's history, logged, and notified when it failed or ended partial.
 */
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { redactSecrets } from "../../core/errors.js";
import type { JobSpec, OptionCatalog } from "../../jobs/job-file.js";
import { sendNotice, shouldNotify } from "../../jobs/notify.js";
import { openBackend } from "../../sync/backend.js";
import type { JobRunEnd } from "../../sync/history.js";
import type { CliIO } from "../context.js";
import { jobArgv } from "./catalog.js";
import type { JobLogger } from "./log.js";

export type RunCommand = (argv: string[], io: Partial<CliIO>) => Promise<number>;

export interface JobOutcome {
  job: string;
  command: string;
  status: JobRunEnd["status"];
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: Record<string, number>;
  error?: string | undefined;
  /** The command's own JSON result (its `--json` / `--report json` output). */
  result?: unknown;
  notified?: "sent" | "failed" | undefined;
}

export interface ExecuteOptions {
  io: CliIO;
  catalog: OptionCatalog;
  runCommand: RunCommand;
  logger: JobLogger;
  signal?: AbortSignal | undefined;
  /** Seconds between progress log events (default 30). */
  progressEverySec?: number | undefined;
  /** Send the job's notification when due (default true; a queue's earlier attempts do not). */
  notify?: boolean | undefined;
  /** Notification retry overrides (tests). */
  notifyRetry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } | undefined;
}

const COUNT_KEYS = [
  "read",
  "records",
  "valid",
  "invalid",
  "skipped",
  "sent",
  "unchanged",
  "failed",
  "written",
  "products",
  "exported",
  "rejected",
  "feeds",
];

/** The numeric counters of a command's JSON result (top level, or under `summary`/`report`). */
export function countsOf(result: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (o: unknown) => {
    if (o === null || typeof o !== "object") return;
    for (const k of COUNT_KEYS) {
      const v = (o as Record<string, unknown>)[k];
      if (typeof v === "number" && out[k] === undefined) out[k] = v;
    }
  };
  visit(result);
  for (const k of ["summary", "report"]) visit((result as Record<string, unknown> | undefined)?.[k]);
  return out;
}

function rulesOf(result: unknown): { code: string; count: number }[] {
  const rules =
    (result as { rules?: unknown; report?: { rules?: unknown } } | undefined)?.rules ??
    (result as { report?: { rules?: unknown } } | undefined)?.report?.rules;
  if (!Array.isArray(rules)) return [];
  return rules
    .filter(
      (r): r is { code: string; count: number } =>
        typeof r?.code === "string" && typeof r?.count === "number",
    )
    .map((r) => ({ code: r.code, count: r.count }));
}

/** The last JSON object printed on stdout (commands print one; tolerate text around it). */
function lastJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    const lines = trimmed.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        return JSON.parse(lines[i]!);
      } catch {
        // not this line
      }
    }
    return undefined;
  }
}

/** The first error line a command printed (`feedpipe: error [CODE]: …`). */
function firstError(stderr: string): string | undefined {
  const line = stderr
    .split("\n")
    .find((l) => l.startsWith("feedpipe: error") || l.startsWith("feedpipe: unexpected"));
  return line?.replace(/^feedpipe: /, "").slice(0, 2000);
}

function statusOf(code: number, aborted: boolean): JobRunEnd["status"] {
  if (aborted || code === 130) return "aborted";
  return code === 0 ? "ok" : code === 1 ? "partial" : "failed";
}

/** The state database of a job: its `state` option, FEEDPIPE_STATE, or .feedpipe/state.db. */
export function jobStatePath(job: JobSpec, io: CliIO): string {
  const given = job.options.state;
  return resolve(io.cwd, typeof given === "string" ? given : (io.env.FEEDPIPE_STATE ?? ".feedpipe/state.db"));
}

export async function executeJob(job: JobSpec, options: ExecuteOptions): Promise<JobOutcome> {
  const { io, logger } = options;
  const argv = jobArgv(job, options.catalog);
  const command = argv.slice(0, argv[0] === "register" || argv[0] === "pull" ? 2 : 1).join(" ");
  const statePath = jobStatePath(job, io);
  // A job owns its output paths: `export: out/acme.csv`, `html: reports/x.html`, `rejects: …`
  // work without making the folders by hand.
  const t = job.target;
  const outputs = [
    t.kind === "export" || t.kind === "pull" ? t.output : undefined,
    job.options.html,
    job.options.rejects,
  ];
  for (const out of outputs) {
    if (typeof out !== "string" || out === "-") continue;
    mkdirSync(out.endsWith("/") ? resolve(io.cwd, out) : dirname(resolve(io.cwd, out)), { recursive: true });
  }
  const backend = await openBackend(io.env, statePath);
  let history: Awaited<ReturnType<typeof backend.openHistory>>;
  let runId: number;
  const started = new Date();
  try {
    history = await backend.openHistory();
    runId = await history.start(job.name, command, started);
  } catch (err) {
    await backend.close();
    throw err;
  }
  logger.event("start", { job: job.name, command, runId });
  const progress = setInterval(
    () => logger.event("progress", { job: job.name, elapsedMs: Date.now() - started.getTime() }),
    (options.progressEverySec ?? 30) * 1000,
  );
  progress.unref();

  let stdout = "";
  let stderr = "";
  let code: number;
  try {
    code = await options.runCommand(argv, {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: (t: string) => (stderr += t.length > 65_536 ? t.slice(-65_536) : t), isTTY: false },
      stdin: Readable.from([]),
      env: { ...io.env, ...job.env, CI: "true", FEEDPIPE_JOB: job.name },
      cwd: io.cwd,
      signal: options.signal,
    });
  } catch (err) {
    code = 2;
    stderr += `feedpipe: unexpected error: ${(err as Error).message}\n`;
  } finally {
    clearInterval(progress);
  }
  const finished = new Date();
  const result = lastJson(stdout);
  const status = statusOf(code, options.signal?.aborted === true);
  const error =
    status === "ok"
      ? undefined
      : redactSecrets(firstError(stderr) ?? (status === "aborted" ? "aborted" : `exit ${code}`), job.secrets);
  const counts = countsOf(result);
  try {
    await history.finish(runId, { status, exitCode: code, counts, rules: rulesOf(result), error }, finished);
  } finally {
    await history.close();
    await backend.close();
  }
  const outcome: JobOutcome = {
    job: job.name,
    command,
    status,
    exitCode: code,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    counts,
    error,
    result,
  };
  if (options.notify !== false && shouldNotify(job.notify, status)) {
    try {
      await sendNotice(
        job.notify,
        { ...outcome, source: job.source, host: hostname() },
        { secrets: job.secrets, retry: options.notifyRetry },
      );
      outcome.notified = "sent";
    } catch (err) {
      outcome.notified = "failed";
      logger.event("notify-failed", {
        job: job.name,
        error: redactSecrets((err as Error).message, job.secrets),
      });
    }
  }
  logger.event(status === "ok" ? "end" : "error", {
    job: job.name,
    status,
    exitCode: code,
    durationMs: outcome.durationMs,
    counts,
    ...(error ? { error } : {}),
  });
  return outcome;
}
