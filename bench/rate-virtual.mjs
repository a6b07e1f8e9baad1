/**
 * The rate controller alone on virtual time (issue 12): no processes, no machine noise, so every
 * figure is a deterministic function of the algorithm and the scenario.
 *
 * A fixed-window server (`limit` per calendar second, its windows starting `phase` ms into the
 * run, so a run can begin anywhere in a window; `server: "sliding"`: at most `limit` accepted in
 * any 1000 ms; `"bucket"`: a token bucket of `limit` refilled at `limit` a second, full at the
 * start, `phase` then only shifts the jitter seed's timing), `latency` ms per request (half on the way there,
 * half back, each ± `jitter` ms from a seeded generator; the server counts a request when it
 * arrives), `count` requests through `concurrency` workers via `withRetry` + one controller.
 * Rate-limit answers are code 1002 (`style: "code"`, no Retry-After) or HTTP 429 with
 * `Retry-After: 1` (`style: "http"`). `paging`: the first request alone, then the rest (a
 * publisher pull's page 1, then its pages concurrently).
 *
 * Used by `node bench/network.mjs --virtual` (see there).
 */
import { setImmediate as tick } from "node:timers/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => join(root, "dist", "src", p);

/** mulberry32: a small seeded generator (0..1). */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function virtualClock() {
  let now = 0;
  let seq = 0;
  const timers = [];
  return {
    timers,
    get t() {
      return now;
    },
    set t(v) {
      now = v;
    },
    now: () => now,
    sleep: (ms, signal) =>
      new Promise((r) => {
        if (signal?.aborted) return r();
        const timer = { at: now + Math.max(0, ms), seq: seq++, r };
        timers.push(timer);
        signal?.addEventListener(
          "abort",
          () => {
            const i = timers.indexOf(timer);
            if (i >= 0) timers.splice(i, 1);
            r();
          },
          { once: true },
        );
      }),
  };
}

/** One scenario; returns achieved/limit over the span of the requests and the refused share. */
export async function virtualRun(
  mods,
  {
    limit,
    latency,
    jitter = 0,
    count,
    concurrency,
    style = "code",
    phase = 0,
    seed = 1,
    paging = false,
    server = "fixed",
    trace,
  },
) {
  const { RateController, withRetry, NetworkError } = mods;
  const clock = virtualClock();
  const controller = new RateController("virtual", {
    clock,
    onPause: trace && ((e) => trace(clock.now(), e, controller.stats())),
  });
  const random = seeded(seed);
  const half = () => Math.max(0, latency / 2 + (jitter > 0 ? (random() * 2 - 1) * jitter : 0));
  let window = -Infinity;
  let used = 0;
  // sliding: at most `limit` accepted in any 1000 ms (a log of acceptances); bucket: a token bucket
  // of `limit` tokens refilled at `limit` per second, started full.
  const accepted = [];
  let tokens = limit;
  let filledAt = 0;
  const admit = (t) => {
    if (server === "sliding") {
      while (accepted.length > 0 && accepted[0] <= t - 1000) accepted.shift();
      if (accepted.length >= limit) return false;
      accepted.push(t);
      return true;
    }
    if (server === "random") {
      // Refusals at random, whatever the rate (another client's quota, a flaky gateway).
      return random() >= (Number(process.env.RANDOM_REFUSALS) || 0.05);
    }
    if (server === "bucket") {
      tokens = Math.min(limit, tokens + ((t - filledAt) * limit) / 1000);
      filledAt = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
    const w = Math.floor((t + phase) / 1000);
    if (w !== window) {
      window = w;
      used = 0;
    }
    return ++used <= limit;
  };
  let limited = 0;
  let passed = 0;
  let firstSent;
  let lastAnswer = 0;
  let next = 0;
  const request = async () => {
    await withRetry(
      async () => {
        firstSent ??= clock.now();
        await clock.sleep(half());
        const ok = admit(clock.now() + (server === "fixed" ? 0 : phase));
        await clock.sleep(half());
        lastAnswer = clock.now();
        if (!ok) {
          limited++;
          throw new NetworkError("NET_RATE_LIMITED", "limited", {
            retryable: true,
            retryAfterMs: style === "http" ? 1000 : undefined,
          });
        }
        passed++;
      },
      { rate: controller, policy: { attempts: 1 } },
    );
  };
  const worker = async () => {
    while (next < count) {
      next++;
      await request();
    }
  };
  let done = false;
  const all = (async () => {
    if (paging) {
      next++;
      await request();
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
  })().then(() => {
    done = true;
  });
  while (!done) {
    for (let i = 0; i < 3; i++) await tick();
    if (done) break;
    clock.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = clock.timers.shift();
    if (!t) break;
    clock.t = Math.max(clock.t, t.at);
    t.r();
  }
  await all;
  const stats = controller.stats();
  return {
    ratio: passed / ((lastAnswer - (firstSent ?? 0)) / 1000) / limit,
    share: limited / stats.requests,
    limited,
    requests: stats.requests,
    learnedLimit: stats.learnedLimit,
    pausedMs: stats.pausedMs,
  };
}

/**
 * Concurrency limit×latency … 64, each over several window phases (and jitter seeds): the worst
 * and the mean achieved/limit, the worst and the mean refused share.
 */
export async function virtualSweep({
  log = () => {},
  limit = 100,
  latency = 40,
  count = 3000,
  style = "code",
  jitter = 0,
  phases = [0, 250, 500, 750, 900],
  paging = false,
  server = "fixed",
  concurrencies,
} = {}) {
  const mods = {
    RateController: (await import(dist("core/rate.js"))).RateController,
    NetworkError: (await import(dist("core/errors.js"))).NetworkError,
    withRetry: (await import(dist("core/retry.js"))).withRetry,
  };
  const start = Math.max(1, Math.round((limit * latency) / 1000));
  const levels = concurrencies ?? [...new Set([start, 8, 16, 32, 64])].filter((c) => c >= start);
  const rows = [];
  for (const concurrency of levels) {
    const runs = [];
    for (const [i, phase] of phases.entries()) {
      runs.push(
        await virtualRun(mods, {
          limit,
          latency,
          jitter,
          count,
          concurrency,
          style,
          phase,
          seed: i + 1,
          paging,
          server,
        }),
      );
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const row = {
      concurrency,
      minRatio: Math.min(...runs.map((r) => r.ratio)),
      meanRatio: mean(runs.map((r) => r.ratio)),
      maxShare: Math.max(...runs.map((r) => r.share)),
      meanShare: mean(runs.map((r) => r.share)),
      runs,
    };
    rows.push(row);
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    log(
      `virtual ${paging ? "paging" : "push"} ${style}${server === "fixed" ? "" : ` ${server}`} limit ${limit}/s latency ${latency}±${jitter} ms ${count} requests ` +
        `c=${String(concurrency).padStart(2)}: achieved/limit min ${row.minRatio.toFixed(3)} mean ${row.meanRatio.toFixed(3)}, ` +
        `refused max ${pct(row.maxShare)} mean ${pct(row.meanShare)} ` +
        `[${runs.map((r) => `${r.ratio.toFixed(3)}/${r.limited}`).join(" ")}]\n`,
    );
  }
  return rows;
}
