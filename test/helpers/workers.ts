/**
 * Real worker processes and a multi-brand sandbox for the BullMQ tests: several PartnerBoost brand
 * modules (one API path and brand id each) in one sandbox, each recording how many of its
 * requests were in flight at once (two workers on one brand would overlap).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import {
  partnerboostBrandModule,
  type PartnerboostBrandSandboxModule,
} from "../../src/sandbox/partnerboost-brand.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/server.js";

export const CLI = resolve(import.meta.dirname, "..", "..", "dist", "src", "cli", "main.js");

export interface TrackedBrand {
  id: string;
  token: string;
  secret: string;
  apiUrl: string;
  module: PartnerboostBrandSandboxModule;
  inFlight: number;
  maxInFlight: number;
  /** When each request arrived (ms). */
  arrivals: number[];
  /** While set, requests are held (in flight) until it resolves. */
  gate?: Promise<void> | undefined;
}

/** One sandbox with `count` brands; each request is held `latencyMs` so overlaps show. */
export async function startBrands(
  count: number,
  latencyMs: number,
): Promise<{ server: RunningSandbox; brands: TrackedBrand[] }> {
  const brands: TrackedBrand[] = [];
  const modules = [];
  for (let i = 1; i <= count; i++) {
    const id = String(7100 + i);
    const options = {
      brandId: id,
      token: `tok-${i}-a81f2c0d9e`,
      secret: `sec-${i}-5be0c1f7d3a94e62`,
      path: `/api/brand-${i}`,
    };
    const module = partnerboostBrandModule(options);
    const tracked: TrackedBrand = {
      id,
      token: options.token,
      secret: options.secret,
      apiUrl: "",
      module,
      inFlight: 0,
      maxInFlight: 0,
      arrivals: [],
    };
    const handle = module.handle.bind(module);
    modules.push({
      ...module,
      matches: (req: Parameters<typeof module.matches>[0]) => req.url.pathname.startsWith(options.path),
      handle: async (...args: Parameters<typeof module.handle>) => {
        tracked.arrivals.push(Date.now());
        tracked.inFlight++;
        tracked.maxInFlight = Math.max(tracked.maxInFlight, tracked.inFlight);
        try {
          await new Promise((r) => setTimeout(r, latencyMs));
          if (tracked.gate) await tracked.gate;
          await handle(...args);
        } finally {
          tracked.inFlight--;
        }
      },
    });
    brands.push(tracked);
  }
  const server = await startSandbox({ modules });
  brands.forEach((b, i) => (b.apiUrl = `${server.origin}/api/brand-${i + 1}`));
  return { server, brands };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnWorker(args: string[], env: Record<string, string>, cwd: string): WorkerProcess {
  let out = "";
  const child = spawn(process.execPath, [CLI, "jobs", "worker", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Run the CLI as a process to its end. */
export function runProcess(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    let out = "";
    let err = "";
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => done({ code, out, err }));
  });
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  limitMs = 60_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
