/**
 * One report per run: the observer the commands call once per checked batch, and the document it
 * turns into at the end (for `--html FILE` and the JSON report).
 */
import type { CheckedRecord, Pipeline } from "../../jobs/pipeline.js";
import type { RunReport } from "../../core/report.js";
import { FeedAggregates } from "./aggregates.js";
import type { PushInfo, ReportDocument, ReportKind } from "./model.js";
import { fieldSources } from "./sources.js";

export interface FinishOptions {
  report: RunReport;
  pipeline: Pipeline;
  ok: boolean;
  bytes?: number | undefined;
  rejectsFile?: string | undefined;
  output?: ReportDocument["output"];
  push?: PushInfo | undefined;
}

export class ReportCollector {
  readonly aggregates = new FeedAggregates();
  private readonly started = new Date();

  constructor(
    readonly kind: ReportKind,
    readonly command: string,
    readonly version: string,
  ) {}

  /** The observer: one call per batch of checked records. */
  readonly observe = (batch: readonly CheckedRecord[]): void => {
    this.aggregates.add(batch);
  };

  finish(o: FinishOptions): ReportDocument {
    const finished = new Date();
    const r = o.report;
    const doc: ReportDocument = {
      kind: this.kind,
      version: this.version,
      ok: o.ok,
      run: {
        command: this.command,
        source: r.source,
        format: r.format,
        preset: r.preset,
        presetChosen: r.presetChosen,
        fieldSources: r.mapping
          ? r.mapping.fields.map((f) => ({
              field: f.field,
              source: `${f.source} (inferred, confidence ${f.confidence.toFixed(2)})`,
            }))
          : fieldSources(o.pipeline, r.preset),
        startedAt: this.started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - this.started.getTime(),
      },
      report: r,
      aggregates: this.aggregates.snapshot(),
    };
    if (o.bytes !== undefined) doc.run.bytes = o.bytes;
    if (o.rejectsFile !== undefined) doc.rejectsFile = o.rejectsFile;
    if (o.output !== undefined) doc.output = o.output;
    if (o.push !== undefined) doc.push = o.push;
    return doc;
  }
}
