import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { PARTNERBOOST_SANDBOX_BRAND } from "../src/sandbox/index.js";

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

describe("feedpipe demo", () => {
  it("pushes the sample, shows delta sync, the gate and registration, and leaves nothing running", async () => {
    const { code, out, err } = await runCli(["demo"], { cwd: process.cwd() });
    expect(err).toBe("");
    expect(out).not.toContain("unexpected");
    expect(code).toBe(0);
    const m =
      /1\. validate and push\n\s+(\d+) records: (\d+) valid, (\d+) rejected[^\n]*\n\s+(\d+) sent, 0 unchanged, 0 failed/.exec(
        out,
      );
    expect(m).not.toBeNull();
    const [, records, valid, rejected, sent] = m!.map(Number);
    expect(valid! + rejected!).toBe(records);
    expect(sent).toBe(valid);
    expect(out).toMatch(new RegExp(`2\\. push again \\(delta sync\\)\\n\\s+0 sent, ${valid} unchanged`));
    expect(out).toMatch(/3\. change the price of \S+, push\n\s+1 sent/);
    expect(out).toContain("refused by the publish gate");
    expect(out).toMatch(/registered: fetch_period DAILY/);
    expect(out).toMatch(/6\. as a publisher, list the datafeed[^\n]*\n\s+\d+ products on offer/);
    // The publisher listing: names cut on a word boundary, prices right-aligned in one column.
    const listing = /6\. as a publisher[^\n]*\n[^\n]*\n((?: {3}\S[^\n]*\n)+)/.exec(out)?.[1] ?? "";
    const rows = listing.trimEnd().split("\n");
    expect(rows.length).toBeGreaterThan(1);
    const priceEnds = rows.map((r) => r.search(/ [A-Z]{3}$/));
    expect(new Set(priceEnds).size).toBe(1);
    for (const r of rows) expect(r).not.toMatch(/\(\s+\d|\w…\w/);
    expect(out).toContain("sandbox stopped");
    expect(out).not.toContain(PARTNERBOOST_SANDBOX_BRAND.token);
    expect(out).not.toContain(PARTNERBOOST_SANDBOX_BRAND.secret);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await refused(port)).toBe(true);
  });
});
