/**
 * What `jobs status --redis URL` shows: the queue's jobs (waiting, delayed, active and on which
 * worker, completed, failed with error), the schedulers' next times and each job's last runs; as
 * JSON, or as text with one entry per line. Names, errors and worker ids come from Redis, which
 * every worker and scheduler writes: in text each field is shown on its own line's terms
 * (`oneLine`), so a control character or newline in one cannot move the cursor or fake an entry.
 */
import type { Job } from "bullmq";
import type { JobRunRecord } from "../../sync/history.js";
import { oneLine } from "../terminal.js";
import type { QueuedOutcome } from "./worker.js";

export interface QueueRow {
  id: string | undefined;
  job: string;
  attempts: number;
  worker?: string | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** A delayed job (a retry's backoff, a scheduler's next run): when it becomes due. */
  due?: string | undefined;
  error?: string | undefined;
  status?: string | undefined;
}

export interface RedisStatus {
  queue: string;
  counts: Record<string, number>;
  active: QueueRow[];
  /** Waiting, then delayed (those have `due`). */
  waiting: QueueRow[];
  failed: QueueRow[];
  completed: QueueRow[];
  schedules: {
    job: string;
    cron: string | undefined;
    timezone: string | undefined;
    next: string | undefined;
  }[];
  runs: Record<string, JobRunRecord[]>;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

/** `dueMs`: for a delayed job, when it becomes due (see queue.ts's delayedDue). */
export function queueRow(
  j: Job,
  state: "active" | "waiting" | "delayed" | "finished",
  dueMs?: number,
): QueueRow {
  const progress = (j.progress ?? {}) as { worker?: string; startedAt?: string };
  const ret = j.returnvalue as QueuedOutcome | undefined;
  return {
    id: j.id,
    job: j.name,
    attempts: j.attemptsMade,
    ...(progress.worker ? { worker: progress.worker, startedAt: progress.startedAt } : {}),
    ...(state === "finished" && j.finishedOn ? { finishedAt: iso(j.finishedOn) } : {}),
    ...(state === "delayed" ? { due: iso(dueMs) ?? "?" } : {}),
    ...(j.failedReason ? { error: j.failedReason } : {}),
    ...(ret?.status ? { status: ret.status } : {}),
  };
}

/** The text form: a counts line, one line per queue entry and schedule, then each job's runs. */
export function statusText(s: RedisStatus): string {
  const c = s.counts;
  const lines = [
    `queue ${oneLine(s.queue)}: ${c.waiting ?? 0} waiting, ${c.delayed ?? 0} delayed, ${c.active ?? 0} active, ${c.completed ?? 0} completed, ${c.failed ?? 0} failed`,
  ];
  const entry = (label: string, r: QueueRow, rest: string) =>
    lines.push(`  ${label.padEnd(9)} ${oneLine(r.job)} (#${oneLine(r.id ?? "?")})${rest}`);
  for (const a of s.active)
    entry("active", a, ` on ${oneLine(a.worker ?? "?")} since ${oneLine(a.startedAt ?? "?")}`);
  for (const w of s.waiting) {
    if (w.due === undefined) entry("waiting", w, "");
    else entry("delayed", w, ` due ${w.due}${w.error ? `, last error: ${oneLine(w.error)}` : ""}`);
  }
  for (const d of s.completed)
    entry("completed", d, ` ${oneLine(d.status ?? "done")} at ${d.finishedAt ?? "?"}`);
  for (const f of s.failed)
    entry("failed", f, ` after ${f.attempts} attempts at ${f.finishedAt ?? "?"}: ${oneLine(f.error ?? "")}`);
  for (const t of s.schedules) {
    const tz = t.timezone ? ` (${oneLine(t.timezone)})` : "";
    lines.push(
      `  ${"schedule".padEnd(9)} ${oneLine(t.job)}  ${oneLine(t.cron ?? "?")}${tz}, next ${t.next ?? "never"}`,
    );
  }
  for (const [name, list] of Object.entries(s.runs)) {
    lines.push(`${oneLine(name)}`);
    if (list.length === 0) lines.push("  no runs yet");
    for (const r of list) {
      const error = r.error ? `  ${oneLine(r.error)}` : "";
      lines.push(`  #${r.id} ${r.startedAt} → ${r.finishedAt ?? "…"}  ${r.status}${error}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
