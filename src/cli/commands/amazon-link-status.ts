/**
 * `feedpipe amazon link-status <file|->`: check promotion links in batches and say which are dead
 * (the weekly "are my links still live" chore).
 *
 * Input: one link id per line (blank lines and `#` comments skipped), or a CSV/TSV/NDJSON/JSON
 * table with a `link_id` column, such as the output of `pull partnerboost-amazon --links`. Ids are
 * streamed in batches (memory stays flat); each distinct id is checked once.
 *
 * A link is active (`active: true`), inactive (`active: false`) or unknown (PartnerBoost did not
 * answer for it: not issued to you, or gone). Exit codes: 0 every link active; 1 some inactive or
 * unknown; 2 fatal.
 */
import { createReadStream } from "node:fs";
import { maskedNotice } from "../terminal.js";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { type ExportResult, exportRows } from "../../jobs/pull.js";
import { openFeed } from "../../formats/index.js";
import type { Row } from "../../formats/types.js";
import { formatFromPath } from "../../formats/writers/index.js";
import {
  checkLinkStatus,
  DEFAULT_LINK_BATCH,
  LINK_ID,
  type LinkStatusResult,
  MAX_LINK_BATCH,
} from "../../networks/partnerboost/amazon.js";
import { safeText } from "../../networks/partnerboost/values.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { intOption } from "../options.js";
import { createProgress, progressEnabled } from "../progress.js";
import {
  type AmazonCommonFlags,
  addAmazonOutputOptions,
  amazonClientFor,
  checkJsonTarget,
  textTable,
} from "../partnerboost-amazon.js";

const STATUS_COLUMNS = ["link_id", "state", "asin", "brand_id", "country", "type", "uid", "link"];

/** The first line of a byte stream, and the stream again with nothing consumed. */
async function peekFirstLine(
  chunks: AsyncIterable<Buffer>,
): Promise<{ first: string; all: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let text = "";
  while (!text.includes("\n") && text.length < 65_536) {
    const step = await iterator.next();
    if (step.done) break;
    seen.push(step.value);
    text += step.value.toString("utf8");
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* seen;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) yield step.value;
  }
  return { first: text.split(/\r?\n/)[0] ?? "", all: all() };
}

function checkId(id: string, where: string): string {
  if (!LINK_ID.test(id)) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `${where}: ${JSON.stringify(safeText(id, 60))} is not a link id (letters, digits, _ - . ~)`,
    );
  }
  return id;
}

/** Link ids from a plain list (one per line). */
/** The name of an id column: `id`, `ids`, `link_id`, `Link ID`, `linkid`. */
const ID_HEADER = /^"?(?:link[ _-]?)?ids?"?$/i;

async function* lines(chunks: AsyncIterable<Buffer>, source: string): AsyncGenerator<string> {
  let rest = "";
  let n = 0;
  const decoder = new TextDecoder();
  const take = function* (line: string): Generator<string> {
    n++;
    const id = line.replace(/^\uFEFF/, "").trim();
    // A header line over a plain list (`cut -d, -f1 links.csv` keeps the column's name).
    if (n === 1 && ID_HEADER.test(id)) return;
    if (id !== "" && !id.startsWith("#")) yield checkId(id, `${source} line ${n}`);
  };
  for await (const chunk of chunks) {
    rest += decoder.decode(chunk, { stream: true });
    const parts = rest.split(/\r?\n/);
    rest = parts.pop() ?? "";
    for (const line of parts) yield* take(line);
  }
  rest += decoder.decode();
  if (rest !== "") yield* take(rest);
}

/** Link ids from the `link_id` column of a table (rows with an empty link_id are skipped). */
async function* column(source: string, stdin: AsyncIterable<Buffer> | undefined): AsyncGenerator<string> {
  const feed = await openFeed(stdin ? "-" : source, {
    stdin: stdin ? (Readable.from(stdin) as NodeJS.ReadableStream) : undefined,
  });
  for await (const batch of feed.records) {
    for (const r of batch) {
      const id = String(r.fields.link_id ?? "").trim();
      if (id !== "")
        yield checkId(id, `${source} ${r.line !== undefined ? `line ${r.line}` : `record ${r.index}`}`);
    }
  }
}

async function linkIds(ctx: CliContext, input: string): Promise<AsyncIterable<string>> {
  const path = resolve(ctx.io.cwd, input);
  const raw =
    input === "-"
      ? (ctx.io.stdin as AsyncIterable<Buffer>)
      : (createReadStream(path) as AsyncIterable<Buffer>);
  let peeked: Awaited<ReturnType<typeof peekFirstLine>>;
  try {
    peeked = await peekFirstLine(raw);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new FeedpipeError(
      code === "ENOENT" ? "IO_NOT_FOUND" : "IO_READ",
      `Could not read ${input}: ${code ?? "error"}`,
      {
        cause: err,
      },
    );
  }
  const first = peeked.first.replace(/^\uFEFF/, "");
  const table = /(^|[,\t;"])link_id("|[,\t;]|$)/.test(first) || /"link_id"\s*:/.test(first);
  if (!table) return lines(peeked.all, input === "-" ? "stdin" : input);
  return column(input === "-" ? "-" : path, input === "-" ? peeked.all : undefined);
}

export function registerAmazonLinkStatus(amazon: Command, ctx: CliContext): void {
  addAmazonOutputOptions(
    amazon
      .command("link-status")
      .description("check which promotion links are still live")
      .argument("<ids>", "file of link ids (one per line, or a table with a link_id column), or - for stdin")
      .option(
        "--batch <n>",
        `link ids per request, 1..${MAX_LINK_BATCH}`,
        intOption("--batch", 1, MAX_LINK_BATCH),
        DEFAULT_LINK_BATCH,
      ),
  )
    .addHelpText(
      "after",
      `
Prints the links that are not active (inactive: PartnerBoost says active=false; unknown: it did
not answer for the id); -o FILE writes every result (columns ${STATUS_COLUMNS.join(", ")}).
Exit codes: 0 all active; 1 some inactive or unknown; 2 fatal.
Examples:
  $ feedpipe amazon link-status links.txt
  $ feedpipe pull partnerboost-amazon --links -o amazon.csv; feedpipe amazon link-status amazon.csv
  $ cut -d, -f1 ids.csv | feedpipe amazon link-status - --json
(The pull exits 1 when some products have no link, so chain the two with ";", not "&&". A first
line naming the column, such as "id" or "link_id", is a header, not a link id.)`,
    )
    .action(async (input: string, flags: AmazonCommonFlags & { batch: number }) => {
      checkJsonTarget(flags.json, flags.output);
      const client = amazonClientFor(ctx, flags, "feedpipe amazon link-status");
      const ids = await linkIds(ctx, input);
      const check = checkLinkStatus(ids, client, { batchSize: flags.batch, signal: ctx.io.signal });
      const dead: LinkStatusResult[] = [];
      const progress = createProgress({
        stream: ctx.io.stderr,
        enabled: progressEnabled(ctx.io, flags.quiet === true),
        unit: "records",
        label: "link-status",
      });
      async function* rows(): AsyncGenerator<Row[]> {
        for await (const batch of check.results) {
          progress.update({ records: batch.length });
          for (const r of batch) if (r.state !== "active" && dead.length < 10_000) dead.push(r);
          yield batch.map((r) =>
            Object.fromEntries(STATUS_COLUMNS.map((c) => [c, r[c as keyof LinkStatusResult] ?? ""])),
          );
        }
      }
      let written: ExportResult | undefined;
      try {
        if (flags.output !== undefined) {
          written = await exportRows(rows(), {
            target: flags.output === "-" ? "-" : resolve(ctx.io.cwd, flags.output),
            format: flags.to ?? formatFromPath(flags.output) ?? "csv",
            columns: STATUS_COLUMNS,
            stdout: ctx.io.stdout,
            secrets: ctx.secrets,
            signal: ctx.io.signal,
          });
          if (written.masked > 0) ctx.err(maskedNotice(written.masked));
        } else {
          for await (const _ of rows());
        }
      } finally {
        progress.done();
      }
      const stats = check.stats();
      const deadRows = dead.map((r) =>
        Object.fromEntries(STATUS_COLUMNS.map((c) => [c, r[c as keyof LinkStatusResult] ?? ""])),
      );
      if (flags.json) {
        ctx.out(
          `${JSON.stringify({ command: "amazon link-status", ...stats, output: flags.output ?? null, dead: deadRows }, null, 2)}\n`,
        );
      } else {
        const say = flags.output === "-" ? ctx.err : ctx.out;
        if (!flags.quiet) {
          say(
            `feedpipe amazon link-status: ${stats.checked} links checked in ${stats.batches} requests: ${stats.active} active, ${stats.inactive} inactive, ${stats.unknown} unknown${written ? ` → ${flags.output}` : ""}\n`,
          );
        }
        if (flags.output === undefined && deadRows.length > 0)
          ctx.out(textTable(deadRows, STATUS_COLUMNS.slice(0, 7)));
      }
      ctx.exitCode = stats.inactive + stats.unknown > 0 ? EXIT_INVALID : EXIT_OK;
    });
}
