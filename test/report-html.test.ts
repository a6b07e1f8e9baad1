import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { esc, relativeHref } from "../src/jobs/report/escape.js";
import { runCli } from "./helpers/cli.js";
import { HOSTILE } from "./helpers/hostile-feed.js";

const tmp = () => mkdtemp(join(tmpdir(), "fp-report-"));

/** Every <script> and every tag that could run or load something, as it appears in the page. */
function dangerous(html: string): string[] {
  return [...html.matchAll(/<(script|img|iframe|svg[^>]*onload|object|embed|link|base)\b[^>]*>/gi)].map(
    (m) => m[0],
  );
}

describe("HTML report escaping", () => {
  it("esc replaces every character that could open markup or end an attribute", () => {
    expect(esc(`<a href="x" onclick='y'>&amp;</a>`)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
    );
    expect(esc("a\u0000b")).toBe("a\ufffdb");
  });

  it("relativeHref can only give a relative link", () => {
    expect(relativeHref("/out/report.html", "/out/rejects.ndjson")).toBe("rejects.ndjson");
    expect(relativeHref("/out/html/r.html", "/out/data/my rejects.ndjson")).toBe(
      "../data/my%20rejects.ndjson",
    );
    expect(relativeHref("/out/r.html", "/out/javascript:alert(1)")).toBe("javascript%3Aalert(1)");
  });

  it("a hostile feed cannot inject markup or script into the page", async () => {
    const dir = await tmp();
    const feed = join(dir, "hostile.csv");
    await writeFile(feed, HOSTILE);
    const html = join(dir, "r.html");
    const r = await runCli(["validate", feed, "--html", html, "--rejects", join(dir, "rej.ndjson")]);
    expect(r.code).toBe(1);
    const page = await readFile(html, "utf8");
    // Exactly one script element: the page's own (filter/search); the CSP forbids remote loads.
    expect(dangerous(page)).toEqual(["<script>"]);
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    );
    // No real tag (a literal "<": feed text is all escaped) carries an event handler attribute.
    const tags = page.match(/<[a-z][^>]*>/gi) ?? [];
    expect(tags.length).toBeGreaterThan(100);
    // Attribute values are double-quoted; what is left outside the quotes are the attribute names.
    const names = tags.map((t) => t.replace(/"[^"]*"/g, '""'));
    expect(names.filter((t) => /\son[a-z]+\s*=/i.test(t) || /'/.test(t))).toEqual([]);
    expect(page).toContain("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;");
    expect(page).toContain("&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("x&#39; onmouseover=&#39;alert(2)");
    expect(page).toContain("&lt;img src=x onerror=alert(3)&gt;");
    expect(page).not.toMatch(/href="javascript:/i);
    expect(page).toContain(`href="rej.ndjson"`);
    // One style element and no other: the hostile </style> did not end it.
    expect(page.match(/<style>/g)?.length).toBe(1);
    expect(page.match(/<\/style>/g)?.length).toBe(1);
  });
});

describe("--html on validate and convert, and feedpipe report", () => {
  it("validate --html writes one page with the run, the accounting and every section", async () => {
    const dir = await tmp();
    const html = join(dir, "report.html");
    const r = await runCli(["validate", "samples/catalog.csv", "--html", html]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`html report   ${html}`);
    const page = await readFile(html, "utf8");
    for (const id of ["run", "accounting", "issues", "fill", "distributions", "problems"]) {
      expect(page).toContain(`<section id="${id}"`);
    }
    expect(page).toContain(`<td class="num" data-key="read">31</td>`);
    expect(page).toContain(`<td class="num" data-key="valid">24</td>`);
    expect(page).toContain(`<td class="num" data-key="invalid">7</td>`);
    expect(page).toContain(`<td class="num" data-key="rule:GTIN_CHECK_DIGIT">1</td>`);
    expect(page).toContain("feedpipe validate samples/catalog.csv");
    expect(page).toMatch(/<td data-key="preset">partnerboost/);
    expect(page).not.toMatch(/https?:\/\/[^"<\s]*\.(css|js)\b/); // nothing to load
  });

  it("--report json carries what the page needs, and feedpipe report renders the same numbers", async () => {
    const dir = await tmp();
    const r = await runCli([
      "validate",
      "samples/catalog.csv",
      "--report",
      "json",
      "--rejects",
      join(dir, "rej.ndjson"),
    ]);
    const json = JSON.parse(r.out) as Record<string, unknown> & {
      aggregates: { examples: unknown[] };
      run: { fieldSources: unknown[] };
    };
    expect(json.valid).toBe(24);
    expect(json.feedpipe).toEqual({ version: "0.1.0", kind: "validate" });
    expect(json.run.fieldSources.length).toBeGreaterThan(5);
    expect(json.aggregates.examples.length).toBe(9);
    const saved = join(dir, "run.json");
    await writeFile(saved, r.out);
    const rr = await runCli(["report", saved]);
    expect(rr.code).toBe(0);
    const page = await readFile(join(dir, "run.html"), "utf8");
    expect(page).toContain(`<td class="num" data-key="valid">24</td>`);
    expect(page).toContain(`href="rej.ndjson"`);
  });

  it("feedpipe report refuses what is not a report (exit 2, coded error)", async () => {
    const dir = await tmp();
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ valid: "many", run: {}, aggregates: {} }));
    const r = await runCli(["report", bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\[REPORT_INVALID\].*bad\.json is not a feedpipe JSON report/);
    await writeFile(bad, "{not json");
    expect((await runCli(["report", bad])).err).toMatch(/\[REPORT_INVALID\].*is not JSON/);
    expect((await runCli(["report", join(dir, "missing.json")])).err).toMatch(/\[IO_NOT_FOUND\]/);
  });

  it("convert --html names the output; --html - is refused before any I/O", async () => {
    const dir = await tmp();
    const html = join(dir, "c.html");
    const r = await runCli(["convert", "samples/catalog.csv", "-o", join(dir, "out.csv"), "--html", html]);
    expect(r.code).toBe(1);
    const page = await readFile(html, "utf8");
    expect(page).toContain("24 products written to");
    const bad = await runCli(["validate", "samples/catalog.csv", "--html", "-"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\[USAGE\]: give --html a file name/);
  });
});
