/**
 * The state contract: what push, register and jobs rely on, run against every driver (SQLite and
 * Redis) through the one StateBackend interface.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { LockBusyError } from "../src/sync/lock.js";
import { productHash } from "../src/sync/state.js";
import { hashMatches, type StateBackend } from "../src/sync/store.js";

const counts = { read: 3, valid: 2, invalid: 1, sent: 2, unchanged: 0, failed: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `fresh` gives an empty backend for each test (a new file, or a flushed Redis database).
 * `realTimeLocks`: the driver's lock expiry runs on the server's own clock (Redis PX), so the
 * heartbeat test waits real time; otherwise it moves the locks' injected clock (`now`) instead.
 */
export function stateContract(
  fresh: () => Promise<StateBackend>,
  options: { realTimeLocks?: boolean } = {},
): void {
  let backend: StateBackend;
  beforeEach(async () => {
    backend = await fresh();
  });
  afterEach(async () => {
    await backend.close();
  });

  it("confirmations: read back before and after a flush, kept across reopen, per endpoint", async () => {
    const h1 = productHash({ sku: "A", price: 1 });
    const h2 = productHash({ sku: "A", price: 2 });
    const s = await backend.openState({ endpoint: "https://api.example/v1/", flushEvery: 2 });
    expect(await s.confirmedHash("7001", "A")).toBeUndefined();
    await s.confirm("7001", "A", h1, undefined, "1 EUR");
    expect(hashMatches(await s.confirmedHash("7001", "A"), h1)).toBe(true);
    await s.confirm("7001", "B", productHash({ sku: "B" }));
    await s.confirm("7001", "A", h2, undefined, "2 EUR");
    expect(hashMatches(await s.confirmedHash("7001", "A"), h1)).toBe(false);
    expect(hashMatches(await s.confirmedHash("7001", "A"), h2)).toBe(true);
    expect(await s.confirmedCount("7001")).toBe(2);
    expect(await s.confirmedCount("7002")).toBe(0);
    await s.close();

    const again = await backend.openState({ endpoint: "https://api.example/v1" });
    await again.prefetch?.("7001", ["A", "B", "C"]);
    expect(hashMatches(await again.confirmedHash("7001", "A"), h2)).toBe(true);
    expect(await again.confirmedPrice("7001", "A")).toBe("2 EUR");
    expect(await again.confirmedPrice("7001", "B")).toBeUndefined();
    expect(await again.confirmedHash("7001", "C")).toBeUndefined();
    await again.close();

    const other = await backend.openState({ endpoint: "https://staging.example/v1" });
    expect(await other.confirmedHash("7001", "A")).toBeUndefined();
    expect(await other.confirmedCount("7001")).toBe(0);
    await other.close();
  });

  it("runs: the last run and the last completed one (the publish gate's baseline)", async () => {
    const s = await backend.openState({ endpoint: "https://api.example/v1" });
    expect(await s.lastRun("7001")).toBeUndefined();
    const first = await s.startRun("7001", new Date("2026-01-01T00:00:00Z"));
    expect((await s.lastRun("7001"))?.status).toBe("running");
    expect(await s.lastCompletedRun("7001")).toBeUndefined();
    await s.finishRun(first, "ok", counts, new Date("2026-01-01T00:01:00Z"));
    const second = await s.startRun("7001");
    await s.finishRun(second, "failed", { ...counts, sent: 0 });
    const last = await s.lastRun("7001");
    expect(last).toMatchObject({ id: second, status: "failed", sent: 0, brandId: "7001" });
    const done = await s.lastCompletedRun("7001");
    expect(done).toMatchObject({ id: first, status: "ok", ...counts });
    expect(done?.startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(done?.finishedAt).toBe("2026-01-01T00:01:00.000Z");
    expect(second).toBeGreaterThan(first);
    expect(await s.lastRun("7002")).toBeUndefined();
    await s.close();
  });

  it("a read-only state refuses to record", async () => {
    const s = await backend.openState({ readonly: true });
    await expect(Promise.resolve().then(() => s.confirm("7001", "A", productHash({})))).rejects.toMatchObject(
      {
        code: "STATE_ERROR",
      },
    );
    await s.close();
  });

  it("locks: one holder per key, named to the refused run; released, taken again", async () => {
    const first = await backend.acquireLock("partnerboost:7001", { holder: "job a (push)" });
    const err = await backend
      .acquireLock("partnerboost:7001", { holder: "job b (push)" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).holder.holder).toBe("job a (push)");
    expect((err as Error).message).toMatch(/job a \(push\)/);
    expect((await backend.lockHolder("partnerboost:7001"))?.holder).toBe("job a (push)");
    const other = await backend.acquireLock("partnerboost:7002", { holder: "x" });
    await other.release();
    await first.release();
    await first.release();
    expect(await backend.lockHolder("partnerboost:7001")).toBeUndefined();
    const next = await backend.acquireLock("partnerboost:7001", { holder: "next" });
    await next.release();
  });

  it("locks: a holder that stops its heartbeat loses the lock by itself; a beating one keeps it", async () => {
    // On the injected clock: 900 ms pass at once, then the beating holder's next heartbeat (a real
    // timer, waited for as an event) stamps the new time; nothing depends on the machine's speed.
    let t = Date.now();
    const now = options.realTimeLocks ? undefined : () => t;
    const beating = await backend.acquireLock("k1", { holder: "alive", ttlMs: 400, heartbeatMs: 50, now });
    const silent = await backend.acquireLock("k2", {
      holder: "dead",
      ttlMs: 400,
      heartbeatMs: 3_600_000,
      now,
    });
    if (options.realTimeLocks) await sleep(900);
    else {
      t += 900;
      const stamped = new Date(t).toISOString();
      while ((await backend.lockHolder("k1"))?.heartbeatAt !== stamped) await sleep(10);
    }
    await expect(backend.acquireLock("k1", { holder: "late", ttlMs: 400, now })).rejects.toBeInstanceOf(
      LockBusyError,
    );
    const taken = await backend.acquireLock("k2", {
      holder: "next",
      ttlMs: 400,
      waitMs: 20_000,
      pollMs: 50,
      now,
    });
    await taken.release();
    await beating.release();
    // The dead holder's release does not remove the new holder's lock.
    const again = await backend.acquireLock("k2", { holder: "third" });
    await silent.release();
    expect((await backend.lockHolder("k2"))?.holder).toBe("third");
    await again.release();
  });

  it("job history: runs newest first with status, counts and error; skips recorded", async () => {
    const h = await backend.openHistory();
    const a = await h.start("acme", "push", new Date("2026-01-01T00:00:00Z"));
    expect((await h.recent("acme"))[0]).toMatchObject({ id: a, status: "running", job: "acme" });
    await h.finish(a, { status: "ok", exitCode: 0, counts: { sent: 3 } });
    await h.skipped("acme", "scheduled", "previous run still going");
    const b = await h.start("acme", "push");
    await h.finish(b, { status: "failed", exitCode: 2, error: "error [NET_AUTH_FAILED]: no" });
    const runs = await h.recent("acme", 2);
    expect(runs.map((r) => r.status)).toEqual(["failed", "skipped"]);
    expect(runs[0]).toMatchObject({ exitCode: 2, error: "error [NET_AUTH_FAILED]: no" });
    expect((await h.recent("acme", 5))[2]).toMatchObject({ status: "ok", counts: { sent: 3 } });
    expect(await h.recent("other")).toEqual([]);
    await h.close();
  });
}
