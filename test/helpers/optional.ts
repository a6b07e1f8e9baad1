/**
 * Optional suites: tests that need a binary this machine may lack (Chromium, Redis, ...) run where
 * it is found and are skipped with ONE visible line where it is not; with FEEDPIPE_REQUIRE_OPTIONAL=1
 * (CI sets it) a missing binary fails the run instead.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it } from "vitest";

/** The first executable called one of `names` on PATH (or an absolute path that exists). */
export function findExecutable(...names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of names) {
    const candidates = name.includes("/") ? [name] : dirs.map((d) => join(d, name));
    for (const c of candidates) {
      try {
        accessSync(c, constants.X_OK);
        return c;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export const requireOptional = (): boolean =>
  /^(1|true|yes)$/i.test(process.env.FEEDPIPE_REQUIRE_OPTIONAL ?? "");

/**
 * `describe` when the dependency is available; otherwise one skipped suite whose name says why
 * (or, with FEEDPIPE_REQUIRE_OPTIONAL=1, one failing test saying what is missing).
 */
export function optionalSuite(name: string, available: boolean, missing: string, body: () => void): void {
  if (available) {
    describe(name, body);
  } else if (requireOptional()) {
    describe(name, () => {
      it(`needs ${missing} (FEEDPIPE_REQUIRE_OPTIONAL=1)`, () => {
        throw new Error(`${missing} not found, and FEEDPIPE_REQUIRE_OPTIONAL=1 makes that a failure`);
      });
    });
  } else {
    // The one visible line (a skipped file's suite names are not printed by the default reporter).
    console.warn(`${missing} not found: ${name} skipped (FEEDPIPE_REQUIRE_OPTIONAL=1 makes this a failure)`);
    describe.skip(`${missing} not found: ${name} skipped`, body);
  }
}
