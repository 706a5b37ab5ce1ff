/** One action on many connections (a frame sent, or a close): bounded concurrency, stale records removed. */
import pMap from "p-map";
import type { ConnectionStore, Delivery, Notifier } from "./ports.js";

export interface FanOutReport {
  recipients: number;
  delivered: number;
  /** Connections API Gateway no longer knew; their records were removed. */
  gone: number;
  failed: number;
  /** Failures by error name, for the structured log. */
  errors: Record<string, number>;
}

export interface FanOutDependencies {
  readonly store: Pick<ConnectionStore, "removeStale">;
  readonly notifier: Notifier;
  /** Posts kept in flight at once: not one at a time (slow), not all at once (EMFILE). */
  readonly concurrency: number;
}

/**
 * Sends `data` to every connection id the pages yield. Posting starts with the first page while
 * later pages are still being read. One failure never stops the rest; it is counted instead.
 */
export function fanOut(pages: AsyncIterable<readonly string[]>, data: string, dependencies: FanOutDependencies): Promise<FanOutReport> {
  return forEachConnection(pages, (connectionId) => dependencies.notifier.send(connectionId, data), dependencies);
}

/** Closes every connection the pages yield, the same way: bounded, stale records removed. */
export function closeAll(pages: AsyncIterable<readonly string[]>, dependencies: FanOutDependencies): Promise<FanOutReport> {
  return forEachConnection(pages, (connectionId) => dependencies.notifier.close(connectionId), dependencies);
}

async function forEachConnection(
  pages: AsyncIterable<readonly string[]>,
  act: (connectionId: string) => Promise<Delivery>,
  { store, concurrency }: FanOutDependencies,
): Promise<FanOutReport> {
  const report: FanOutReport = { recipients: 0, delivered: 0, gone: 0, failed: 0, errors: {} };
  const fail = (error: unknown) => {
    report.failed += 1;
    const name = error instanceof Error ? error.name : "UnknownError";
    report.errors[name] = (report.errors[name] ?? 0) + 1;
  };
  await pMap(
    flatten(pages),
    async (connectionId) => {
      report.recipients += 1;
      try {
        const delivery = await act(connectionId);
        if (delivery === "gone") await store.removeStale(connectionId);
        report[delivery] += 1;
      } catch (error) {
        fail(error);
      }
    },
    { concurrency },
  );
  return report;
}

async function* flatten(pages: AsyncIterable<readonly string[]>): AsyncIterable<string> {
  for await (const page of pages) yield* page;
}
