/**
 * The one abort path (src/core/abort.ts): every interruption ends as an AbortedError (code
 * ABORTED), never a raw DOMException, and the CLI's signal reaches the input read, so a stalled
 * download stops on Ctrl-C instead of at its body timeout (60 s).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError, isAborted, runSignal, sleep, throwIfAborted, toAborted } from "../src/core/abort.js";
import { FeedpipeError, NetworkError } from "../src/core/errors.js";
import { withRetry } from "../src/core/retry.js";
import { openFeed } from "../src/formats/index.js";
import { runCli } from "./helpers/cli.js";

const ROOT = resolve(import.meta.dirname, "..");
const MAIN = join(ROOT, "dist", "src", "cli", "main.js");

describe("abort module", () => {
  it("AbortedError is a coded FeedpipeError", () => {
    const e = new AbortedError("stopped");
    expect(e).toBeInstanceOf(FeedpipeError);
    expect(e.code).toBe("ABORTED");
    expect(isAborted(e)).toBe(true);
    expect(isAborted(new FeedpipeError("ABORTED", "x"))).toBe(true);
    expect(isAborted(new DOMException("x", "AbortError"))).toBe(true);
    expect(isAborted(new FeedpipeError("IO_READ", "x"))).toBe(false);
    expect(isAborted(new Error("x"))).toBe(false);
  });

  it("throwIfAborted and sleep throw AbortedError, not the signal's reason", async () => {
    const c = new AbortController();
    expect(() => throwIfAborted(c.signal)).not.toThrow();
    c.abort();
    expect(() => throwIfAborted(c.signal, "why")).toThrow(AbortedError);
    await expect(sleep(10, c.signal)).rejects.toBeInstanceOf(AbortedError);
    const later = new AbortController();
    const waiting = sleep(60_000, later.signal);
    later.abort(new Error("SIGINT"));
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("toAborted keeps a real coded failure and turns the rest into AbortedError", () => {
    const c = new AbortController();
    c.abort();
    const auth = new NetworkError("NET_AUTH_FAILED", "no");
    expect(toAborted(auth, c.signal, "m")).toBe(auth);
    expect(toAborted(new DOMException("x", "AbortError"), undefined, "m")).toBeInstanceOf(AbortedError);
    expect(toAborted(new TypeError("x"), c.signal, "m")).toBeInstanceOf(AbortedError);
    const plain = new TypeError("x");
    expect(toAborted(plain, undefined, "m")).toBe(plain);
  });

  it("withRetry never lets a DOMException escape", async () => {
    const before = new AbortController();
    before.abort();
    await expect(withRetry(() => Promise.resolve(1), { signal: before.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    // Aborted during the backoff wait.
    const during = new AbortController();
    const run = withRetry(
      () => {
        setImmediate(() => during.abort());
        return Promise.reject(new NetworkError("HTTP_STATUS", "503", { retryable: true }));
      },
      { signal: during.signal, policy: { baseDelayMs: 60_000, maxDelayMs: 60_000 } },
    );
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    // fn itself fails with the platform's AbortError once aborted.
    const inside = new AbortController();
    const run2 = withRetry(
      () => {
        inside.abort();
        return Promise.reject(new DOMException("The operation was aborted", "AbortError"));
      },
      { signal: inside.signal },
    );
    await expect(run2).rejects.toBeInstanceOf(AbortedError);
  });
});

describe("abort during a stalled download", () => {
  let server: Server;
  let origin = "";
  let requested: () => void = () => undefined;
  beforeAll(async () => {
    // Sends headers (and a little of the feed), then nothing: a download that stalls.
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("sku,title\n");
      requested();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const nextRequest = () => new Promise<void>((r) => (requested = r));

  it("openFeed with a signal stops with ABORTED", async () => {
    const c = new AbortController();
    const seen = nextRequest();
    const opening = openFeed(`${origin}/stalled.csv`, { signal: c.signal }).catch((e: unknown) => e);
    await seen;
    c.abort(new Error("interrupted by SIGINT"));
    const err = await opening;
    expect(err).toBeInstanceOf(AbortedError);
  });

  it("the CLI's signal reaches the read: validate stops with ABORTED", async () => {
    const c = new AbortController();
    const seen = nextRequest();
    const running = runCli(["validate", `${origin}/stalled.csv`], { signal: c.signal });
    await seen;
    c.abort(new Error("interrupted by SIGINT"));
    const r = await running;
    expect(r.err).toContain("[ABORTED]");
    expect(r.code).toBe(2);
  });

  it.skipIf(!existsSync(MAIN))("SIGINT during a stalled download exits 130", async () => {
    const seen = nextRequest();
    const child = spawn(process.execPath, [MAIN, "validate", `${origin}/stalled.csv`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await seen;
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("[ABORTED]");
  });
});

describe("runSignal", () => {
  it("joins the run's signal with a call's once, and many requests can listen without a leak warning", async () => {
    const run = new AbortController();
    const call = new AbortController();
    const join = runSignal(run.signal);
    expect(join()).toBe(run.signal);
    expect(join(run.signal)).toBe(run.signal);
    const both = join(call.signal)!;
    expect(join(call.signal)).toBe(both);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      for (let i = 0; i < 64; i++) both.addEventListener("abort", () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
    call.abort();
    expect(both.aborted).toBe(true);
    expect(run.signal.aborted).toBe(false);
  });
});
