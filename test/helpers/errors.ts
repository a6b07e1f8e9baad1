/** Helpers for tests of coded errors. */
import { expect } from "vitest";
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

/** Await a promise that must reject with a FeedpipeError, and return the error. */
export async function caught(p: Promise<unknown>): Promise<FeedpipeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    return err as FeedpipeError;
  }
  throw new Error("expected a rejection");
}
