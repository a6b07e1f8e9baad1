/**
 * Job run history in the state's SQLite database: one row per job run (start, end, status, counts,
 * the report's rule summary and the first error), read by `jobs status` and the report.
 *
 *   job_runs(id, job, command, started_at, finished_at, status, exit_code, counts, rules, error)
 *
 * Runs are recorded as `running` when they start; a run whose process died stays `running` only
 * until the next reader sees that its pid is gone on this host (it is then shown as `died`).
 */
import { hostname } from "node:os";
import Database from "better-sqlite3";
import { FeedpipeError } from "../core/errors.js";
import { pidAlive } from "./lock.js";

export type JobRunStatus = "running" | "ok" | "partial" | "failed" | "aborted" | "skipped" | "died";

export interface JobRunRecord {
  id: number;
  job: string;
  command: string;
  startedAt: string;
  finishedAt: string | undefined;
  status: JobRunStatus;
  exitCode: number | undefined;
  counts: Record<string, number>;
  rules: { code: string; count: number }[];
  error: string | undefined;
}

export interface JobRunEnd {
  status: Exclude<JobRunStatus, "running" | "died">;
  exitCode: number;
  counts?: Record<string, number> | undefined;
  rules?: { code: string; count: number }[] | undefined;
  error?: string | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  command TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  exit_code INTEGER,
  counts TEXT NOT NULL DEFAULT '{}',
  rules TEXT NOT NULL DEFAULT '[]',
  error TEXT
);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs (job, id);
`;

interface RawJobRun {
  id: number;
  job: string;
  command: string;
  host: string;
  pid: number;
  started_at: string;
  finished_at: string | null;
  status: string;
  exit_code: number | null;
  counts: string;
  rules: string;
  error: string | null;
}

export class JobHistory {
  private constructor(private readonly db: Database.Database) {}

  /** Open (and create) the history in the state database at `path`. */
  static open(path: string): JobHistory {
    try {
      const db = new Database(path, { timeout: 5_000 });
      db.pragma("journal_mode = WAL");
      db.exec(SCHEMA);
      return new JobHistory(db);
    } catch (err) {
      throw new FeedpipeError("STATE_ERROR", `Sync state ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  start(job: string, command: string, at: Date = new Date()): number {
    const r = this.db
      .prepare(
        "INSERT INTO job_runs (job, command, host, pid, started_at, status) VALUES (?, ?, ?, ?, ?, 'running')",
      )
      .run(job, command, hostname(), process.pid, at.toISOString());
    return Number(r.lastInsertRowid);
  }

  finish(id: number, end: JobRunEnd, at: Date = new Date()): void {
    this.db
      .prepare(
        `UPDATE job_runs SET finished_at = ?, status = ?, exit_code = ?, counts = ?, rules = ?, error = ?
         WHERE id = ?`,
      )
      .run(
        at.toISOString(),
        end.status,
        end.exitCode,
        JSON.stringify(end.counts ?? {}),
        JSON.stringify(end.rules ?? []),
        end.error ?? null,
        id,
      );
  }

  /** A run that never started (its previous run was still going): recorded, so status shows it. */
  skipped(job: string, command: string, reason: string, at: Date = new Date()): void {
    const id = this.start(job, command, at);
    this.finish(id, { status: "skipped", exitCode: 0, error: reason }, at);
  }

  /** The newest `limit` runs of `job`, newest first. */
  recent(job: string, limit = 5): JobRunRecord[] {
    const rows = this.db
      .prepare<[string, number], RawJobRun>("SELECT * FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?")
      .all(job, limit);
    const host = hostname();
    return rows.map((r) => ({
      id: r.id,
      job: r.job,
      command: r.command,
      startedAt: r.started_at,
      finishedAt: r.finished_at ?? undefined,
      status:
        r.status === "running" && r.host === host && !pidAlive(r.pid) ? "died" : (r.status as JobRunStatus),
      exitCode: r.exit_code ?? undefined,
      counts: JSON.parse(r.counts) as Record<string, number>,
      rules: JSON.parse(r.rules) as { code: string; count: number }[],
      error: r.error ?? undefined,
    }));
  }

  close(): void {
    this.db.close();
  }
}
