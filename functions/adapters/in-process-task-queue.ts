/**
 * TaskQueue for a long-lived process (a server-side publisher, `npm run notify`): tasks run here,
 * not in Lambda, a few at a time, and a failed task is tried twice more, as Lambda's asynchronous
 * invocation does. No payload limit: nothing leaves the process.
 */
import type { DeliveryTask, TaskQueue } from "../core/ports.js";

export interface InProcessTaskQueue extends TaskQueue {
  /** Resolves once every task, those queued meanwhile included, has run; rejects with the last failure that stayed. */
  drained(): Promise<void>;
}

export function createInProcessTaskQueue(run: (task: DeliveryTask) => Promise<void>, { concurrency = 4, attempts = 3, retryDelayMs = 1000 } = {}): InProcessTaskQueue {
  const waiting: DeliveryTask[] = [];
  let running = 0;
  let failure: unknown;
  let idle: (() => void)[] = [];

  const attempt = async (task: DeliveryTask) => {
    for (let tried = 1; ; tried += 1) {
      try {
        return await run(task);
      } catch (error) {
        if (tried >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * tried));
      }
    }
  };
  const pump = () => {
    while (running < concurrency && waiting.length > 0) {
      const task = waiting.shift()!;
      running += 1;
      void attempt(task)
        .catch((error: unknown) => (failure = error))
        .finally(() => {
          running -= 1;
          pump();
          if (running === 0 && waiting.length === 0) for (const resolve of idle.splice(0)) resolve();
        });
    }
  };
  return {
    maxTaskBytes: Number.MAX_SAFE_INTEGER,
    async enqueue(task) {
      waiting.push(task);
      pump();
    },
    async drained() {
      if (running > 0 || waiting.length > 0) await new Promise<void>((resolve) => idle.push(resolve));
      if (failure !== undefined) throw failure;
    },
  };
}
