/**
 * `feedpipe sandbox`: run the local API-compatible server (PartnerBoost Brand API with a hosted
 * catalog, Partnerize, and the PartnerBoost Publisher API when built) on 127.0.0.1 until Ctrl-C,
 * printing base URLs and the demo credentials (they only work against the sandbox).
 */
import { type Command, Option } from "commander";
import { startDefaultSandbox } from "../../sandbox/index.js";
import type { CliContext } from "../context.js";
import { intOption, numberOption } from "../options.js";

interface SandboxFlags {
  port: number;
  host: string;
  products: number;
  latency?: number | undefined;
  errorRate?: number | undefined;
  rateLimit?: number | undefined;
  rateLimitStyle: "code" | "http";
  dropRate?: number | undefined;
  dropAfterRate?: number | undefined;
  retryAfter?: number | undefined;
  seed: number;
}

export function registerSandbox(program: Command, ctx: CliContext): void {
  program
    .command("sandbox")
    .description("run a local server that speaks the PartnerBoost and Partnerize APIs (for tests and demos)")
    .option("--port <n>", "port (default 8787; 0 picks a free one)", intOption("--port", 0, 65535), 8787)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option(
      "--products <n>",
      "products in the generated catalogs (default 50)",
      intOption("--products", 1, 1_000_000),
      50,
    )
    .option("--latency <ms>", "added latency per API request", intOption("--latency", 0, 600_000))
    .option(
      "--error-rate <f>",
      "fraction of API requests answered with HTTP 500 (0..1)",
      numberOption("--error-rate", 0, 1),
    )
    .option(
      "--rate-limit <n>",
      "API requests per second per network before rate limiting",
      intOption("--rate-limit", 1),
    )
    .addOption(
      new Option("--rate-limit-style <style>", "PartnerBoost rate limits: code 1002 (HTTP 200) or HTTP 429")
        .choices(["code", "http"])
        .default("code"),
    )
    .option(
      "--drop-rate <f>",
      "fraction of API requests whose connection is dropped (0..1)",
      numberOption("--drop-rate", 0, 1),
    )
    .option(
      "--drop-after-rate <f>",
      "fraction of API requests processed, then dropped without an answer (0..1)",
      numberOption("--drop-after-rate", 0, 1),
    )
    .option(
      "--retry-after <s>",
      "seconds sent in Retry-After on HTTP 429 (default 1)",
      numberOption("--retry-after", 0, 3600),
    )
    .option("--seed <n>", "seed for catalogs and fault dice", intOption("--seed", 0), 7)
    .addHelpText(
      "after",
      `
Examples:
  $ feedpipe sandbox --port 8787
  $ feedpipe sandbox --latency 50 --error-rate 0.2 --rate-limit 20 --rate-limit-style http

Then, in another terminal, export the printed variables and run e.g. feedpipe push catalog.csv.`,
    )
    .action(async (flags: SandboxFlags) => {
      const sandbox = await startDefaultSandbox({
        port: flags.port,
        host: flags.host,
        products: flags.products,
        seed: flags.seed,
        retryAfterSeconds: flags.retryAfter,
        faults: {
          latencyMs: flags.latency,
          errorRate: flags.errorRate,
          rateLimit: flags.rateLimit,
          rateLimitStyle: flags.rateLimitStyle,
          dropRate: flags.dropRate,
          dropAfterRate: flags.dropAfterRate,
          seed: flags.seed,
        },
      });
      const faults = [
        flags.latency ? `latency ${flags.latency} ms` : "",
        flags.errorRate ? `${flags.errorRate * 100}% HTTP 500` : "",
        flags.rateLimit ? `rate limit ${flags.rateLimit}/s (${flags.rateLimitStyle})` : "",
        flags.dropRate ? `${flags.dropRate * 100}% dropped connections` : "",
        flags.dropAfterRate ? `${flags.dropAfterRate * 100}% dropped after processing` : "",
      ].filter(Boolean);
      // The sandbox's own demo credentials are meant to be printed: they work nowhere else.
      ctx.out(
        [
          `feedpipe sandbox listening on ${sandbox.origin}`,
          ...sandbox.describe(),
          `  hosted catalog: ${sandbox.catalogUrl}`,
          `faults: ${faults.length > 0 ? faults.join(", ") : "none"}`,
          "",
          "Point feedpipe at it (demo credentials; they only work against this sandbox):",
          ...Object.entries(sandbox.env).map(([k, v]) => `  export ${k}=${v}`),
          "",
          "Press Ctrl-C to stop.",
          "",
        ].join("\n"),
      );
      const signal = ctx.io.signal;
      await new Promise<void>((resolve) => {
        if (!signal) return; // no signal wired: run until the process is killed
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await sandbox.close();
      ctx.out("feedpipe sandbox stopped\n");
    });
}
