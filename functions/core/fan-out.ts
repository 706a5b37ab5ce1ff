/** One action on many connections (a frame sent, or a close): bounded concurrency, gone connections ended after. */
import pMap from "p-map";
import type { Delivery, Notifier } from "./ports.js";

export interface FanOutReport {
  recipients: number;
  delivered: number;
  /** Connections API Gateway no longer knew; they were ended (records, subscriptions). */
  gone: number;
  failed: number;
  /** Failures by error name, for the structured log. */
  errors: Record<string, number>;
}

export interface FanOutDependencies {
  /**
   * Ends the connections found gone (410): called once, with all of them, after every post. Ending
   * one can mean telling its channels it left: done after the delivery, and for all of them
   * together, so that one departure's `leave` never waits in a slot the message needs, nor meets
   * the other departed connections.
   */
  readonly forget: (connectionIds: readonly string[]) => Promise<void>;
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
  { forget, concurrency }: FanOutDependencies,
): Promise<FanOutReport> {
  const report: FanOutReport = { recipients: 0, delivered: 0, gone: 0, failed: 0, errors: {} };
  const fail = (error: unknown, count = 1) => {
    report.failed += count;
    const name = error instanceof Error ? error.name : "UnknownError";
    report.errors[name] = (report.errors[name] ?? 0) + count;
  };
  const gone: string[] = [];
  await pMap(
    flatten(pages),
    async (connectionId) => {
      report.recipients += 1;
      try {
        const delivery = await act(connectionId);
        if (delivery === "gone") gone.push(connectionId);
        else report.delivered += 1;
      } catch (error) {
        fail(error);
      }
    },
    { concurrency },
  );
  if (gone.length > 0) {
    try {
      await forget(gone);
      report.gone += gone.length;
    } catch (error) {
      // Not ended: a later fan-out meets them again.
      fail(error, gone.length);
    }
  }
  return report;
}

async function* flatten(pages: AsyncIterable<readonly string[]>): AsyncIterable<string> {
  for await (const page of pages) yield* page;
}
