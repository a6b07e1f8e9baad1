/**
 * The command-line shell: a pure `run(argv, io) → exit code` that tests call directly.
 * Only `main.ts` touches the real process.
 */
import { Command, CommanderError } from "commander";
import { FeedpipeError, redactSecrets, urlSecrets } from "../core/errors.js";
import { closeHttpAgents } from "../io/http.js";
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
    final: () => io.onFinal?.(),
    out: (text) => io.stdout.write(terminalSafe(redactSecrets(text, secrets))),
    err: (text) => io.stderr.write(terminalSafe(redactSecrets(text, secrets))),
  };
}

/** Every command and subcommand: errors are thrown (exitOverride), output goes through ctx. */
function configureAll(cmd: Command, ctx: CliContext): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => ctx.out(s),
    writeErr: (s) => ctx.err(s),
    outputError: (s, write) => write(s.startsWith("error:") ? `feedpipe: ${s}` : s),
  });
  for (const sub of cmd.commands) configureAll(sub, ctx);
}

type AddCommand = (program: Command, ctx: CliContext) => Promise<void>;

/** The top-level commands in help order, each loading its own modules when it is added. */
const COMMANDS: Record<string, AddCommand> = {
  validate: async (p, ctx) => (await import("./commands/validate.js")).registerValidate(p, ctx),
  convert: async (p, ctx) => (await import("./commands/convert.js")).registerConvert(p, ctx),
  schema: async (p, ctx) => (await import("./commands/schema.js")).registerSchema(p, ctx),
  mapping: async (p, ctx) => {
    const mapping = p.command("mapping").description("mapping files: init writes one inferred from a feed");
    (await import("./commands/mapping-init.js")).registerMappingInit(mapping, ctx);
  },
  push: async (p, ctx) => (await import("./commands/push.js")).registerPush(p, ctx),
  report: async (p, ctx) => (await import("./commands/report.js")).registerReport(p, ctx),
  diff: async (p, ctx) => (await import("./commands/diff.js")).registerDiff(p, ctx),
  register: async (p, ctx) => {
    const register = p
      .command("register")
      .description("register a hosted feed URL with a network (partnerboost, partnerize)");
    (await import("./commands/register-partnerboost.js")).registerRegisterPartnerboost(register, ctx);
    (await import("./commands/register-partnerize.js")).registerRegisterPartnerize(register, ctx);
  },
  pull: async (p, ctx) => {
    const pull = p.command("pull").description("pull a publisher-side product feed and export it");
    (await import("./commands/pull-partnerboost.js")).registerPullPartnerboost(pull, ctx);
    (await import("./commands/pull-partnerboost-amazon.js")).registerPullPartnerboostAmazon(pull, ctx);
    (await import("./commands/pull-partnerize.js")).registerPullPartnerize(pull, ctx);
  },
  feeds: async (p, ctx) => {
    const feeds = p.command("feeds").description("list a network's feeds");
    (await import("./commands/feeds-partnerize.js")).registerFeedsPartnerize(feeds, ctx);
  },
  amazon: async (p, ctx) => {
    (await import("./commands/amazon.js")).registerAmazon(p, ctx);
  },
  sandbox: async (p, ctx) => (await import("./commands/sandbox.js")).registerSandbox(p, ctx),
  demo: async (p, ctx) => (await import("./commands/demo.js")).registerDemo(p, ctx),
  jobs: async (p, ctx) => (await import("./commands/jobs.js")).registerJobs(p, ctx, runCommand),
};

/**
 * The command-line program. With `argv`, only the command it names is added (and its modules
 * loaded); without, or for help and `jobs`, every command.
 */
export async function buildProgram(ctx: CliContext, argv?: string[]): Promise<Command> {
  const program = new Command("feedpipe")
    .description(
      "Move product catalogs between shops and affiliate networks: ingest, map, validate, push, pull, export.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)");
  program.addHelpText(
    "after",
    `
Examples:
  $ feedpipe validate catalog.csv                       check a catalog, table of problems
  $ feedpipe validate feed.xml.gz --json                machine-readable report on stdout
  $ feedpipe convert shopify.csv -o products.csv        map + validate + write network CSV
  $ feedpipe push catalog.csv --dry-run                 what would be sent to PartnerBoost
  $ feedpipe pull partnerboost --brand-id 66303 -o products.csv
  $ feedpipe pull partnerboost-amazon --country US --links -o amazon.csv
  $ feedpipe sandbox --port 8787                        local API-compatible server
  $ npm run demo                                        the whole job against the sandbox

Exit codes: 0 ok, 1 invalid rows or failed products, 2 fatal error (usage, I/O, auth).`,
  );

  const wanted = argv === undefined ? undefined : argv.find((a) => !a.startsWith("-"));
  // Only the named command's modules are loaded (the others cost ~5 MB of RSS and startup time);
  // help, an unknown command and `jobs` (whose job keys are every command's options) get all.
  const only =
    wanted !== undefined && wanted !== "jobs" && Object.hasOwn(COMMANDS, wanted) ? wanted : undefined;
  for (const [name, add] of Object.entries(COMMANDS)) {
    if (only === undefined || name === only) await add(program, ctx);
  }
  configureAll(program, ctx);
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
  // A URL on the command line (a feed, --fetch-url) may carry a token: whatever echoes it, a
  // server's error message included, shows it masked.
  for (const arg of argv) {
    const at = arg.search(/https?:\/\//i);
    if (at !== -1) for (const s of urlSecrets(arg.slice(at))) ctx.secrets.add(s);
  }
  try {
    const program = await buildProgram(ctx, argv);
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

/**
 * The exit code of a run that may have been interrupted: 130 (128 + SIGINT, the shell convention)
 * whatever stopped it, unless the signal came after the command had committed every output (a
 * script seeing 130 takes the outputs to be missing or partial).
 */
export function interruptedExitCode(code: number, aborted: boolean, finalBeforeSignal: boolean): number {
  return aborted && !finalBeforeSignal ? 130 : code;
}
