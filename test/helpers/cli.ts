/** Run the CLI in-process (the pure `run(argv, io)`) with captured stdout and stderr. */
import { Readable } from "node:stream";
import { run } from "../../src/cli/run.js";
import type { CliIO } from "../../src/cli/context.js";

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export interface CliOptions {
  /** Text on stdin (default: empty). */
  stdin?: string | undefined;
  /** The whole environment the command sees (default: empty). */
  env?: Record<string, string | undefined> | undefined;
  /** Working directory (default: the test process's). */
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  /** stderr claims to be a terminal (progress output). */
  tty?: boolean | undefined;
  /** stdout claims to be a terminal (data written to `-o -` is shown). */
  stdoutTty?: boolean | undefined;
  /** Called when the command says its outputs are committed (ctx.final). */
  onFinal?: (() => void) | undefined;
}

export async function runCli(argv: string[], options: CliOptions = {}): Promise<Captured> {
  let out = "";
  let err = "";
  const io: Partial<CliIO> = {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
      isTTY: options.stdoutTty,
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
      isTTY: options.tty,
    },
    stdin: Readable.from([Buffer.from(options.stdin ?? "")]),
    env: options.env ?? {},
    signal: options.signal,
    onFinal: options.onFinal,
  };
  if (options.cwd !== undefined) io.cwd = options.cwd;
  const code = await run(argv, io);
  return { code, out, err };
}
