/**
 * `feedpipe demo` (`npm run demo`): the catalog sync job end to end against the in-process sandbox.
 *
 *   1. validate + push samples/catalog.csv        every valid product sent, invalid ones reported
 *   2. push again                                 delta sync: nothing sent
 *   3. change one price, push                     exactly one product sent
 *   4. push a truncated export                    the publish gate refuses it
 *   5. register the hosted feed (with --check)    the sandbox serves its own copy of the sample
 *   6. list the publisher datafeed                the pull side, one page
 *
 * Uses a temporary state database and a free port; closes everything and removes its files, so it
 * finishes in seconds and leaves nothing running. Exit 0 when every step behaved as expected.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { loadPipeline } from "../../jobs/pipeline.js";
import { type PushSummary, pushFeed } from "../../jobs/push.js";
import { openFeed } from "../../formats/index.js";
import { createBrandClient } from "../../networks/partnerboost/brand.js";
import { createPublisherClient } from "../../networks/partnerboost/publisher.js";
import {
  PARTNERBOOST_SANDBOX_BRAND,
  PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN,
  startDefaultSandbox,
} from "../../sandbox/index.js";
import { SyncState } from "../../sync/state.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { oneLine } from "../terminal.js";
import { checkFeed } from "./register-partnerboost.js";
import { alignRight, padCell, truncateWords } from "../columns.js";

/** The package root (where samples/ lives), from this file in src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "feedpipe") return dir;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new FeedpipeError("IO_NOT_FOUND", "Could not find the feedpipe package root (samples/)");
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function pushLine(s: PushSummary): string {
  return `${s.sent} sent, ${s.unchanged} unchanged, ${s.failed} failed`;
}

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      "run the catalog sync job against a local sandbox: validate, push, delta sync, gate, register",
    )
    .option("--sample <file>", "catalog to push (default: the project's samples/catalog.csv)")
    .action(async (flags: { sample?: string | undefined }) => {
      const started = performance.now();
      const samplePath = flags.sample ?? join(packageRoot(), "samples", "catalog.csv");
      if (!existsSync(samplePath))
        throw new FeedpipeError("IO_NOT_FOUND", `Sample catalog not found: ${samplePath}`);
      const sampleText = readFileSync(samplePath, "utf8");
      const shown = flags.sample ?? relative(ctx.io.cwd, samplePath);
      const creds = PARTNERBOOST_SANDBOX_BRAND;
      ctx.secrets.add(creds.token);
      ctx.secrets.add(creds.secret);

      const tmp = mkdtempSync(join(tmpdir(), "feedpipe-demo-"));
      const sandbox = await startDefaultSandbox({ port: 0, products: 20 });
      const state = SyncState.open(join(tmp, "state.db"));
      let ok = true;
      const expect = (cond: boolean, what: string) => {
        if (!cond) {
          ok = false;
          ctx.out(`   !! unexpected: ${what}\n`);
        }
      };
      try {
        const hostedPath = sandbox.brand.host("sample-catalog.csv", sampleText);
        const hostedUrl = sandbox.origin + hostedPath;
        const client = createBrandClient(
          { ...creds, apiUrl: sandbox.brandApiUrl },
          { retry: { baseDelayMs: 50, maxRetryAfterMs: 2000 }, signal: ctx.io.signal },
        );
        const pipeline = await loadPipeline({});
        const push = (path: string) =>
          pushFeed({
            source: async () => pipeline.process(await openFeed(path)),
            client,
            state,
            brandId: creds.brandId,
            concurrency: 4,
            signal: ctx.io.signal,
          });

        ctx.out(
          [
            "feedpipe demo: the PartnerBoost catalog sync job against a local sandbox",
            "",
            `  sandbox   ${sandbox.origin}  (PartnerBoost Brand API at ${sandbox.brandApiUrl})`,
            `  catalog   ${shown}`,
            "  state     a temporary SQLite database (removed at the end)",
            "",
            "",
          ].join("\n"),
        );

        // 1. validate + push
        let t = performance.now();
        const first = await push(samplePath);
        const report = first.report;
        ctx.out(`1. validate and push\n`);
        ctx.out(
          `   ${first.read} records: ${first.valid} valid, ${first.invalid} rejected (never sent)\n` +
            `   ${pushLine(first)}  in ${secs(performance.now() - t)}\n`,
        );
        for (const rule of (report?.rules ?? []).filter((r) => r.severity === "error").slice(0, 4)) {
          const e = rule.examples[0];
          const where = e ? (e.line !== undefined ? `line ${e.line}` : `record ${e.index}`) : "";
          ctx.out(`   rejected  ${rule.code.padEnd(18)} ${where}${e?.sku ? ` (${oneLine(e.sku)})` : ""}\n`);
        }
        if ((report?.rules.filter((r) => r.severity === "error").length ?? 0) > 4) {
          ctx.out(`   …  run feedpipe validate ${shown} for the full table\n`);
        }
        expect(first.sent === first.valid && first.failed === 0, "every valid product confirmed");
        expect(
          sandbox.brand.store.products.size === first.valid,
          "the sandbox holds each valid product once",
        );

        // 2. delta sync
        t = performance.now();
        const second = await push(samplePath);
        ctx.out(`2. push again (delta sync)\n   ${pushLine(second)}  in ${secs(performance.now() - t)}\n`);
        expect(second.sent === 0 && second.unchanged === first.valid, "nothing resent");

        // 3. one change
        const lines = sampleText.split("\n");
        const validSku = [...sandbox.brand.store.products.keys()][0];
        const rowIndex = lines.findIndex(
          (l, i) => i > 0 && validSku !== undefined && l.startsWith(`${validSku},`),
        );
        if (rowIndex > 0) {
          const cells = lines[rowIndex]!.split(",");
          const priceAt = (lines[0] ?? "").split(",").indexOf("price");
          if (priceAt >= 0 && cells[priceAt] !== undefined) {
            const price = Number(cells[priceAt]);
            cells[priceAt] = (price + 1).toFixed(2);
            lines[rowIndex] = cells.join(",");
          }
        }
        const changedPath = join(tmp, "catalog-changed.csv");
        writeFileSync(changedPath, lines.join("\n"));
        t = performance.now();
        const third = await push(changedPath);
        ctx.out(
          `3. change the price of ${validSku ?? "one product"}, push\n   ${pushLine(third)}  in ${secs(performance.now() - t)}\n`,
        );
        expect(third.sent === 1, "exactly one product resent");

        // 4. the publish gate
        const truncatedPath = join(tmp, "catalog-truncated.csv");
        writeFileSync(truncatedPath, `${sampleText.split("\n").slice(0, 9).join("\n")}\n`);
        ctx.out("4. push a truncated export (8 rows)\n");
        const before = sandbox.brand.store.accepted;
        try {
          await push(truncatedPath);
          expect(false, "the publish gate should refuse");
        } catch (err) {
          if (!(err instanceof FeedpipeError) || err.code !== "PUBLISH_GATE") throw err;
          const g = err.context.gate as { currentValid: number; previousValid: number; drop: number };
          ctx.out(
            `   refused by the publish gate: ${g.currentValid} valid vs ${g.previousValid} last time ` +
              `(-${Math.round(g.drop * 100)}%, limit -30%); nothing sent (--force overrides)\n`,
          );
          expect(sandbox.brand.store.accepted === before, "nothing sent past the gate");
        }

        // 5. register the hosted feed
        t = performance.now();
        const check = await checkFeed(hostedUrl, {}, 0.5);
        ctx.out(`5. register the hosted feed (checked first)\n`);
        ctx.out(`   ${hostedUrl}: ${check.valid} of ${check.records} products valid\n`);
        if (check.ok) {
          await client.setFetchSettings({ fetch_url: hostedUrl, fetch_period: "DAILY" });
          const s = sandbox.brand.store.settings;
          ctx.out(
            `   registered: fetch_period ${s?.fetch_period ?? "?"}  in ${secs(performance.now() - t)}\n`,
          );
          expect(s?.fetch_url === hostedUrl, "fetch settings stored");
        } else {
          expect(false, "the hosted sample passes the check");
        }

        // 6. the other side: a publisher lists the network's datafeed
        t = performance.now();
        const publisher = createPublisherClient(
          { token: PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN, apiUrl: `${sandbox.origin}/api.php` },
          { retry: { baseDelayMs: 50, maxRetryAfterMs: 2000 }, signal: ctx.io.signal },
        );
        const page = await publisher.listPage({}, 1, 3);
        ctx.out(
          `6. as a publisher, list the datafeed (feedpipe pull partnerboost)\n` +
            `   ${page.total ?? "?"} products on offer; page 1:  in ${secs(performance.now() - t)}\n`,
        );
        const prices = alignRight(page.products.map((p) => p.price));
        page.products.forEach((p, i) => {
          const name = padCell(truncateWords(p.name, 38), 38);
          ctx.out(`   ${padCell(p.sku, 14)} ${name}  ${prices[i]} ${p.currency}\n`);
        });
        expect(page.products.length > 0, "the publisher datafeed lists products");

        ctx.out(
          `\nSandbox store: ${sandbox.brand.store.products.size} products, ` +
            `${sandbox.brand.store.accepted} product requests accepted.\n`,
        );
      } finally {
        state.close();
        await sandbox.close();
        rmSync(tmp, { recursive: true, force: true });
      }
      ctx.out(`Done in ${secs(performance.now() - started)}; sandbox stopped, temporary files removed.\n`);
      ctx.exitCode = ok ? EXIT_OK : EXIT_INVALID;
    });
}
