/**
 * Optional test environments: things `npm test` uses where they exist and skips, visibly, where they
 * do not (a user's fresh clone has no `../shared/samples`). CI sets FEEDPIPE_REQUIRE_OPTIONAL=1,
 * and then a missing program that .ci/run installs (redis-server, chromium) fails the run instead
 * (see test/global-setup.ts and .ci/run). The shared samples are data beside the checkout that no
 * script can install: their absence is reported, never a failure, in CI as anywhere.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "vitest";
import { findExecutable } from "./optional.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** The public sample feeds beside this repository's checkout (never copied into it). */
export const SHARED_SAMPLES = join(ROOT, "..", "shared", "samples");
export const hasSharedSamples = existsSync(SHARED_SAMPLES);

/** Path of one shared sample feed (relative to the repository, as a user would type it). */
export function sample(name: string): string {
  return join("..", "shared", "samples", name);
}

/** `it` for a test over the shared samples: skipped where the folder is absent. */
export function itWithSamples(name: string, fn: () => unknown, timeout?: number): void {
  it.skipIf(!hasSharedSamples)(
    name,
    async () => {
      await fn();
    },
    timeout,
  );
}

/** `describe` for a suite over the shared samples: skipped where the folder is absent. */
export function describeWithSamples(name: string, fn: () => void): void {
  describe.skipIf(!hasSharedSamples)(name, fn);
}

export interface OptionalEnvironment {
  name: string;
  available: boolean;
  /** Shown when it is missing: what was looked for. */
  missing: string;
  /** .ci/run installs it, so FEEDPIPE_REQUIRE_OPTIONAL=1 makes its absence a failure. */
  required: boolean;
}

/** Every optional environment the suites use (global-setup reports the missing ones once). */
export function optionalEnvironments(): OptionalEnvironment[] {
  return [
    {
      name: "shared sample feeds",
      available: hasSharedSamples,
      missing: `${SHARED_SAMPLES} not found`,
      required: false,
    },
    {
      name: "Redis (BullMQ workers, Redis sync state)",
      available: findExecutable("redis-server", "/usr/bin/redis-server") !== undefined,
      missing: "redis-server not found on PATH",
      required: true,
    },
  ];
}
