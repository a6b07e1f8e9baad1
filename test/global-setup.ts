/**
 * Runs once before the suites: names each optional environment that is missing, in one line each,
 * so a skipped suite is never silent. With FEEDPIPE_REQUIRE_OPTIONAL=1 (CI) a missing one that
 * .ci/run installs fails (the shared samples cannot be installed: they are only reported).
 */
import { optionalEnvironments } from "./helpers/environment.js";

export default function setup(): void {
  const missing = optionalEnvironments().filter((e) => !e.available);
  if (missing.length === 0) return;
  const lines = missing.map((e) => `skipped: ${e.name} suites (${e.missing})`);
  const required = missing.filter((e) => e.required);
  if (process.env.FEEDPIPE_REQUIRE_OPTIONAL === "1" && required.length > 0) {
    throw new Error(
      `FEEDPIPE_REQUIRE_OPTIONAL=1 but some optional test environments are missing:\n${lines.join("\n")}`,
    );
  }
  process.stdout.write(lines.map((l) => `${l}\n`).join(""));
}
