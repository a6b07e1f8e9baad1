#!/usr/bin/env node
/** The only module that touches the real process. */
import { run } from "./run.js";
import { capYoungGeneration, youngGenerationOption } from "./young-generation.js";

// Flat memory: keep V8's young generation small (see young-generation.ts).
capYoungGeneration(youngGenerationOption(process.env));

// First Ctrl-C (or SIGTERM): abort the run cleanly (outputs are aborted, no half-written file is
// left looking complete). A second one ends the process at once.
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write(`\nfeedpipe: ${signal} received, stopping (again to force)\n`);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

run(process.argv.slice(2), { signal: controller.signal }).then(
  (code) => {
    // Interrupted runs exit 130 (128 + SIGINT), the shell convention, whatever stopped them.
    process.exitCode = controller.signal.aborted ? 130 : code;
  },
  (err: unknown) => {
    process.stderr.write(`feedpipe: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
