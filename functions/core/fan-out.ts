/** One action on many connections (a frame sent, or a close): bounded concurrency, gone connections ended after. */
import type { Delivery, DeliveryCounts, Notifier, Pace } from "./ports.js";

export type FanOutReport = { -readonly [Count in keyof DeliveryCounts]: number } & {
  /** Failures by error name, for the structured log. */
  errors: Record<string, number>;
};

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

export type Settled = "delivered" | "gone" | "failed";

/** How a batch of posts is run beyond its concurrency: what a `deliver` worker adds. */
export interface PostingOptions {
  /** Waits for the shared pace before each request; unpaced when absent. */
  readonly pace?: Pace;
  /** Told of each connection settled (delivered or failed; gone ones once forgotten): the worker's checkpoint. */
  readonly settled?: (connectionId: string, outcome: Settled) => void;
  /**
   * True once no new request may start (the invocation's time is running out); the rest stay
   * unsettled. With it, throttled sends are tried again until then; without, a few times.
   */
  readonly stopping?: () => boolean;
}

/**
 * Sends `data` to every connection id the pages yield. Posting starts with the first page while
 * later pages are still being read. One failure never stops the rest; it is counted instead.
 */
export function fanOut(pages: AsyncIterable<readonly string[]>, data: string, dependencies: FanOutDependencies, options: PostingOptions = {}): Promise<FanOutReport> {
  return forEachConnection(pages, (connectionId) => dependencies.notifier.send(connectionId, data), dependencies, options);
}

/** Closes every connection the pages yield, the same way: bounded, stale records removed. */
export function closeAll(pages: AsyncIterable<readonly string[]>, dependencies: FanOutDependencies): Promise<FanOutReport> {
  return forEachConnection(pages, (connectionId) => dependencies.notifier.close(connectionId), dependencies, {});
}

export const emptyReport = (): FanOutReport => ({ recipients: 0, delivered: 0, gone: 0, failed: 0, throttled: 0, errors: {} });

/** The longest pause after throttling answers; each one in a row doubles it from the first. */
const throttlePause = { firstMs: 100, maxMs: 5000 } as const;
/** Sends of one connection throttled before it counts as failed, in a batch without a time budget. */
const throttledRetriesInline = 5;

async function forEachConnection(
  pages: AsyncIterable<readonly string[]>,
  act: (connectionId: string) => Promise<Delivery>,
  { forget, concurrency }: FanOutDependencies,
  { pace, settled, stopping }: PostingOptions,
): Promise<FanOutReport> {
  const report = emptyReport();
  const fail = (error: unknown, count = 1) => {
    report.failed += count;
    const name = error instanceof Error ? error.name : "UnknownError";
    report.errors[name] = (report.errors[name] ?? 0) + count;
  };
  const gone: string[] = [];
  // Throttled requests go again, after a pause every sender keeps: throttling slows the whole batch.
  const again: string[] = [];
  let pausedUntil = 0;
  let pauseMs = 0;
  const source = flatten(pages)[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    const retry = again.shift();
    if (retry !== undefined) return retry;
    const { done, value } = await source.next();
    if (done) return undefined;
    report.recipients += 1;
    return value;
  };
  // A failure of the machinery (reading a page, the pace) stops every sender, and the batch
  // fails: nothing goes on posting behind a failed attempt's back.
  let broken: { error: unknown } | undefined;
  const halted = () => broken !== undefined || stopping?.() === true;
  // Without a time budget (inline), a connection throttled this often counts as failed instead.
  const throttledTimes = new Map<string, number>();
  const sender = async () => {
    try {
      while (!halted()) {
        const connectionId = await next();
        if (connectionId === undefined) return;
        await sleep(pausedUntil - Date.now());
        // The wait may have used up the time: this one stays unsettled, for the next attempt.
        if ((pace && !(await pace(halted))) || halted()) return;
        await post(connectionId);
      }
    } catch (error) {
      broken ??= { error };
    }
  };
  const post = async (connectionId: string) => {
    try {
      const delivery = await act(connectionId);
      if (delivery === "throttled") {
        report.throttled += 1;
        pauseMs = Math.min(throttlePause.maxMs, pauseMs === 0 ? throttlePause.firstMs : pauseMs * 2);
        pausedUntil = Date.now() + pauseMs;
        const times = (throttledTimes.get(connectionId) ?? 0) + 1;
        throttledTimes.set(connectionId, times);
        if (stopping !== undefined || times < throttledRetriesInline) return void again.push(connectionId);
        fail(Object.assign(new Error("throttled"), { name: "LimitExceededException" }));
        return settled?.(connectionId, "failed");
      }
      pauseMs = 0;
      if (delivery === "gone") return void gone.push(connectionId);
      report.delivered += 1;
      settled?.(connectionId, "delivered");
    } catch (error) {
      fail(error);
      settled?.(connectionId, "failed");
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  if (broken) throw broken.error;
  if (gone.length > 0) {
    try {
      await forget(gone);
      report.gone += gone.length;
      for (const connectionId of gone) settled?.(connectionId, "gone");
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

/** Waits `ms` (nothing when it is not positive). */
export const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
