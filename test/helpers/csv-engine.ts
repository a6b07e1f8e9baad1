import { CsvEngine, type CsvEngineOptions, type CsvRow } from "../../src/formats/csv-engine.js";

/** Run the CSV engine over `text` cut at the given points; all rows, after `end()`. */
export function runEngine(
  text: string,
  cuts: number[],
  options: CsvEngineOptions = { delimiter: "," },
): CsvRow[] {
  const engine = new CsvEngine(options);
  const out: CsvRow[] = [];
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    engine.push(text.slice(last, cut), out);
    last = cut;
  }
  engine.push(text.slice(last), out);
  engine.end(out);
  return out;
}
