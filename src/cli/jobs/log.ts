/**
 * Run events of `jobs run` / `jobs schedule`: start, progress, end, error, skip, notify failures.
 * `--log-format json` writes one JSON line per event to stdout for log collectors (pino, with ISO
 * times); the default text format writes one readable line per event to stderr.
 */
import pino from "pino";
import type { TextOut } from "../context.js";

export type LogFormat = "text" | "json";

export interface JobLogger {
  event(name: string, fields: Record<string, unknown>): void;
}

export function createJobLogger(format: LogFormat, out: TextOut, err: TextOut): JobLogger {
  if (format === "json") {
    const log = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: "msg" },
      { write: (line: string) => out.write(line) },
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
      err.write(`feedpipe jobs: ${new Date().toISOString()} ${name} ${String(fields.job ?? "")} ${extra}\n`);
    },
  };
}
