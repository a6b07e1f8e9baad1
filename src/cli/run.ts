/**
 * The command-line shell: a pure `run(argv, io) → exit code` that tests call directly.
 * Only `main.ts` touches the real process.
 */
import { Command, CommanderError } from "commander";
import { FeedpipeError, redactSecrets } from "../core/errors.js";
import { closeHttpAgents } from "../io/http.js";
import { registerAmazon } from "./commands/amazon.js";
import { registerConvert } from "./commands/convert.js";
import { registerDemo } from "./commands/demo.js";
import { registerDiff } from "./commands/diff.js";
import { registerFeedsPartnerize } from "./commands/feeds-partnerize.js";
import { registerJobs } from "./commands/jobs.js";
import { registerMappingInit } from "./commands/mapping-init.js";
import { registerPullPartnerboost } from "./commands/pull-partnerboost.js";
import { registerPullPartnerboostAmazon } from "./commands/pull-partnerboost-amazon.js";
import { registerPullPartnerize } from "./commands/pull-partnerize.js";
import { registerPush } from "./commands/push.js";
import { registerRegisterPartnerboost } from "./commands/register-partnerboost.js";
import { registerRegisterPartnerize } from "./commands/register-partnerize.js";
import { registerReport } from "./commands/report.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerSchema } from "./commands/schema.js";
import { registerValidate } from "./commands/validate.js";
import { type CliContext, type CliIO, EXIT_FATAL } from "./context.js";
import { terminalSafe } from "./terminal.js";
import { VERSION } from "./version.js";

export { VERSION } from "./version.js";

function defaultIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

export function createContext(io: CliIO): CliContext {
  const secrets = new Set<string>();
  return {
    io,
    exitCode: 0,
    secrets,
    cleanups: [],
    out: (text) => io.stdout.write(terminalSafe(redactSecrets(text, secrets))),
    err: (text) => io.stderr.write(terminalSafe(redactSecrets(text, secrets))),
  };
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("feedpipe")
    .description(
      "Move product catalogs between shops and affiliate networks: ingest, map, validate, push, pull, export.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `feedpipe: ${s}` : s),
    })
    .exitOverride();
  program.addHelpText(
    "after",
    `
Examples:
  $ feedpipe validate catalog.csv                       check a catalog, table of problems
  $ feedpipe validate feed.xml.gz --report json         machine-readable report on stdout
  $ feedpipe convert shopify.csv -o products.csv        map + validate + write network CSV
  $ feedpipe push catalog.csv --dry-run                 what would be sent to PartnerBoost
  $ feedpipe pull partnerboost --brand-id 66303 -o products.csv
  $ feedpipe pull partnerboost-amazon --country US --links -o amazon.csv
  $ feedpipe sandbox --port 8787                        local API-compatible server
  $ npm run demo                                        the whole job against the sandbox

Exit codes: 0 ok, 1 invalid rows or failed products, 2 fatal error (usage, I/O, auth).`,
  );

  registerValidate(program, ctx);
  registerConvert(program, ctx);
  registerSchema(program, ctx);
  const mapping = program
    .command("mapping")
    .description("mapping files: init writes one inferred from a feed");
  registerMappingInit(mapping, ctx);
  registerPush(program, ctx);
  registerReport(program, ctx);
  registerDiff(program, ctx);

  const register = program
    .command("register")
    .description("register a hosted feed URL with a network (partnerboost, partnerize)");
  registerRegisterPartnerboost(register, ctx);
  registerRegisterPartnerize(register, ctx);

  const pull = program.command("pull").description("pull a publisher-side product feed and export it");
  registerPullPartnerboost(pull, ctx);
  registerPullPartnerboostAmazon(pull, ctx);
  registerPullPartnerize(pull, ctx);

  const feeds = program.command("feeds").description("list a network's feeds");
  registerFeedsPartnerize(feeds, ctx);

  const amazon = registerAmazon(program, ctx);

  registerSandbox(program, ctx);
  registerDemo(program, ctx);
  registerJobs(program, ctx, runCommand);

  for (const cmd of [
    program,
    register,
    pull,
    feeds,
    amazon,
    mapping,
    ...program.commands,
    ...register.commands,
    ...pull.commands,
    ...feeds.commands,
    ...amazon.commands,
    ...(program.commands.find((c) => c.name() === "jobs")?.commands ?? []),
    ...mapping.commands,
  ]) {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `feedpipe: ${s}` : s),
    });
  }
  return program;
}

/** Print an error the way users should see it: code, message, place; never a stack trace. */
export function reportError(ctx: CliContext, err: unknown): number {
  if (err instanceof FeedpipeError) {
    ctx.err(`feedpipe: error [${err.code}]: ${err.message}\n`);
    return EXIT_FATAL;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.err(`feedpipe: unexpected error: ${message}\n`);
  if (ctx.io.env.FEEDPIPE_DEBUG && err instanceof Error && err.stack) ctx.err(`${err.stack}\n`);
  return EXIT_FATAL;
}

/**
 * Run one command line with the given IO and return its exit code, leaving the shared HTTP agents
 * open (jobs run commands in-process, several at once).
 */
export async function runCommand(argv: string[], io: Partial<CliIO> = {}): Promise<number> {
  const ctx = createContext({ ...defaultIO(), ...io });
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : EXIT_FATAL;
    }
    return reportError(ctx, err);
  } finally {
    await endCommand(ctx);
  }
}

/** Run the command's cleanups, newest first; one that fails does not stop the others. */
async function endCommand(ctx: CliContext): Promise<void> {
  for (const cleanup of ctx.cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // A connection that cannot close cleanly is dropped with the process; the result stands.
    }
  }
}

export async function run(argv: string[], io: Partial<CliIO> = {}): Promise<number> {
  try {
    return await runCommand(argv, io);
  } finally {
    await closeHttpAgents();
  }
}
