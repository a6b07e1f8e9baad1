/** What the PartnerBoost publisher-side sandbox modules (datafeed, Amazon) share. */

/** A refused request: answered as the envelope `{status:{code, msg: message}}`. */
export class ParamError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A parameter as trimmed text ("" when absent). */
export function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v.trim() : String(v).trim();
}

/** The documented envelope; `extra` adds top-level siblings such as `error_list`. */
export function envelope(
  code: number,
  msg: string,
  data?: unknown,
  extra?: Record<string, unknown>,
): unknown {
  const body: Record<string, unknown> = { status: { code, msg } };
  if (data !== undefined) body.data = data;
  return extra === undefined ? body : { ...body, ...extra };
}
