/**
 * Jobs that travel through a queue (BullMQ on Redis): the job file is checked where it is
 * scheduled, but each job is sent as its RAW definition, `${VAR}` references unresolved, so no
 * secret ever enters Redis. The worker that runs it resolves the references from its own
 * environment (`resolveQueuedJob`), with the same checks as `jobs run`.
 */
import { resolve } from "node:path";
import { FeedpipeError } from "../core/errors.js";
import { type JobFile, type JobSpec, type OptionCatalog, parseJobFile, readJobDocument } from "./job-file.js";

/** One job as stored in a queued job's data: JSON, no resolved values. */
export interface QueuedJob {
  name: string;
  /** The job file's absolute path (relative paths in the job are relative to its folder). */
  file: string;
  /** A one-job document: the file's `notify` and `defaults`, and this job's own keys as written. */
  doc: { notify?: unknown; defaults?: unknown; jobs: Record<string, unknown> };
}

export interface RawJobFile {
  /** The checked file (resolved where the environment has the values; never sent anywhere). */
  checked: JobFile;
  jobs: QueuedJob[];
}

/** An environment that leaves every variable it lacks as its own `${NAME}` reference. */
function referencesKept(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return new Proxy(env, {
    get: (target, key) => {
      if (typeof key !== "string") return undefined;
      const v = target[key];
      return v === undefined || v === "" ? `\${${key}}` : v;
    },
  });
}

/**
 * Read and check a job file without needing its secrets (the scheduler's machine may not have
 * them), and split it into one raw job per name.
 */
export async function loadRawJobs(
  path: string,
  catalog: OptionCatalog,
  env: Record<string, string | undefined>,
): Promise<RawJobFile> {
  const file = resolve(path);
  const doc = (await readJobDocument(file)) as Record<string, unknown>;
  const checked = parseJobFile(doc, path, catalog, referencesKept(env));
  const jobs = (doc.jobs ?? {}) as Record<string, unknown>;
  return {
    checked,
    jobs: checked.jobs.map((j) => ({
      name: j.name,
      file,
      doc: {
        ...(doc.notify === undefined ? {} : { notify: doc.notify }),
        ...(doc.defaults === undefined ? {} : { defaults: doc.defaults }),
        jobs: { [j.name]: jobs[j.name] },
      },
    })),
  };
}

/** The runnable job of a queued one, its `${VAR}` references resolved from this machine's `env`. */
export function resolveQueuedJob(
  queued: QueuedJob,
  catalog: OptionCatalog,
  env: Record<string, string | undefined>,
): JobSpec {
  if (typeof queued?.name !== "string" || typeof queued.file !== "string" || typeof queued.doc !== "object") {
    throw new FeedpipeError(
      "JOB_FILE_INVALID",
      "A queued job without a job definition (not queued by feedpipe?)",
    );
  }
  const job = parseJobFile(queued.doc, queued.file, catalog, env).jobs[0];
  if (!job) throw new FeedpipeError("JOB_FILE_INVALID", `Queued job ${queued.name} has no definition`);
  return job;
}
