/**
 * Hooks into a sandbox module's request handling, so a test can act at a known request (abort
 * after the third product, hold a run in flight) instead of after a wall-clock delay.
 */
import type { SandboxModule, SandboxRequest } from "../../src/sandbox/server.js";

/**
 * Call `hook` before the module handles each request (n counts from 1); the request waits for
 * it. Returns a function that removes the hook.
 */
export function beforeHandle(
  module: SandboxModule,
  hook: (req: SandboxRequest, n: number) => void | Promise<void>,
): () => void {
  const handle = module.handle;
  let n = 0;
  module.handle = async (req, reply) => {
    await hook(req, ++n);
    return handle.call(module, req, reply);
  };
  return () => {
    module.handle = handle;
  };
}

export interface HeldRequests {
  /** Requests waiting now. */
  readonly waiting: number;
  /** Resolves once `n` requests have arrived (held or not). */
  arrived(n: number): Promise<void>;
  /** Let every held request through, and all later ones at once. */
  open(): void;
}

/** Hold every request the module gets until `open()`: the client's run stays in flight until then. */
export function holdRequests(module: SandboxModule): HeldRequests {
  let opened = false;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let count = 0;
  let waiting = 0;
  const watchers: { n: number; resolve: () => void }[] = [];
  beforeHandle(module, async () => {
    count++;
    for (const w of watchers.filter((x) => x.n <= count)) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
    if (opened) return;
    waiting++;
    await gate;
    waiting--;
  });
  return {
    get waiting() {
      return waiting;
    },
    arrived(n) {
      if (count >= n) return Promise.resolve();
      return new Promise((resolve) => watchers.push({ n, resolve }));
    },
    open() {
      opened = true;
      release();
    },
  };
}
