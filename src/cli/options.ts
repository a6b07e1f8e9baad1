/** Option parsing helpers shared by commands: numbers, enums, and the common input options. */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ReadFeedOptions } from "../formats/index.js";
import { retryNotice } from "./terminal.js";

export function intOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `Invalid option ${name}: expected a whole number from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

export function numberOption(name: string, min = 0, max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `Invalid option ${name}: expected a number from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

/** Sizes like `1048576`, `512k`, `4m`. */
export function sizeOption(name: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(value.trim());
    if (!m)
      throw new InvalidArgumentError(
        `Invalid option ${name}: expected a size like 1048576, 512k or 4m, got "${value}"`,
      );
    const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
    return Math.round(Number(m[1]) * mult);
  };
}

export interface InputFlags {
  format?: string;
  encoding?: string;
  delimiter?: string;
  recordTag?: string;
  jsonPath?: string;
  maxRecordSize?: number;
  timeout?: number;
  readThread?: "auto" | "on" | "off";
}

/** The options every command that reads a feed accepts. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--format <format>", "input format (default: detected from content)").choices([
        "auto",
        "csv",
        "tsv",
        "xml",
        "json",
        "ndjson",
      ]),
    )
    .option(
      "--encoding <name>",
      "text encoding when not UTF-8 and not declared (latin1, windows-1252, utf-16le)",
    )
    .option("--delimiter <char>", "CSV delimiter (default: sniffed from the header; \\t for tab)")
    .option("--record-tag <name>", "XML element holding one product (default: item, entry, product ...)")
    .option("--json-path <path>", "dot path of the product array in a JSON document (e.g. items)")
    .option(
      "--max-record-size <bytes>",
      "reject records larger than this (default 1m)",
      sizeOption("--max-record-size"),
    )
    .option("--timeout <ms>", "HTTP connect/response timeout for URL sources", intOption("--timeout", 1))
    .addOption(
      new Option(
        "--read-thread <mode>",
        "read local CSV/NDJSON/JSON/XML files on a second thread: auto (8 MiB to 768 MiB), on, off; default auto or $FEEDPIPE_READ_THREAD",
      ).choices(["auto", "on", "off"]),
    );
}

/** Translate the common input flags to openFeed options. */
/**
 * Reader thread for local files (see src/formats/worker-feed.ts): --read-thread, else
 * FEEDPIPE_READ_THREAD; off reads in-process, on uses the thread for any local file, auto (default)
 * for CSV/TSV, NDJSON, JSON and XML files from 8 MiB to 768 MiB.
 */
export function readThreadOption(
  flag: string | undefined,
  env: Record<string, string | undefined> = {},
): ReadFeedOptions["worker"] {
  const v = (flag ?? env.FEEDPIPE_READ_THREAD)?.trim().toLowerCase();
  if (v === "off" || v === "0" || v === "false") return false;
  if (v === "on" || v === "1" || v === "true") return true;
  return "auto";
}

/**
 * How to open the input feed. `io` gives the environment (reader-thread default) and the run's
 * signal: Ctrl-C reaches the read itself (a stalled download stops at once, not at its timeout).
 */
export function feedOptions(
  flags: InputFlags,
  io: { env?: Record<string, string | undefined>; signal?: AbortSignal | undefined } = {},
  /** Where a retried URL request is noted (the CLI's redacting stderr). */
  err?: (text: string) => void,
): ReadFeedOptions {
  const delimiter = flags.delimiter === "\\t" || flags.delimiter === "tab" ? "\t" : flags.delimiter;
  const format = flags.format === "tsv" ? "csv" : flags.format;
  return {
    format: format as ReadFeedOptions["format"],
    encoding: flags.encoding,
    delimiter: flags.format === "tsv" && !delimiter ? "\t" : delimiter,
    recordTag: flags.recordTag,
    jsonPath: flags.jsonPath,
    maxRecordBytes: flags.maxRecordSize,
    timeoutMs: flags.timeout,
    worker: readThreadOption(flags.readThread, io.env),
    signal: io.signal,
    onRetry: err ? (e) => err(retryNotice(e)) : undefined,
  };
}
