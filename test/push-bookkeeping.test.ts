/**
 * The push's bookkeeping cannot be broken by the caller's callbacks: a callback that throws stops
 * the run with CALLBACK_FAILED, and the run is recorded as failed in the state database (read
 * here with SQL, as another process would), never left `running`. One bounded pool runs the
 * requests: never more than `concurrency` at once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Product } from "../schemas/product.js";
import { FeedpipeError } from "../src/core/errors.js";
import { pool, pushFeed, type PushOptions } from "../src/jobs/push.js";
import type { ProductSink } from "../src/networks/partnerboost/brand.js";
import { SyncState } from "../src/sync/state.js";
import { memoryFeed, product } from "./fixtures/push/helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "feedpipe-bookkeeping-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A sink that confirms everything, counting the requests at once. */
function sink(): ProductSink & { sent: Product[]; maxAtOnce: number } {
  let now = 0;
  const s = {
    sent: [] as Product[],
    maxAtOnce: 0,
    async pushProduct(p: Product) {
      now++;
      s.maxAtOnce = Math.max(s.maxAtOnce, now);
      await new Promise((r) => setImmediate(r));
      now--;
      s.sent.push(p);
    },
  };
  return s;
}

function runStatuses(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT status FROM runs ORDER BY id").all() as { status: string }[]).map(
      (r) => r.status,
    );
  } finally {
    db.close();
  }
}

async function pushWith(extra: Partial<PushOptions>): Promise<{ err: unknown; statuses: string[] }> {
  const path = join(dir, "state.db");
  const state = SyncState.open(path);
  const list = Array.from({ length: 40 }, (_, i) => product(i + 1));
  let err: unknown;
  try {
    await pushFeed({
      source: memoryFeed(list),
      client: sink(),
      state,
      brandId: "b1",
      concurrency: 4,
      ...extra,
    });
  } catch (e) {
    err = e;
  } finally {
    state.close();
  }
  return { err, statuses: runStatuses(path) };
}

describe("push bookkeeping", () => {
  for (const name of ["onProgress", "onFailure", "onBatch"] as const) {
    it(`a throwing ${name} ends the run as failed, not running`, async () => {
      const boom = () => {
        throw new Error(`${name} broke`);
      };
      const client: ProductSink = {
        pushProduct: (p) =>
          p.sku.endsWith("7")
            ? Promise.reject(new FeedpipeError("NET_BAD_REQUEST", "refused"))
            : Promise.resolve(undefined),
      };
      const { err, statuses } = await pushWith({ [name]: boom, client });
      expect(err).toBeInstanceOf(FeedpipeError);
      expect((err as FeedpipeError).code).toBe("CALLBACK_FAILED");
      expect((err as FeedpipeError).message).toContain(`${name} broke`);
      expect(statuses).toEqual(["failed"]);
    });
  }

  it("a state error while sending still leaves no run `running`", async () => {
    const path = join(dir, "state.db");
    const state = SyncState.open(path);
    const list = Array.from({ length: 10 }, (_, i) => product(i + 1));
    const broken = Object.create(state) as SyncState;
    broken.confirm = () => {
      throw new Error("disk full");
    };
    await expect(
      pushFeed({ source: memoryFeed(list), client: sink(), state: broken, brandId: "b1" }),
    ).rejects.toThrow();
    state.close();
    expect(runStatuses(path)).toEqual(["failed"]);
  });

  it("runs at most `concurrency` requests at once and sends every product", async () => {
    const client = sink();
    const list = Array.from({ length: 50 }, (_, i) => product(i + 1));
    const summary = await pushFeed({ source: memoryFeed(list), client, brandId: "b1", concurrency: 3 });
    expect(summary.sent).toBe(50);
    expect(client.sent).toHaveLength(50);
    expect(client.maxAtOnce).toBe(3);
  });

  it("pool: run waits for a free slot, drain for the end", async () => {
    const p = pool(2);
    const release: (() => void)[] = [];
    const task = () => new Promise<void>((r) => release.push(r));
    await p.run(task);
    await p.run(task);
    let third = false;
    const queued = p.run(task).then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    release.shift()!();
    await queued;
    let drained = false;
    const draining = p.drain().then(() => (drained = true));
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    release.shift()!();
    await draining;
    expect(drained).toBe(true);
  });
});
