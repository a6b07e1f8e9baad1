/**
 * What a job runs: the command line of its target, and that command's options, read from the
 * commands themselves (commander's option list), so a job accepts exactly the options the command
 * has, under the same names, and the two can never drift apart.
 */
import type { Command } from "commander";
import type { CommandOption, JobSpec, JobTarget, OptionCatalog } from "../../jobs/job-file.js";

/** Options a job sets itself (from `source`, `export`) or that would break the run's capture. */
const MANAGED = new Set(["output", "fetchUrl", "location", "json", "report", "help", "quiet"]);

/** The command path of a target (`["register", "partnerboost"]`). */
export function commandPath(target: JobTarget): string[] {
  switch (target.kind) {
    case "validate":
      return ["validate"];
    case "export":
      return ["convert"];
    case "push":
      return ["push"];
    case "register":
      return ["register", target.network];
    case "pull":
      return ["pull", target.network];
  }
}

function findCommand(root: Command, path: readonly string[]): Command {
  let cmd = root;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command ${path.join(" ")}`);
    cmd = next;
  }
  return cmd;
}

/** The job-settable options of every target's command, from the program's own declarations. */
export function optionCatalog(root: Command): OptionCatalog {
  const cache = new Map<string, CommandOption[]>();
  return (target) => {
    const key = commandPath(target).join(" ");
    let list = cache.get(key);
    if (!list) {
      list = findCommand(root, commandPath(target))
        .options.filter((o) => o.long !== undefined)
        .map((o) => ({
          name: o.attributeName(),
          flag: o.long!,
          takesValue: o.required || o.optional,
          negate: o.negate,
          managed: MANAGED.has(o.attributeName()),
        }));
      cache.set(key, list);
    }
    return list;
  };
}

/** The machine-readable result flag of each command (its summary as JSON on stdout). */
function jsonFlags(target: JobTarget): string[] {
  return target.kind === "validate" ? ["--report", "json"] : ["--json"];
}

/**
 * The command line a job runs, exactly as a user would type it: the same command, the same
 * options. Credentials are not on it (they travel in the environment, see JobSpec.env).
 */
export function jobArgv(job: JobSpec, catalog: OptionCatalog): string[] {
  const t = job.target;
  const argv = [...commandPath(t)];
  const source = job.source ?? "";
  if (t.kind === "validate" || t.kind === "export" || t.kind === "push") argv.push(source);
  if (t.kind === "register") argv.push(t.network === "partnerboost" ? "--fetch-url" : "--location", source);
  if (t.kind === "export" || t.kind === "pull") argv.push("-o", t.output);
  const known = new Map(catalog(t).map((o) => [o.name, o]));
  for (const [name, value] of Object.entries(job.options)) {
    const opt = known.get(name)!;
    if (typeof value === "boolean") {
      // `--no-dedupe` is the option `dedupe`: false writes the flag, true is the default.
      if (value !== opt.negate) argv.push(opt.flag);
    } else if (Array.isArray(value)) {
      for (const v of value) argv.push(opt.flag, v);
    } else {
      argv.push(opt.flag, String(value));
    }
  }
  argv.push(...jsonFlags(t));
  if (known.has("quiet")) argv.push("--quiet");
  return argv;
}
