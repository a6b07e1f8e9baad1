/**
 * The one abort path. An interrupted run (Ctrl-C, a stopping scheduler, a consumer that broke off)
 * ends with an AbortedError: a FeedpipeError with code ABORTED, never a raw DOMException or an
 * undici AbortError. `throwIfAborted` and `sleep` raise it; `toAborted` turns whatever an aborted
 * operation threw into it; `isAborted` is the one test for it. Signals are combined once per run
 * (`runSignal`), never per request: on Node 20 every `AbortSignal.any` result is retained by its
 * sources until they are collected (bench/abort-heap.mjs).
 */
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { type ErrorContext, FeedpipeError } from "./errors.js";

export class AbortedError extends FeedpipeError {
  override readonly name: string = "AbortedError";

  constructor(
    message = "The run was interrupted",
    options: { cause?: unknown; context?: ErrorContext | undefined } = {},
  ) {
    super("ABORTED", message, { cause: options.cause, context: options.context ?? {} });
  }
}

/** Is this what an interrupted operation throws (ours, or the platform's AbortError)? */
export function isAborted(err: unknown): boolean {
  if (err instanceof FeedpipeError) return err.code === "ABORTED";
  return (err as { name?: unknown } | null)?.name === "AbortError";
}

/** Throw an AbortedError if `signal` has been aborted. */
export function throwIfAborted(
  signal: AbortSignal | undefined,
  message?: string,
  context?: ErrorContext,
): void {
  if (signal?.aborted) throw abortedBy(signal, message, context);
}

function abortedBy(signal: AbortSignal, message: string | undefined, context?: ErrorContext): AbortedError {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortedError && message === undefined) return reason;
  const fromReason =
    reason instanceof FeedpipeError && reason.code === "ABORTED" ? reason.message : undefined;
  return new AbortedError(message ?? fromReason, { cause: reason, context });
}

/**
 * What an operation that failed while `signal` was aborted should throw: a coded failure that is
 * not an abort stays what it is; anything else (a DOMException, an undici error, an ABORTED error)
 * becomes one AbortedError. When the signal was not aborted, `err` is returned as is unless it is
 * itself an abort.
 */
export function toAborted(
  err: unknown,
  signal: AbortSignal | undefined,
  message: string,
  context?: ErrorContext,
): unknown {
  if (err instanceof AbortedError) return err;
  if (err instanceof FeedpipeError && err.code !== "ABORTED") return err;
  if (signal?.aborted || isAborted(err)) return new AbortedError(message, { cause: err, context });
  return err;
}

/** Wait `ms`, or reject with an AbortedError as soon as `signal` is aborted. */
export async function sleep(
  ms: number,
  signal?: AbortSignal,
  message = "Interrupted while waiting",
): Promise<void> {
  throwIfAborted(signal, message);
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    throw toAborted(err, signal, message);
  }
}

/**
 * A run's signal joined with each call's, combined once per distinct call signal (the run's own
 * signal, in practice) instead of once per request.
 */
export function runSignal(base: AbortSignal | undefined): (call?: AbortSignal) => AbortSignal | undefined {
  const joined = new WeakMap<AbortSignal, AbortSignal>();
  return (call) => {
    if (call === undefined || call === base) return base;
    if (base === undefined) return call;
    let both = joined.get(call);
    if (both === undefined) {
      both = AbortSignal.any([base, call]);
      // Every request in flight listens on it (undici adds one listener per request), so the
      // default limit of 10 would warn of a leak at any concurrency above 10. The listeners go
      // with their requests; their number is bounded by the caller's concurrency.
      setMaxListeners(0, both);
      joined.set(call, both);
    }
    return both;
  };
}
