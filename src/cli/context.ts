/** What a command sees of the process: streams, environment, and where to put its exit code. */
import type { Readable } from "node:stream";
import type { SchedulerClock } from "../jobs/scheduler.js";

export interface TextOut {
  write(text: string): unknown;
  /** True for an interactive terminal (progress is shown only then). */
  isTTY?: boolean | undefined;
}

export interface CliIO {
  stdout: TextOut;
  stderr: TextOut;
  stdin: Readable | NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT by main.ts (long-running commands such as `sandbox` stop on it). */
  signal?: AbortSignal | undefined;
  /** Subscribe to SIGHUP (main.ts); returns the unsubscribe function. `jobs schedule` reloads on it. */
  onHangup?: ((listener: () => void) => () => void) | undefined;
  /** The scheduler's clock (tests inject one; default: the system clock). */
  clock?: SchedulerClock | undefined;
  /**
   * The command's outputs are all committed (main.ts: an interrupt that comes after this does not
   * make the run exit 130, since nothing it wrote is unfinished).
   */
  onFinal?: (() => void) | undefined;
}

export interface CliContext {
  io: CliIO;
  /** 0 ok, 1 data problems (invalid rows, failed products), 2 fatal (usage, I/O, auth, config). */
  exitCode: number;
  out(text: string): void;
  err(text: string): void;
  /** Secrets known to this run; `err`/`out` redact them as a last line of defence. */
  secrets: Set<string>;
  /**
   * Run when the command ends, however it ends (runCommand's `finally`), newest first: connections
   * a helper opened for the command (the shared rate budget's Redis) are closed here, once.
   */
  cleanups: (() => unknown)[];
  /** Say that every output of the command is committed (see CliIO.onFinal). */
  final(): void;
}

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_FATAL = 2;
