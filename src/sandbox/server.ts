/**
 * The sandbox: a real HTTP server on 127.0.0.1 that speaks the networks' documented contracts.
 * This file is the shell: routing to network modules, body reading, and fault injection
 * (latency, 500s, rate limiting, dropped connections). Each network lives in its own module.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../core/clock.js";
import { seededRandom } from "../core/random.js";

export interface FaultOptions {
  /**
   * Added latency per API request, in ms: a real delay (it only slows answers down; no count or
   * window depends on it, so tests on a virtual clock stay deterministic with it).
   */
  latencyMs?: number | undefined;
  /** Fraction (0..1) of API requests answered with HTTP 500 before they are processed. */
  errorRate?: number | undefined;
  /** Fraction (0..1) of API requests whose connection is dropped before processing. */
  dropRate?: number | undefined;
  /** Fraction (0..1) of API requests processed, then dropped without an answer. */
  dropAfterRate?: number | undefined;
  /** Allowed API requests per clock second per module (0 or undefined: unlimited; fixed windows). */
  rateLimit?: number | undefined;
  /** How a module signals a rate limit when it has a choice (PartnerBoost: code 1002 or HTTP 429). */
  rateLimitStyle?: "code" | "http" | undefined;
  /** Seed for the fault dice. */
  seed?: number | undefined;
}

export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  /** Raw body text. */
  body: string;
  /** Parsed parameters: query string merged with a form or JSON object body (body wins). */
  params: Record<string, unknown>;
  /** The parsed JSON body, when the body was JSON. */
  json: unknown;
}

export interface SandboxReply {
  status(code: number): SandboxReply;
  header(name: string, value: string): SandboxReply;
  json(body: unknown): void;
  text(body: string | Buffer, contentType?: string): void;
  raw: ServerResponse;
}

export interface SandboxModule {
  name: string;
  /** Does this module own the request? */
  matches(req: SandboxRequest): boolean;
  /** Is this request exempt from faults (e.g. a feed file download)? */
  faultExempt?(req: SandboxRequest): boolean;
  handle(req: SandboxRequest, reply: SandboxReply): void | Promise<void>;
  /** Render a rate-limit answer in this network's style. */
  rateLimited?(req: SandboxRequest, reply: SandboxReply, style: "code" | "http"): void;
  /** Base URLs and demo credentials to print on start, given the server's origin. */
  describe?(origin: string): string[];
}

export interface SandboxOptions {
  port?: number | undefined;
  host?: string | undefined;
  modules: SandboxModule[];
  faults?: FaultOptions | undefined;
  /**
   * The clock of the rate limiter's windows, read once per rate-checked request (default the
   * system clock; tests pass a virtual one, e.g. a StepClock shared with the client's controller).
   */
  clock?: Pick<Clock, "now"> | undefined;
}

export interface SandboxStats {
  requests: number;
  faults: { errors: number; drops: number; dropsAfter: number; rateLimited: number };
}

export interface RunningSandbox {
  origin: string;
  port: number;
  stats: SandboxStats;
  setFaults(faults: FaultOptions): void;
  describe(): string[];
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseParams(
  url: URL,
  headers: IncomingMessage["headers"],
  body: string,
): { params: Record<string, unknown>; json: unknown } {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = String(headers["content-type"] ?? "");
  let json: unknown;
  if (body.trim() !== "") {
    if (type.includes("json") || /^\s*[[{]/.test(body)) {
      try {
        json = JSON.parse(body);
        if (json && typeof json === "object" && !Array.isArray(json)) Object.assign(params, json);
      } catch {
        json = undefined;
      }
    } else if (type.includes("x-www-form-urlencoded")) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
    }
  }
  return { params, json };
}

function makeReply(res: ServerResponse): SandboxReply {
  let statusCode = 200;
  const headers: Record<string, string> = {};
  const reply: SandboxReply = {
    raw: res,
    status(code) {
      statusCode = code;
      return reply;
    },
    header(name, value) {
      headers[name.toLowerCase()] = value;
      return reply;
    },
    json(body) {
      const text = JSON.stringify(body);
      res.writeHead(statusCode, {
        ...headers,
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    },
    text(body, contentType = "text/plain; charset=utf-8") {
      res.writeHead(statusCode, {
        ...headers,
        "content-type": contentType,
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    },
  };
  return reply;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  let faults: FaultOptions = { ...(options.faults ?? {}) };
  let dice = seededRandom(faults.seed ?? 1);
  const windows = new Map<string, { second: number; count: number }>();
  const stats: SandboxStats = { requests: 0, faults: { errors: 0, drops: 0, dropsAfter: 0, rateLimited: 0 } };

  const clock = options.clock ?? { now: () => Date.now() };
  const overLimit = (module: string): boolean => {
    if (!faults.rateLimit) return false;
    const second = Math.floor(clock.now() / 1000);
    const w = windows.get(module);
    if (!w || w.second !== second) {
      windows.set(module, { second, count: 1 });
      return false;
    }
    w.count++;
    return w.count > faults.rateLimit;
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      const body = await readBody(req);
      const { params, json } = parseParams(url, req.headers, body);
      const sreq: SandboxRequest = {
        method: req.method ?? "GET",
        url,
        headers: req.headers,
        body,
        params,
        json,
      };
      const reply = makeReply(res);
      const module = options.modules.find((m) => m.matches(sreq));
      if (!module) {
        reply
          .status(404)
          .json({ error: { message: `No sandbox route for ${sreq.method} ${url.pathname}`, type: "404" } });
        return;
      }
      stats.requests++;
      const exempt = module.faultExempt?.(sreq) ?? false;
      if (!exempt) {
        if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
        if (overLimit(module.name)) {
          stats.faults.rateLimited++;
          const style = faults.rateLimitStyle ?? "http";
          if (module.rateLimited) module.rateLimited(sreq, reply, style);
          else
            reply
              .status(429)
              .header("retry-after", "1")
              .json({ error: { message: "Too many requests", type: "429" } });
          return;
        }
        if (faults.dropRate && dice() < faults.dropRate) {
          stats.faults.drops++;
          req.socket.destroy();
          return;
        }
        if (faults.errorRate && dice() < faults.errorRate) {
          stats.faults.errors++;
          reply.status(500).text("Internal Server Error (sandbox fault injection)");
          return;
        }
      }
      if (!exempt && faults.dropAfterRate && dice() < faults.dropAfterRate) {
        // Process the request, then hang up without answering: the client cannot know it landed.
        stats.faults.dropsAfter++;
        const swallow = makeReply(res);
        swallow.json = () => req.socket.destroy();
        swallow.text = () => req.socket.destroy();
        await module.handle(sreq, swallow);
        return;
      }
      await module.handle(sreq, reply);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: `sandbox error: ${(err as Error).message}`, type: "500" } }),
        );
      } else res.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    origin,
    port,
    stats,
    setFaults(f) {
      faults = { ...f };
      dice = seededRandom(faults.seed ?? 1);
      windows.clear();
    },
    describe() {
      return options.modules.flatMap((m) => m.describe?.(origin) ?? []);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
