/** Job files are checked completely before anything runs; every problem names the job and key. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { jobArgv, optionCatalog } from "../src/cli/jobs/catalog.js";
import { buildProgram, createContext } from "../src/cli/run.js";
import { FeedpipeError } from "../src/core/errors.js";
import { parseJobFile } from "../src/jobs/job-file.js";

const program = await buildProgram(
  createContext({
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: Readable.from([]),
    env: {},
    cwd: "/work",
  }),
);
const catalog = optionCatalog(program);
const ENV = {
  PB_TOKEN: "tok-1234567890",
  PB_SECRET: "sec-0987654321",
  BRAND: "7001",
  HOOK: "http://127.0.0.1:9/h",
};

function parse(doc: unknown, env: Record<string, string | undefined> = ENV) {
  return parseJobFile(doc, "/srv/jobs/jobs.yaml", catalog, env);
}

function problems(doc: unknown, env?: Record<string, string | undefined>): string {
  try {
    parse(doc, env);
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("JOB_FILE_INVALID");
    return (err as Error).message;
  }
  throw new Error("expected the job file to be refused");
}

const push = {
  source: "https://acme.example/feed.xml.gz",
  preset: "auto",
  push: "partnerboost",
  partnerboost: { brandId: "${BRAND}", token: "${PB_TOKEN}", secret: "${PB_SECRET}" },
  schedule: "15 2 * * *",
  gate: "30%",
  maxInvalid: "2%",
};

describe("job files", () => {
  it("accepts the README example: credentials into the environment, options onto the command line", () => {
    const file = parse({ jobs: { "acme-nightly": push } });
    const [job] = file.jobs;
    expect(job).toMatchObject({
      name: "acme-nightly",
      target: { kind: "push", network: "partnerboost" },
      schedule: { cron: "15 2 * * *", timezone: undefined },
      env: {
        PARTNERBOOST_BRAND_ID: "7001",
        PARTNERBOOST_TOKEN: "tok-1234567890",
        PARTNERBOOST_SECRET: "sec-0987654321",
      },
      secrets: ["tok-1234567890", "sec-0987654321"],
    });
    const argv = jobArgv(job!, catalog);
    expect(argv).toEqual([
      "push",
      "https://acme.example/feed.xml.gz",
      "--preset",
      "auto",
      "--gate",
      "30%",
      "--max-invalid",
      "2%",
      "--json",
      "--quiet",
    ]);
    expect(argv.join(" ")).not.toContain("tok-1234567890");
  });

  it("kebab-case keys, booleans, negated flags, defaults, and paths relative to the job file", () => {
    const file = parse({
      defaults: { concurrency: 8 },
      jobs: {
        exp: {
          source: "feeds/catalog.csv",
          export: "out/catalog.csv",
          "decimal-comma": true,
          "no-dedupe": true,
          mapping: "acme.yaml",
        },
      },
    });
    const argv = jobArgv(file.jobs[0]!, catalog);
    expect(argv.slice(0, 4)).toEqual([
      "convert",
      "/srv/jobs/feeds/catalog.csv",
      "-o",
      "/srv/jobs/out/catalog.csv",
    ]);
    expect(argv).toContain("--decimal-comma");
    expect(argv).toContain("--no-dedupe");
    expect(argv[argv.indexOf("--mapping") + 1]).toBe("/srv/jobs/acme.yaml");
  });

  it("reports every problem at once, each naming job and key", () => {
    const text = problems({
      jobs: {
        a: { ...push, gaet: "30%" },
        b: { source: "x.csv", push: "partnerboost", register: "partnerize" },
        c: { pull: "partnerboost" },
        d: { source: "x.csv", export: "y.csv", dryRun: true },
        e: { source: "x.csv", concurrency: true, push: "partnerboost" },
        f: { source: "x.csv", output: "z.csv", export: "y.csv" },
      },
    });
    expect(text).toMatch(/jobs\.a\.gaet: not an option of this job's command \(options: .*gate/);
    expect(text).toMatch(/jobs\.b: choose one of push, register, pull, validate/);
    expect(text).toMatch(/jobs\.c\.export: required for pull/);
    expect(text).toMatch(/jobs\.d\.dryRun: not an option/);
    expect(text).toMatch(/jobs\.e\.concurrency: expected a value/);
    expect(text).toMatch(/jobs\.f\.output: is set by the job itself/);
  });

  it("schedules are checked when the file is read (cron and time zone)", () => {
    const text = problems({
      jobs: {
        a: { source: "x.csv", schedule: "61 * * * *" },
        b: { source: "x.csv", schedule: { cron: "0 3 * * *", timezone: "Mars/Olympus" } },
      },
    });
    expect(text).toMatch(/jobs\.a\.schedule: "61 \* \* \* \*" is not a valid schedule/);
    expect(text).toMatch(/jobs\.b\.schedule: .*Mars\/Olympus/);
  });

  it("a missing ${VARIABLE} is an error before any job runs", () => {
    const text = problems({ jobs: { a: push } }, { PB_TOKEN: "t", BRAND: "1" });
    expect(text).toMatch(/environment: \$\{PB_SECRET\} is used in the job file but not set/);
  });

  it("refuses secrets written literally, and never echoes them", () => {
    const text = problems({
      jobs: {
        a: {
          ...push,
          partnerboost: { brandId: "7001", token: "literal-token-abcdef123", secret: "${PB_SECRET}" },
        },
        b: {
          source: "x",
          register: "partnerize",
          partnerize: { applicationKey: "key-abc-1234567", userApiKey: "${PB_TOKEN}" },
        },
      },
    });
    expect(text).toMatch(
      /jobs\.a\.partnerboost\.token: a secret must not be written in the job file: use \$\{VARIABLE\}/,
    );
    expect(text).toMatch(/jobs\.b\.partnerize\.applicationKey: a secret must not be written/);
    expect(text).not.toContain("literal-token-abcdef123");
    expect(text).not.toContain("key-abc-1234567");
  });

  it("structure errors name the key; bad job names are refused", () => {
    expect(problems({ jobs: { a: { source: "x", push: "awin" } } })).toMatch(/jobs\.a\.push/);
    expect(problems({ jobz: {} })).toMatch(/jobs: /);
    expect(problems({ jobs: { "../evil": { source: "x" } } })).toMatch(/jobs\.\.\.\/evil|a job name/);
    expect(problems({ jobs: { a: { source: "x", partnerboost: { tokn: "${PB_TOKEN}" } } } })).toMatch(
      /jobs\.a\.partnerboost/,
    );
  });

  it("notify: a URL or {url, on}, interpolated; file-level notify applies to every job", () => {
    const file = parse({
      notify: "${HOOK}",
      jobs: { a: { source: "x.csv" }, b: { source: "x.csv", notify: { url: "${HOOK}", on: "always" } } },
    });
    expect(file.jobs[0]?.notify).toEqual({ url: "http://127.0.0.1:9/h", on: "failure" });
    expect(file.jobs[1]?.notify).toEqual({ url: "http://127.0.0.1:9/h", on: "always" });
    expect(problems({ jobs: { a: { source: "x.csv", notify: "file:///etc/passwd" } } })).toMatch(
      /jobs\.a\.notify\.url: expected an http\(s\) URL/,
    );
  });

  it("register and pull jobs run their commands with the job's source and export", () => {
    const file = parse({
      jobs: {
        reg: { source: "https://shop.example/feed.csv", register: "partnerboost", fetchPeriod: "DAILY" },
        pz: { source: "https://shop.example/feed.xml", register: "partnerize", campaignId: "10l176" },
        pull: { pull: "partnerize", export: "out/", publisherId: "1l1007" },
      },
    });
    expect(jobArgv(file.jobs[0]!, catalog).slice(0, 6)).toEqual([
      "register",
      "partnerboost",
      "--fetch-url",
      "https://shop.example/feed.csv",
      "--fetch-period",
      "DAILY",
    ]);
    expect(jobArgv(file.jobs[1]!, catalog).slice(0, 4)).toEqual([
      "register",
      "partnerize",
      "--location",
      "https://shop.example/feed.xml",
    ]);
    expect(jobArgv(file.jobs[2]!, catalog).slice(0, 4)).toEqual([
      "pull",
      "partnerize",
      "-o",
      "/srv/jobs/out/",
    ]);
  });
});
