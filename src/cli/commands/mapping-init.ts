/**
 * `feedpipe mapping init <source> [-o mapping.yaml]`: read the first records of a feed and write a
 * commented YAML mapping to edit — the inferred source of every product field with its confidence,
 * runner-up candidates and sample values, and the options the layout needs. When a preset matches,
 * the scaffold extends it (`preset: NAME`) instead, as `--preset auto` would use it.
 *
 * `validate --mapping` of the written file reports what `validate` with the inference does.
 */
import { stat, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { describeFormat, resolvePipelineOptions } from "../../jobs/pipeline.js";
import { FeedpipeError } from "../../core/errors.js";
import type { Fields } from "../../core/record.js";
import { openFeed } from "../../formats/index.js";
import {
  detectPreset,
  INFER_SAMPLE,
  inferMapping,
  isBlankRecord,
  mappingScaffold,
} from "../../../transforms/index.js";
import type { CliContext } from "../context.js";
import { addInputOptions, feedOptions, type InputFlags } from "../options.js";

interface InitFlags extends InputFlags {
  output?: string | undefined;
  force?: boolean | undefined;
  currency?: string | undefined;
  baseUrl?: string | undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Run options a preset's layout may need (Preset.needs), with their flag and an example value. */
const NEEDED = [
  { option: "currency", flag: "--currency", example: "EUR" },
  { option: "baseUrl", flag: "--base-url", example: '"https://shop.example"' },
] as const;

export function registerMappingInit(mapping: Command, ctx: CliContext): void {
  const cmd = mapping
    .command("init")
    .argument("<source>", "feed file, - for stdin, or an http(s) URL")
    .description("write a commented YAML mapping inferred from the first records of a feed")
    .option("-o, --output <file>", "write the mapping here (default: stdout)")
    .option("--force", "overwrite the output file if it exists")
    .option("--currency <code>", "the shop's currency, written to the mapping's options")
    .option("--base-url <url>", "store URL for relative product URLs, written to the mapping's options");
  addInputOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  $ feedpipe mapping init export.csv -o mapping.yaml
  $ feedpipe mapping init catalog.xml --currency EUR > mapping.yaml
  $ feedpipe validate export.csv --mapping mapping.yaml`,
  );
  cmd.action(async (source: string, flags: InitFlags) => {
    // Same checks as validate (INVALID_OPTION before any I/O).
    const options = resolvePipelineOptions({
      currency: flags.currency,
      baseUrl: flags.baseUrl,
    }).presetOptions;
    if (flags.output && !flags.force && (await exists(flags.output))) {
      throw new FeedpipeError("USAGE", `${flags.output} exists: pass --force to overwrite it`, {
        context: { path: flags.output },
      });
    }
    const feed = await openFeed(source, {
      ...feedOptions(flags, ctx.io, ctx.err),
      worker: false,
      stdin: ctx.io.stdin as NodeJS.ReadableStream,
    });
    const sample: Fields[] = [];
    const it = feed.records[Symbol.asyncIterator]();
    try {
      while (sample.length < INFER_SAMPLE) {
        const next = await it.next();
        if (next.done) break;
        for (const r of next.value) {
          if (!r.problem && !isBlankRecord(r.fields) && sample.length < INFER_SAMPLE) sample.push(r.fields);
        }
      }
    } finally {
      await it.return?.();
    }
    if (sample.length === 0) {
      throw new FeedpipeError("FEED_EMPTY", `${feed.name}: no readable record to infer a mapping from`, {
        context: { source: feed.name },
      });
    }
    const keys = feed.stats?.columns ?? Object.keys(sample[0]!);
    const preset = detectPreset(keys);
    let text: string;
    // What the preset's layout does not state and the run did not give: asked for, never made up.
    const needs = preset ? NEEDED.filter((n) => preset.preset.needs?.[n.option] && !options[n.option]) : [];
    if (preset) {
      const given =
        options.currency || options.baseUrl
          ? `options:\n${options.currency ? `  currency: ${JSON.stringify(options.currency)}\n` : ""}${options.baseUrl ? `  baseUrl: ${JSON.stringify(options.baseUrl)}\n` : ""}`
          : "";
      const asked =
        needs.length === 0
          ? ""
          : `# This layout does not state ${needs.map((n) => n.option).join(" or ")}: set ${needs.length === 1 ? "it" : "them"} here (or pass ` +
            `${needs.map((n) => n.flag).join(" / ")}) before validating, e.g.\n` +
            (given ? "" : "# options:\n") +
            needs.map((n) => `#   ${n.option}: ${n.example}\n`).join("");
      text =
        `# feedpipe mapping for ${feed.name} (${describeFormat(feed)}): the ${preset.preset.title} preset matches.\n` +
        "# Fields given here override the preset's; see the README for sources and transforms.\n" +
        `preset: ${JSON.stringify(preset.preset.name)}\n` +
        "fields: {}\n" +
        given +
        asked;
    } else {
      const inferred = inferMapping(sample, feed.stats?.columns);
      text = mappingScaffold(inferred, { source: feed.name, format: describeFormat(feed), options });
    }
    if (flags.output) {
      await writeFile(flags.output, text);
      ctx.err(
        `feedpipe: wrote ${flags.output} (${preset ? `preset ${preset.preset.name}` : "inferred mapping"})` +
          (needs.length > 0
            ? `; set ${needs.map((n) => n.option).join(" and ")} in its options before validating`
            : "") +
          "\n",
      );
    } else ctx.out(text);
  });
}
