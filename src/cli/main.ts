#!/usr/bin/env node
/** The only module that touches the real process. */
import { boundOldGeneration, heapGrowingOption } from "./old-generation.js";
import { interruptedExitCode, run } from "./run.js";
import { capYoungGeneration, youngGenerationOption } from "./young-generation.js";

// Flat memory: keep V8's young generation small (see young-generation.ts), and the garbage the old
// generation holds between full GCs bounded (see old-generation.ts).
capYoungGeneration(youngGenerationOption(process.env));
boundOldGeneration(heapGrowingOption(process.env));

// First Ctrl-C (or SIGTERM): abort the run cleanly (outputs are aborted, no half-written file is
// left looking complete). A second one ends the process at once.
const controller = new AbortController();
let final = false; // the command said its outputs are committed (ctx.final)
let finalBeforeSignal = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130);
  finalBeforeSignal = final;
  process.stderr.write(`\nfeedpipe: ${signal} received, stopping (again to force)\n`);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

// `feedpipe push big.csv --dry-run | head`, `feedpipe --help | head`: the reader went away. That
// is not an error: stop quietly (no stack trace), as other command-line tools do on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") {
      controller.abort(new Error("output closed"));
      process.exit(process.exitCode ?? 0);
    }
    throw err;
  });
}

// SIGHUP: long-running commands that keep a file (jobs schedule) read it again.
const onHangup = (listener: () => void) => {
  process.on("SIGHUP", listener);
  return () => void process.off("SIGHUP", listener);
};

const onFinal = () => {
  final = true;
};

run(process.argv.slice(2), { signal: controller.signal, onHangup, onFinal }).then(
  (code) => {
    process.exitCode = interruptedExitCode(code, controller.signal.aborted, finalBeforeSignal);
  },
  (err: unknown) => {
    process.stderr.write(`feedpipe: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
