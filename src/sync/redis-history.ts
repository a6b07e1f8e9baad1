/**
 * Job run history in Redis (the Redis driver's half of history.ts):
 *
 *   {p}jobruns:seq     counter of job run ids
 *   {p}jobrun:{id}     string  the run (JSON: job, command, host, pid, times, status, counts, …)
 *   {p}jobruns:{job}   list    the job's newest run ids (newest first, last 100)
 *
 * A `running` run whose worker is gone stays `running` here: `jobs status` shows the queue's view
 * (BullMQ's stalled-job check moves the job to another worker, which starts a new run).
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { JobRunEnd, JobRunRecord } from "./history.js";
import { pidAlive } from "./lock.js";
import { redisError } from "./redis.js";
import type { HistoryStore } from "./store.js";

const KEPT = 100;

interface StoredJobRun extends JobRunRecord {
  host: string;
  pid: number;
}

export class RedisHistory implements HistoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly where: string,
  ) {}

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw redisError(this.where, err);
    }
  }

  start(job: string, command: string, at: Date = new Date()): Promise<number> {
    return this.guard(async () => {
      const id = await this.redis.incr(`${this.prefix}jobruns:seq`);
      const run: StoredJobRun = {
        id,
        job,
        command,
        host: hostname(),
        pid: process.pid,
        startedAt: at.toISOString(),
        finishedAt: undefined,
        status: "running",
        exitCode: undefined,
        counts: {},
        rules: [],
        error: undefined,
      };
      const list = `${this.prefix}jobruns:${job}`;
      await this.redis
        .multi()
        .set(`${this.prefix}jobrun:${id}`, JSON.stringify(run))
        .lpush(list, String(id))
        .ltrim(list, 0, KEPT - 1)
        .exec();
      return id;
    });
  }

  finish(id: number, end: JobRunEnd, at: Date = new Date()): Promise<void> {
    return this.guard(async () => {
      const json = await this.redis.get(`${this.prefix}jobrun:${id}`);
      if (!json) return;
      const run = JSON.parse(json) as StoredJobRun;
      const next: StoredJobRun = {
        ...run,
        finishedAt: at.toISOString(),
        status: end.status,
        exitCode: end.exitCode,
        counts: end.counts ?? {},
        rules: end.rules ?? [],
        error: end.error,
      };
      await this.redis.set(`${this.prefix}jobrun:${id}`, JSON.stringify(next));
    });
  }

  async skipped(job: string, command: string, reason: string, at: Date = new Date()): Promise<void> {
    const id = await this.start(job, command, at);
    await this.finish(id, { status: "skipped", exitCode: 0, error: reason }, at);
  }

  recent(job: string, limit = 5): Promise<JobRunRecord[]> {
    return this.guard(async () => {
      const ids = await this.redis.lrange(`${this.prefix}jobruns:${job}`, 0, limit - 1);
      if (ids.length === 0) return [];
      const values = await this.redis.mget(...ids.map((i) => `${this.prefix}jobrun:${i}`));
      const host = hostname();
      return values
        .filter((v): v is string => v !== null)
        .map((v) => {
          const { host: h, pid, ...run } = JSON.parse(v) as StoredJobRun;
          const died = run.status === "running" && h === host && pid !== process.pid && !pidAlive(pid);
          return { ...run, status: died ? "died" : run.status };
        });
    });
  }

  close(): void {
    // The connection belongs to the backend.
  }
}
