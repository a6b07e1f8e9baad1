/**
 * Job files: named jobs in YAML or JSON, checked completely before anything runs.
 *
 *   notify: { url: "${HOOK_URL}", on: failure }     # optional, for every job
 *   defaults: { concurrency: 8 }                    # optional, for every job whose command has them
 *   jobs:
 *     acme-nightly:
 *       source: https://acme.example/feed.xml.gz
 *       preset: auto
 *       push: partnerboost                          # or register / export / pull (see JobTarget)
 *       partnerboost: { brandId: "7001", token: "${ACME_PB_TOKEN}", secret: "${ACME_PB_SECRET}" }
 *       schedule: "15 2 * * *"                      # cron; or { cron: "…", timezone: "Europe/Berlin" }
 *       gate: 30%
 *       maxInvalid: 2%
 *
 * `${NAME}` is replaced from the environment; a missing variable is an error before any job runs.
 * Credentials (token, secret, keys) must be `${…}` references: a literal secret is refused. Every
 * other key is an option of the job's command with the same name and meaning (camelCase or the
 * kebab-case flag name): the caller supplies the commands' option lists, so they never drift apart.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { FeedpipeError } from "../core/errors.js";
import { compileSchedule } from "./scheduler.js";

/** What a job does, and so which command it runs. */
export type JobTarget =
  | { kind: "validate" }
  | { kind: "export"; output: string }
  | { kind: "push"; network: "partnerboost" }
  | { kind: "register"; network: "partnerboost" | "partnerize" }
  | { kind: "pull"; network: "partnerboost" | "partnerize"; output: string };

export interface NotifySpec {
  url: string;
  /** `failure` (default): failed or partial runs; `always`: every run. */
  on: "failure" | "always";
}

export interface JobSpec {
  name: string;
  source: string | undefined;
  target: JobTarget;
  schedule: { cron: string; timezone: string | undefined } | undefined;
  notify: NotifySpec | undefined;
  /** Options of the job's command: attribute name (camelCase) → value, interpolated. */
  options: Record<string, string | number | boolean | string[]>;
  /** Environment the command runs with (credentials → the variables the commands read). */
  env: Record<string, string>;
  /** Values to redact from everything the job prints or sends (resolved credentials). */
  secrets: string[];
}

export interface JobFile {
  path: string;
  jobs: JobSpec[];
}

/** One option a command accepts, as the CLI declares it. */
export interface CommandOption {
  /** camelCase attribute name (`maxInvalid`). */
  name: string;
  /** Long flag (`--max-invalid`). */
  flag: string;
  takesValue: boolean;
  /** `--no-x`: the option `x`, false when the flag is given. */
  negate: boolean;
  /** Set by the job itself (`source`, `export`, the JSON result): not a job key. */
  managed: boolean;
}

/** The options of the command a target runs (supplied by the CLI layer). */
export type OptionCatalog = (target: JobTarget) => readonly CommandOption[];

const secretRef = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const SECRET_KEYS = new Set(["token", "secret", "publisherToken", "applicationKey", "userApiKey"]);

const partnerboostCreds = z
  .object({
    brandId: z.union([z.string(), z.number()]).transform(String).optional(),
    token: z.string().optional(),
    secret: z.string().optional(),
    publisherToken: z.string().optional(),
    apiUrl: z.string().optional(),
    publisherApiUrl: z.string().optional(),
  })
  .strict();
const partnerizeCreds = z
  .object({
    applicationKey: z.string().optional(),
    userApiKey: z.string().optional(),
    apiUrl: z.string().optional(),
  })
  .strict();

const CRED_ENV: Record<string, Record<string, string>> = {
  partnerboost: {
    brandId: "PARTNERBOOST_BRAND_ID",
    token: "PARTNERBOOST_TOKEN",
    secret: "PARTNERBOOST_SECRET",
    publisherToken: "PARTNERBOOST_PUBLISHER_TOKEN",
    apiUrl: "PARTNERBOOST_BRAND_API_URL",
    publisherApiUrl: "PARTNERBOOST_PUBLISHER_API_URL",
  },
  partnerize: {
    applicationKey: "PARTNERIZE_APPLICATION_KEY",
    userApiKey: "PARTNERIZE_USER_API_KEY",
    apiUrl: "PARTNERIZE_API_URL",
  },
};

const notifySchema = z.union([
  z.string().transform((url) => ({ url, on: "failure" as const })),
  z.object({ url: z.string(), on: z.enum(["failure", "always"]).default("failure") }).strict(),
]);

const scheduleSchema = z.union([
  z.string().transform((cron) => ({ cron, timezone: undefined as string | undefined })),
  z.object({ cron: z.string(), timezone: z.string().optional() }).strict(),
]);

const optionValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const jobSchema = z
  .object({
    source: z.string().min(1).optional(),
    push: z.literal("partnerboost").optional(),
    register: z.enum(["partnerboost", "partnerize"]).optional(),
    pull: z.enum(["partnerboost", "partnerize"]).optional(),
    export: z.string().min(1).optional(),
    validate: z.literal(true).optional(),
    partnerboost: partnerboostCreds.optional(),
    partnerize: partnerizeCreds.optional(),
    schedule: scheduleSchema.optional(),
    timezone: z.string().optional(),
    notify: notifySchema.optional(),
    description: z.string().optional(),
  })
  .catchall(optionValue);

const fileSchema = z
  .object({
    notify: notifySchema.optional(),
    defaults: z.record(z.string(), optionValue).optional(),
    jobs: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a job name"), jobSchema),
  })
  .strict();

const RESERVED = new Set(Object.keys(jobSchema.shape));

/** Options that name local files: relative paths in a job file are relative to the file. */
const PATH_OPTIONS = new Set(["mapping", "rejects", "state", "config", "html"]);

/** A local path relative to the job file's folder (URLs and `-` as they are). */
function localPath(value: string, baseDir: string): string {
  if (value === "-" || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isAbsolute(value)) return value;
  return resolve(baseDir, value);
}

/** `max-invalid` / `max_invalid` / `maxInvalid` → `maxInvalid`. */
export function attributeName(key: string): string {
  return key.replace(/[-_]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(`${where}: ${message}`);
  }
}

/** Replace `${NAME}` from `env`; names of missing variables go to `missing`. */
function interpolate(value: string, env: Record<string, string | undefined>, missing: Set<string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === "") {
      missing.add(name);
      return "";
    }
    return v;
  });
}

function targetOf(job: z.infer<typeof jobSchema>, where: string, problems: Problems): JobTarget | undefined {
  const chosen = (["push", "register", "pull"] as const).filter((k) => job[k] !== undefined);
  if (job.validate) chosen.push("validate" as never);
  if (chosen.length > 1) {
    problems.add(where, `choose one of push, register, pull, validate (got ${chosen.join(" and ")})`);
    return undefined;
  }
  const needSource = (what: string) => {
    if (job.source === undefined) problems.add(`${where}.source`, `required for ${what}`);
  };
  if (job.push) {
    needSource("push");
    if (job.export !== undefined) problems.add(`${where}.export`, "not used with push");
    return { kind: "push", network: job.push };
  }
  if (job.register) {
    needSource("register (the URL of the hosted feed)");
    if (job.export !== undefined) problems.add(`${where}.export`, "not used with register");
    return { kind: "register", network: job.register };
  }
  if (job.pull) {
    if (job.export === undefined) problems.add(`${where}.export`, "required for pull: the output file");
    if (job.source !== undefined)
      problems.add(`${where}.source`, "not used with pull (the network is the source)");
    return { kind: "pull", network: job.pull, output: job.export ?? "" };
  }
  needSource(job.export !== undefined ? "export" : "validate");
  if (job.export !== undefined) {
    if (job.export === "-") problems.add(`${where}.export`, "a job writes to a file, not to stdout");
    return { kind: "export", output: job.export };
  }
  return { kind: "validate" };
}

function credentials(
  job: z.infer<typeof jobSchema>,
  where: string,
  env: Record<string, string | undefined>,
  missing: Set<string>,
  problems: Problems,
): { env: Record<string, string>; secrets: string[] } {
  const out: Record<string, string> = {};
  const secrets: string[] = [];
  for (const network of ["partnerboost", "partnerize"] as const) {
    const creds = job[network] as Record<string, string | undefined> | undefined;
    if (!creds) continue;
    for (const [key, raw] of Object.entries(creds)) {
      if (raw === undefined) continue;
      if (SECRET_KEYS.has(key) && !secretRef.test(raw)) {
        problems.add(
          `${where}.${network}.${key}`,
          "a secret must not be written in the job file: use ${VARIABLE} and set it in the environment",
        );
        continue;
      }
      const value = interpolate(raw, env, missing);
      out[CRED_ENV[network]![key]!] = value;
      if (SECRET_KEYS.has(key) && value !== "") secrets.push(value);
    }
  }
  return { env: out, secrets };
}

function options(
  raw: Record<string, unknown>,
  where: string,
  known: readonly CommandOption[],
  env: Record<string, string | undefined>,
  missing: Set<string>,
  problems: Problems,
  baseDir: string,
): JobSpec["options"] {
  const byName = new Map(known.filter((o) => !o.managed).map((o) => [o.name, o]));
  const out: JobSpec["options"] = {};
  for (const [key, value] of Object.entries(raw)) {
    let name = attributeName(key);
    let flip = false;
    // `no-dedupe: true` (the flag's own name) means `dedupe: false`.
    const negated = /^no[A-Z]/.test(name) ? name[2]!.toLowerCase() + name.slice(3) : undefined;
    if (!byName.has(name) && negated !== undefined && byName.get(negated)?.negate) {
      name = negated;
      flip = true;
    }
    const opt = byName.get(name);
    if (!opt) {
      const managed = known.some((o) => o.managed && o.name === name);
      const names = [...byName.values()].map((o) => o.flag.slice(2)).join(", ");
      problems.add(
        `${where}.${key}`,
        managed
          ? "is set by the job itself (from source, export or its JSON result)"
          : `not an option of this job's command (options: ${names})`,
      );
      continue;
    }
    if (!opt.takesValue && typeof value !== "boolean") {
      problems.add(`${where}.${key}`, `expected true or false (${opt.flag} takes no value)`);
      continue;
    }
    if (opt.takesValue && typeof value === "boolean") {
      problems.add(`${where}.${key}`, `expected a value (${opt.flag} <value>)`);
      continue;
    }
    const sub = (v: string) => {
      const text = interpolate(v, env, missing);
      return PATH_OPTIONS.has(name) ? localPath(text, baseDir) : text;
    };
    out[name] =
      typeof value === "string"
        ? sub(value)
        : Array.isArray(value)
          ? value.map((v) => sub(String(v)))
          : typeof value === "boolean"
            ? value !== flip
            : (value as number);
  }
  return out;
}

/**
 * Check a parsed job file: structure, one target per job, options known to the job's command,
 * `${VAR}` references present in `env`, no literal secrets. All problems are reported together,
 * each naming the job and key, before anything runs.
 */
export function parseJobFile(
  doc: unknown,
  path: string,
  catalog: OptionCatalog,
  env: Record<string, string | undefined>,
): JobFile {
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw invalid(path, lines);
  }
  const problems = new Problems();
  const missing = new Set<string>();
  const baseDir = dirname(resolve(path));
  const jobs: JobSpec[] = [];
  const fileNotify = parsed.data.notify;
  for (const [name, job] of Object.entries(parsed.data.jobs)) {
    const where = `jobs.${name}`;
    const target = targetOf(job, where, problems);
    if (!target) continue;
    const creds = credentials(job, where, env, missing, problems);
    // File-level defaults apply where the job's command has the option (push's concurrency is
    // no convert option); the job's own keys are all checked.
    const own = new Set(catalog(target).map((o) => o.name));
    const extra: Record<string, unknown> = Object.fromEntries(
      Object.entries(parsed.data.defaults ?? {}).filter(([k]) => own.has(attributeName(k))),
    );
    for (const [k, v] of Object.entries(job)) if (!RESERVED.has(k)) extra[k] = v;
    const opts = options(extra, where, catalog(target), env, missing, problems, baseDir);
    if (target.kind === "export" || target.kind === "pull") {
      const out = interpolate(target.output, env, missing);
      target.output = out.endsWith("/") ? `${localPath(out, baseDir)}/` : localPath(out, baseDir);
    }
    const schedule = job.schedule
      ? { cron: job.schedule.cron, timezone: job.schedule.timezone ?? job.timezone }
      : undefined;
    if (schedule) {
      try {
        compileSchedule({ name, ...schedule });
      } catch (err) {
        problems.add(`${where}.schedule`, (err as Error).message.replace(/^jobs\.[^:]+: /, ""));
      }
    }
    const notifyRaw = job.notify ?? fileNotify;
    const notify = notifyRaw ? { ...notifyRaw, url: interpolate(notifyRaw.url, env, missing) } : undefined;
    if (notify && !/^https?:\/\//i.test(notify.url) && !notify.url.startsWith("${")) {
      problems.add(`${where}.notify.url`, "expected an http(s) URL");
    }
    jobs.push({
      name,
      source:
        job.source === undefined ? undefined : localPath(interpolate(job.source, env, missing), baseDir),
      target,
      schedule,
      notify,
      options: opts,
      env: creds.env,
      secrets: creds.secrets,
    });
  }
  for (const name of missing) {
    problems.add("environment", `\${${name}} is used in the job file but not set`);
  }
  if (problems.list.length > 0) throw invalid(path, problems.list);
  return { path, jobs };
}

function invalid(path: string, lines: string[]): FeedpipeError {
  return new FeedpipeError(
    "JOB_FILE_INVALID",
    `Job file ${path} is invalid:\n${lines.map((l) => `  ${l}`).join("\n")}`,
    { context: { source: path } },
  );
}

/** Read a job file (YAML for .yaml/.yml, JSON otherwise) and check it with `parseJobFile`. */
export async function loadJobFile(
  path: string,
  catalog: OptionCatalog,
  env: Record<string, string | undefined>,
): Promise<JobFile> {
  return parseJobFile(await readJobDocument(path), path, catalog, env);
}

/** The parsed YAML/JSON document of a job file, unchecked. */
export async function readJobDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readFile(path, "utf8")).replace(/^\uFEFF/, "");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === "ENOENT" ? "IO_NOT_FOUND" : "IO_READ";
    throw new FeedpipeError(code, `Job file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path) ? (await import("yaml")).parse(text) : JSON.parse(text);
  } catch (err) {
    throw new FeedpipeError(
      "JOB_FILE_INVALID",
      `Job file ${path} is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(err as Error).message.split("\n")[0]}`,
      { cause: err, context: { source: path } },
    );
  }
  return doc;
}
