/** Await a promise that must reject with a FeedpipeError, and return the error. */
import { expect } from "vitest";
import { FeedpipeError } from "../../src/core/errors.js";

export async function caught(p: Promise<unknown>): Promise<FeedpipeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    return err as FeedpipeError;
  }
  throw new Error("expected a rejection");
}
