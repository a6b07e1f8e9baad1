import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const tmp = () => mkdtemp(join(tmpdir(), "fp-diff-"));
const HEADER = "sku,name,url,image,price,currency,brand,availability";
const row = (
  sku: string,
  name: string,
  price: string,
  over: { currency?: string; brand?: string; avail?: string } = {},
) =>
  `${sku},${name},https://s.example/${sku},https://s.example/${sku}.jpg,${price},${over.currency ?? "EUR"},${over.brand ?? "Acme"},${over.avail ?? "in stock"}`;

const OLD = [
  HEADER,
  row("A-1", "Alpha", "10.00"),
  row("A-2", "Beta", "20.00"),
  row("A-3", "Gamma", "30.00"),
  row("A-4", "Delta", "40.00"),
  row("A-5", "Eps", "50.00"),
  row("A-6", "Zeta", "60.00"),
  row("A-7", "Eta", "70.00"),
].join("\n");

/** A-1 removed; A-2 price up; A-3 price down + name; A-4 unchanged; A-5 now invalid; A-6 currency; A-8 added. */
const NEW_ROWS = [
  {
    sku: "A-2",
    name: "Beta",
    url: "https://s.example/A-2",
    image: "https://s.example/A-2.jpg",
    price: 25,
    currency: "EUR",
    brand: "Acme",
    availability: "InStock",
  },
  {
    sku: "A-3",
    name: "Gamma 2",
    url: "https://s.example/A-3",
    image: "https://s.example/A-3.jpg",
    price: "27",
    currency: "eur",
    brand: "Acme",
    availability: "in_stock",
  },
  {
    sku: "A-4",
    name: " Delta ",
    url: "https://s.example/A-4",
    image: "https://s.example/A-4.jpg",
    price: "40",
    currency: "EUR",
    brand: "Acme",
    availability: "in stock",
  },
  {
    sku: "A-5",
    name: "Eps",
    url: "not a url",
    image: "https://s.example/A-5.jpg",
    price: "50",
    currency: "EUR",
    brand: "Acme",
    availability: "in stock",
  },
  {
    sku: "A-6",
    name: "Zeta",
    url: "https://s.example/A-6",
    image: "https://s.example/A-6.jpg",
    price: "60",
    currency: "USD",
    brand: "Acme",
    availability: "in stock",
  },
  {
    sku: "A-7",
    name: "Eta",
    url: "https://s.example/A-7",
    image: "https://s.example/A-7.jpg",
    price: "70",
    currency: "EUR",
    brand: '=HYPERLINK("x")',
    availability: "in stock",
  },
  {
    sku: "A-8",
    name: "Theta",
    url: "https://s.example/A-8",
    image: "https://s.example/A-8.jpg",
    price: "80",
    currency: "EUR",
    brand: "Acme",
    availability: "in stock",
  },
];

async function fixtures() {
  const dir = await tmp();
  const oldCsv = join(dir, "old.csv");
  const newNdjson = join(dir, "new.ndjson");
  await writeFile(oldCsv, `${OLD}\n`);
  await writeFile(newNdjson, NEW_ROWS.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return { dir, oldCsv, newNdjson };
}

describe("feedpipe diff", () => {
  it("joins a CSV and an NDJSON feed by SKU: added, removed, changed, unchanged, now invalid", async () => {
    const { dir, oldCsv, newNdjson } = await fixtures();
    const csv = join(dir, "changes.csv");
    const r = await runCli(["diff", oldCsv, newNdjson, "--json", "-o", csv]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.out) as Record<string, unknown> & {
      old: { format: string; valid: number };
      new: { format: string; valid: number; invalid: number };
      fields: { field: string; changed: number }[];
      prices: {
        moves: number;
        up: number;
        down: number;
        medianDelta: number;
        medianPct: number;
        currencyChanges: number;
        largest: { sku: string; old: number; new: number; pct: number }[];
      };
    };
    expect(d.old.format).toBe("csv");
    expect(d.new.format).toBe("ndjson");
    expect(d.added).toBe(1);
    expect(d.removed).toBe(1);
    expect(d.invalid).toBe(1);
    // A-2 (price), A-3 (price, name), A-6 (currency), A-7 (brand); A-4 is equal after normalisation.
    expect(d.changed).toBe(4);
    expect(d.unchanged).toBe(1);
    expect(Object.fromEntries(d.fields.map((f) => [f.field, f.changed]))).toEqual({
      price: 2,
      name: 1,
      currency: 1,
      brand: 1,
    });
    expect(d.prices.moves).toBe(2);
    expect(d.prices.up).toBe(1);
    expect(d.prices.down).toBe(1);
    expect(d.prices.currencyChanges).toBe(1);
    expect(d.prices.medianDelta).toBe(1); // (+5 + -3) / 2
    expect(d.prices.medianPct).toBeCloseTo(7.5, 5); // (+25% + -10%) / 2
    expect(d.prices.largest.map((m) => m.sku)).toEqual(["A-2", "A-3"]);
    expect(d.changes).toBe(8);

    const lines = (await readFile(csv, "utf8")).trim().split("\n");
    expect(lines[0]).toBe("sku,change,field,old,new");
    expect(lines.slice(1)).toEqual([
      "A-1,removed,,,",
      "A-2,changed,price,20,25",
      "A-3,changed,name,Gamma,Gamma 2",
      "A-3,changed,price,30,27",
      "A-5,invalid,,,URL_INVALID",
      "A-6,changed,currency,EUR,USD",
      `A-7,changed,brand,Acme,"'=HYPERLINK(""x"")"`, // a formula cell is escaped
      "A-8,added,,,",
    ]);
  });

  it("exit 0 and 'no differences' for the same catalog in two formats", async () => {
    const dir = await tmp();
    const a = join(dir, "a.csv");
    const b = join(dir, "b.ndjson");
    await writeFile(a, `${[HEADER, row("S-1", "One", "1.50"), row("S-2", "Two", "2")].join("\n")}\n`);
    const same = [
      {
        sku: "S-2",
        name: "Two",
        url: "https://s.example/S-2",
        image: "https://s.example/S-2.jpg",
        price: 2,
        currency: "EUR",
        brand: "Acme",
        availability: "in stock",
      },
      {
        sku: "S-1",
        name: "One",
        url: "https://s.example/S-1",
        image: "https://s.example/S-1.jpg",
        price: "1.5",
        currency: "EUR",
        brand: "Acme",
        availability: "in stock",
      },
    ];
    await writeFile(b, same.map((x) => JSON.stringify(x)).join("\n"));
    const r = await runCli(["diff", a, b]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/unchanged\s+2/);
    expect(r.out).toContain("no differences");
  });

  it("prints the text summary with per-field counts and price moves; --html writes a page", async () => {
    const { dir, oldCsv, newNdjson } = await fixtures();
    const html = join(dir, "diff.html");
    const r = await runCli(["diff", oldCsv, newNdjson, "--html", html, "-o", join(dir, "c.csv")]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/added\s+1/);
    expect(r.out).toMatch(/removed\s+1/);
    expect(r.out).toMatch(/changed\s+4/);
    expect(r.out).toMatch(/now invalid\s+1/);
    expect(r.out).toMatch(/price moves 2: 1 up, 1 down; median \+7\.5%/);
    expect(r.out).toMatch(/A-2: 20 → 25 EUR \(\+25\.0%\)/);
    const page = await readFile(html, "utf8");
    expect(page).toContain(`<td class="num" data-key="added">1</td>`);
    expect(page).toContain(`href="c.csv"`);
    expect(page).toContain("default-src 'none'");
    expect(page).toContain("=HYPERLINK(&quot;x&quot;)");
  });

  it("--price-with-currency reads 15.00 EUR as price and currency in both feeds", async () => {
    const dir = await tmp();
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    const head = "sku,name,url,image,price,brand,availability";
    const line = (sku: string, price: string) =>
      `${sku},Name ${sku},https://s.example/${sku},https://s.example/${sku}.jpg,${price},Acme,in stock`;
    await writeFile(a, `${[head, line("P-1", "15.00 EUR"), line("P-2", "20.00 EUR")].join("\n")}\n`);
    await writeFile(b, `${[head, line("P-1", "15.00 EUR"), line("P-2", "25.00 EUR")].join("\n")}\n`);
    const plain = await runCli(["diff", a, b, "--json"]);
    expect(JSON.parse(plain.out)).toMatchObject({ old: { valid: 0 }, new: { valid: 0 } });
    const r = await runCli(["diff", a, b, "--json", "--price-with-currency"]);
    expect(r.code, r.err).toBe(1);
    const d = JSON.parse(r.out) as {
      old: { valid: number };
      new: { valid: number };
      unchanged: number;
      changed: number;
    };
    expect(d).toMatchObject({ old: { valid: 2 }, new: { valid: 2 }, unchanged: 1, changed: 1 });
  });

  it("a repeated SKU is compared once (the first record) and counted as a duplicate", async () => {
    const dir = await tmp();
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    await writeFile(
      a,
      `${[HEADER, row("D-1", "One", "1"), row("D-1", "Again", "9"), row("D-2", "Two", "2")].join("\n")}\n`,
    );
    await writeFile(b, `${[HEADER, row("D-1", "One", "1"), row("D-2", "Two", "2")].join("\n")}\n`);
    const r = await runCli(["diff", a, b, "--json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out) as { old: { valid: number; duplicates: number }; unchanged: number };
    expect(d.old).toMatchObject({ valid: 2, duplicates: 1 });
    expect(d.unchanged).toBe(2);
    // The text accounts for every record: 2 valid + 1 duplicate = 3.
    const text = await runCli(["diff", a, b]);
    expect(text.out).toMatch(/old .*: 2 valid products, 1 duplicate SKU \(later occurrences, not compared\)/);
  });

  it("a feed compared with itself is no differences (nothing is written to it), an output over a feed is refused", async () => {
    const dir = await tmp();
    const a = join(dir, "a.csv");
    await writeFile(a, `${[HEADER, row("D-1", "One", "1"), row("D-2", "Two", "2")].join("\n")}\n`);
    const r = await runCli(["diff", a, a]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("no differences");
    const over = await runCli(["diff", a, join(dir, "b.csv"), "-o", a]);
    expect(over.code).toBe(2);
    expect(over.err).toContain("name the same file");
  });

  it("exit 2 for trouble: a missing feed, two stdins, an unreadable feed", async () => {
    const { dir, oldCsv } = await fixtures();
    const empty = join(dir, "empty.csv");
    await writeFile(empty, "");
    const unreadable = await runCli(["diff", oldCsv, empty, "-o", join(dir, "x.csv")]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toMatch(/\[FEED_EMPTY\]/);
    expect((await readdir(dir)).filter((f) => f.includes("x.csv"))).toEqual([]); // nothing half-written
    const missing = await runCli(["diff", oldCsv, "/nonexistent/feed.csv"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/\[IO_NOT_FOUND\]/);
    const stdin = await runCli(["diff", "-", "-"]);
    expect(stdin.code).toBe(2);
    expect(stdin.err).toMatch(/\[USAGE\]: only one of the feeds can be stdin/);
  });

  it("reads one side from stdin", async () => {
    const { oldCsv } = await fixtures();
    const r = await runCli(["diff", oldCsv, "-"], { stdin: `${OLD}\n` });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/unchanged\s+7/);
  });
});
