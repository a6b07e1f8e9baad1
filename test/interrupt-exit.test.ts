/**
 * Exit 130 means "interrupted: outputs unfinished". A signal that lands after the command has
 * committed every output (convert's file and rejects, validate's rejects, diff's files) no longer
 * turns a complete run into 130: the command says when its outputs are final (ctx.final), and
 * main.ts keeps the run's own code when the signal came after that.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { interruptedExitCode } from "../src/cli/run.js";
import { closeHttpAgents } from "../src/io/http.js";
import { partnerboostPublisherModule } from "../src/sandbox/partnerboost-publisher.js";
import { startSandbox } from "../src/sandbox/server.js";

describe("interruptedExitCode", () => {
  it("is 130 for a run interrupted before its outputs were final, the run's code after", () => {
    expect(interruptedExitCode(2, true, false)).toBe(130);
    expect(interruptedExitCode(0, true, false)).toBe(130);
    expect(interruptedExitCode(1, true, true)).toBe(1);
    expect(interruptedExitCode(0, true, true)).toBe(0);
    expect(interruptedExitCode(1, false, false)).toBe(1);
  });
});

describe("commands say when their outputs are final", () => {
  const csv =
    "sku,name,url,image,price,currency\n" +
    "A1,One,https://s.example/a1,https://s.example/a1.jpg,1.00,EUR\n" +
    "A2,Two,https://s.example/a2,https://s.example/a2.jpg,abc,EUR\n";

  it("convert, validate and diff: once, after the last output is committed; never when the run failed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-final-"));
    const feed = join(dir, "feed.csv");
    await writeFile(feed, csv);
    const out = join(dir, "out.csv");
    const rejects = join(dir, "rejects.ndjson");
    let inPlaceAtFinal: boolean[] = [];
    let finals = 0;
    const onFinal = () => {
      finals++;
      // The files are in place (committed: renamed from their temporary names) when it says so.
      inPlaceAtFinal = [out, rejects].map((f) => existsSync(f));
    };
    const convert = await runCli(["convert", feed, "-o", out, "--rejects", rejects, "-q"], { onFinal });
    expect(convert.code).toBe(1);
    expect(finals).toBe(1);
    expect(inPlaceAtFinal).toEqual([true, true]);
    expect(await readFile(out, "utf8")).toContain("A1");
    expect(await readFile(rejects, "utf8")).toContain("A2");

    finals = 0;
    await runCli(["validate", feed, "--rejects", join(dir, "r2.ndjson"), "-q"], { onFinal });
    expect(finals).toBe(1);
    finals = 0;
    await runCli(["diff", feed, feed, "-o", join(dir, "changes.csv")], { onFinal });
    expect(finals).toBe(1);

    // A run that fails is never final.
    finals = 0;
    const missing = await runCli(["convert", join(dir, "nope.csv"), "-o", join(dir, "x.csv")], { onFinal });
    expect(missing.code).toBe(2);
    expect(finals).toBe(0);
  });
});

describe("pull says when its output is final", () => {
  it("pull partnerboost: once, after the export is committed; never when the pull failed", async () => {
    const token = "final-pub-token-3c9e1f02";
    const sb = await startSandbox({
      modules: [partnerboostPublisherModule({ token, products: 60, seed: 3 })],
    });
    try {
      const dir = await mkdtemp(join(tmpdir(), "fp-final-pull-"));
      const out = join(dir, "products.csv");
      let finals = 0;
      let inPlace = false;
      const onFinal = () => {
        finals++;
        inPlace = existsSync(out);
      };
      const env = {
        PARTNERBOOST_PUBLISHER_TOKEN: token,
        PARTNERBOOST_PUBLISHER_API_URL: `${sb.origin}/api.php`,
      };
      const r = await runCli(["pull", "partnerboost", "-o", out, "-q"], { env, onFinal });
      expect(r.code, r.err).toBe(0);
      expect([finals, inPlace]).toEqual([1, true]);
      finals = 0;
      const bad = await runCli(["pull", "partnerboost", "-o", join(dir, "x.csv"), "-q"], {
        env: { ...env, PARTNERBOOST_PUBLISHER_TOKEN: "wrong-token-00000000" },
        onFinal,
      });
      expect(bad.code).toBe(2);
      expect(finals).toBe(0);
    } finally {
      await sb.close();
      await closeHttpAgents();
    }
  });
});
