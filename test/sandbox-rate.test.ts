/**
 * The sandbox's rate limiter counts per window of its injected clock, not of the wall clock:
 * with time standing still, the limit holds however long the requests take; moving the clock
 * one second opens the next window. Both networks' styles of saying so.
 */
import { afterEach, describe, expect, it } from "vitest";
import { partnerizeModule } from "../src/sandbox/partnerize.js";
import { type RunningSandbox, type SandboxModule, startSandbox } from "../src/sandbox/server.js";

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const ok: SandboxModule = {
  name: "ok",
  matches: (req) => req.url.pathname === "/ok",
  handle: (_req, reply) => reply.json({ ok: true }),
};

async function sandbox(modules: SandboxModule[], rateLimit: number) {
  let t = 5_000;
  const sb = await startSandbox({ modules, faults: { rateLimit }, clock: { now: () => t } });
  running.push(sb);
  return { sb, advance: (ms: number) => (t += ms) };
}

describe("sandbox rate limiter on an injected clock", () => {
  it("allows rateLimit requests per clock second, then 429 until the clock moves on", async () => {
    const { sb, advance } = await sandbox([ok], 3);
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await fetch(`${sb.origin}/ok`)).status);
      return out;
    };
    expect(await statuses(5)).toEqual([200, 200, 200, 429, 429]);
    advance(999); // 5 999 ms: still the same window
    expect(await statuses(1)).toEqual([429]);
    advance(1); // 6 000 ms: a new window
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    expect(sb.stats.faults.rateLimited).toBe(4);
  });

  it("counts per module, and Partnerize answers in its own style (X-RateLimit headers)", async () => {
    const pz = partnerizeModule({ applicationKey: "k", userApiKey: "u", retryAfterSeconds: 2 });
    const { sb } = await sandbox([ok, pz], 1);
    const auth = { authorization: `Basic ${Buffer.from("k:u").toString("base64")}` };
    expect((await fetch(`${sb.origin}/ok`)).status).toBe(200);
    const first = await fetch(`${sb.origin}/campaign/10l176/feed`, { headers: auth });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const limited = await fetch(`${sb.origin}/campaign/10l176/feed`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-retry-after")).toBe("2");
    expect(await limited.json()).toEqual({ error: { message: "Too Many Requests", type: "429" } });
    // Hosted feed files are exempt from faults, rate limits included.
    expect((await fetch(`${sb.origin}/files/partnerize/trailhead-us.csv`)).status).toBe(200);
  });
});
