import { FeedpipeError } from "../../src/core/errors.js";

/** The FeedpipeError code a promise rejects with (undefined if it resolves; a marker if uncoded). */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof FeedpipeError ? err.code : `not coded: ${String(err)}`;
  }
  return undefined;
}
