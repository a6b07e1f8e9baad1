import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { RedisBackend } from "../src/sync/redis.js";
import { SqliteBackend } from "../src/sync/sqlite.js";
import { optionalSuite } from "./helpers/optional.js";
import { redisServerBinary, startRedis, type TestRedis } from "./helpers/redis.js";
import { stateContract } from "./state-contract.js";

describe("state contract: SQLite driver", () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "feedpipe-contract-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  stateContract(() => Promise.resolve(new SqliteBackend(join(dir, `s${++n}`, "state.db"))));
});

optionalSuite("state contract: Redis driver", redisServerBinary !== undefined, "redis-server", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());
  stateContract(
    async () => {
      await redis.client.flushall();
      return new RedisBackend(redis.url);
    },
    { realTimeLocks: true },
  );
});
