/**
 * Run events of `jobs run` / `jobs schedule`: start, progress, end, error, skip, notify failures.
 * `--log-format json` writes one JSON line per event to stdout for log collectors (pino, with ISO
 * times); the default text format writes one readable line per event to stderr.
 */
import pino from "pino";
import type { CliContext } from "../context.js";

export type LogFormat = "text" | "json";

export interface JobLogger {
  event(name: string, fields: Record<string, unknown>): void;
}

/** Events go through the context's `out`/`err`, so the run's secrets are redacted and control characters escaped like everything else printed. */
export function createJobLogger(format: LogFormat, ctx: Pick<CliContext, "out" | "err">): JobLogger {
  if (format === "json") {
    const log = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: "msg" },
      { write: (line: string) => ctx.out(line) },
    );
    return {
      event(name, fields) {
        const level =
          name === "error" || name === "notify-failed" ? "error" : name === "skip" ? "warn" : "info";
        log[level]({ event: name, ...fields }, `job ${String(fields.job ?? "")} ${name}`);
      },
    };
  }
  return {
    event(name, fields) {
      if (name === "progress") return;
      const extra = Object.entries(fields)
        .filter(([k]) => k !== "job")
        .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
        .join(" ");
      ctx.err(`feedpipe jobs: ${new Date().toISOString()} ${name} ${String(fields.job ?? "")} ${extra}\n`);
    },
  };
}
