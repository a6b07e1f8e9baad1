/**
 * http.ts retries only errors known to be transient: a request the client itself cannot make (a
 * programmer error, an error without a code) is tried once, not six times with backoff.
 */
import { describe, expect, it } from "vitest";
import { NetworkError } from "../src/core/errors.js";
import { withRetry } from "../src/core/retry.js";
import { httpRequest, transportError } from "../src/io/http.js";

describe("http retries", () => {
  it("an error without a code is not retryable", () => {
    const e = transportError(new TypeError("x is not a function"), "http://127.0.0.1/x");
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.retryable).toBe(false);
  });

  it("an invalid request is tried once", async () => {
    let attempts = 0;
    const err = await withRetry(
      () => {
        attempts++;
        return httpRequest("http://127.0.0.1:9/x", { headers: { "bad\nname": "v" } });
      },
      { policy: { baseDelayMs: 1, maxDelayMs: 1 } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).retryable).toBe(false);
    expect(attempts).toBe(1);
  });
});
