/**
 * The push's one concurrency primitive: at most `size` tasks at once. `run` resolves once the task
 * has a slot (so the caller's loop is held back while the pool is full); `drain` once all are done.
 * Tasks must not reject (`send` handles its own errors).
 */
export function pool(size: number): {
  run(task: () => Promise<void>): Promise<void>;
  drain(): Promise<void>;
} {
  let active = 0;
  const slots: (() => void)[] = [];
  const idle: (() => void)[] = [];
  return {
    async run(task) {
      while (active >= size) await new Promise<void>((r) => slots.push(r));
      active++;
      void task().finally(() => {
        active--;
        slots.shift()?.();
        if (active === 0) for (const r of idle.splice(0)) r();
      });
    },
    drain: () => (active === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r))),
  };
}
