/**
 * A private redis-server for a test file: a free loopback port, no persistence, stopped afterwards
 * (never the default port 6379, never a shared instance). Without `redis-server` on PATH the suites
 * are skipped with one visible line (optionalSuite).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { findExecutable } from "./optional.js";

export const redisServerBinary = findExecutable("redis-server", "/usr/bin/redis-server");

export interface TestRedis {
  url: string;
  port: number;
  /** A plain client for assertions (closed by stop). */
  client: Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  if (!redisServerBinary) throw new Error("redis-server not found");
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    if (port === 6379) continue;
    const child: ChildProcess = spawn(
      redisServerBinary,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on("error", () => undefined);
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      try {
        await client.connect();
        ready = (await client.ping()) === "PONG";
      } catch {
        client.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (!ready) {
      child.kill("SIGKILL");
      client.disconnect();
      if (attempt < 3) continue;
      throw new Error(`redis-server did not start on port ${port}`);
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      client,
      async stop() {
        client.disconnect();
        child.kill("SIGTERM");
        await exited;
      },
    };
  }
}
