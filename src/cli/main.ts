#!/usr/bin/env node
/** The only module that touches the real process. */
import { run } from "./run.js";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`feedpipe: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
