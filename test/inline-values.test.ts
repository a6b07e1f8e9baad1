/**
 * A value from a feed or a server printed inside one of our lines (a SKU in the report's table, a
 * feed name or campaign title in a listing) cannot end that line and start one of its own that
 * looks like ours: newline, carriage return and tab are shown as `\n`, `\r`, `\t`.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { inlineText } from "../src/core/terminal-text.js";
import { closeHttpAgents } from "../src/io/http.js";
import { type RunningSandbox, startSandbox } from "../src/sandbox/server.js";

const running: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

/** Lines of our output that start like a report count or a listing entry. */
const forged = (text: string) =>
  text.split("\n").filter((l) => /^\s*(valid|rejected)\s+999|^feedpipe: all ok|^FAKE/.test(l));

describe("inlineText", () => {
  it("escapes line breaks and tabs, and leaves other text as it is", () => {
    expect(inlineText("a\nb\r\nc\td")).toBe("a\\nb\\r\\nc\\td");
    expect(inlineText("Crème brûlée 12\" x 3'")).toBe("Crème brûlée 12\" x 3'");
  });
});

describe("renderTable", () => {
  it("measures the escaped cells, so a row with line breaks stays aligned", async () => {
    const { renderTable } = await import("../src/networks/partnerize/present.js");
    const lines = renderTable(
      ["name", "id", "location"],
      [
        ["a\nb\nc\nd", "1", "x"],
        ["abcdefg", "2", "y"],
      ],
    ).split("\n");
    expect(lines).toHaveLength(4);
    const at = lines.slice(0, 3).map((l) => l.indexOf(l.includes("id") ? "id" : l.includes("1") ? "1" : "2"));
    expect(new Set(at).size).toBe(1);
  });
});

describe("feed values in the validate summary", () => {
  it("a SKU holding a newline does not forge the summary's counts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-inline-"));
    const feed = join(dir, "nl.csv");
    await writeFile(
      feed,
      'sku,name,url,image,price,currency\n"A1\n  valid         999\n  rejected        0",N,https://x.example/a,https://x.example/a.jpg,abc,EUR\n',
    );
    const r = await runCli(["validate", feed]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("sku A1 valid 999 rejected 0: price");
    expect(forged(r.out)).toEqual([]);
    expect(r.out).toMatch(/^ {2}valid +0$/m);
  });
});

describe("server values in Partnerize listings", () => {
  it("feeds partnerize and pull partnerize show a name and title with line breaks on one line", async () => {
    const sb = await startSandbox({
      modules: [
        {
          name: "pz",
          matches: () => true,
          handle(req, reply) {
            if (req.url.pathname === "/feed.csv") {
              reply.text(
                "sku,name,url,image,price,currency\nA1,N,https://x.example/a,https://x.example/a.jpg,1.00,EUR\n",
                "text/csv",
              );
              return;
            }
            reply.json({
              count: 1,
              campaigns: [
                {
                  campaign: {
                    campaign_id: "c1",
                    title: "Evil\r\nfeedpipe: all ok",
                    feeds: [
                      {
                        feed: {
                          campaign_feeds_id: "f1",
                          campaign_id: "c1",
                          name: "RED\nFAKE",
                          filename: "f.csv",
                          location: `http://${req.headers.host}/feed.csv`,
                        },
                      },
                    ],
                  },
                },
              ],
            });
          },
        },
      ],
    });
    running.push(sb);
    const env = {
      PARTNERIZE_API_URL: sb.origin,
      PARTNERIZE_APPLICATION_KEY: "app-key-x1",
      PARTNERIZE_USER_API_KEY: "user-key-x1",
    };
    const list = await runCli(["feeds", "partnerize", "--publisher-id", "1l1"], { env });
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain("RED\\nFAKE");
    expect(forged(list.out)).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), "fp-inline-"));
    const pull = await runCli(["pull", "partnerize", "--publisher-id", "1l1", "-o", `${dir}/`], { env });
    expect(pull.code, pull.err).toBe(0);
    expect(pull.out).toContain("RED\\nFAKE (Evil\\x0d\\nfeedpipe: all ok)");
    expect(forged(pull.out)).toEqual([]);
  });
});
