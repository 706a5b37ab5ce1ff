/**
 * A frame to an audience, off the request path when the audience is large. A fan-out that fits in
 * one shard (`shardSize` recipients) is delivered by the invocation that asked for it. A larger one
 * becomes a job for the `deliver` workers: a planner reads the recipients a shard at a time and
 * hands each shard to a worker invocation, launched no faster than `postRateLimit` can serve them;
 * each worker posts its shard at the pace all workers share, checkpoints what it settled, and hands
 * what is left to a fresh invocation before its own time runs out. A retried or duplicated
 * invocation resumes from the checkpoint, so nobody is skipped and nobody is posted twice.
 */
import { randomUUID } from "node:crypto";
import { fanOut, sleep, type FanOutDependencies, type FanOutReport, type Settled } from "./fan-out.js";
import type { Audience, DeliveryCounts, DeliveryJob, DeliveryTask, FanOutTotals, Pace, RecipientPage, Recipients, ShardLedger, ShardProgress, TaskQueue } from "./ports.js";

export interface Workers {
  readonly queue: TaskQueue;
  readonly ledger: ShardLedger;
  readonly pace: Pace;
  /** `@connections` requests per second all workers make together. */
  readonly postRateLimit: number;
}

export interface DeliveryDependencies {
  readonly recipients: Recipients;
  readonly fanOut: FanOutDependencies;
  readonly shardSize: number;
  /** Absent where there are no workers (a script, the tests' in-memory system): every fan-out is inline. */
  readonly workers?: Workers;
  /** One line per fan-out handed to the workers, once its last shard is done. */
  readonly summarize: (summary: FanOutSummary) => void;
  /** Told why the workers did not take a fan-out (it is then delivered where it was asked for). */
  readonly refused: (error: unknown) => void;
  readonly now: () => Date;
}

export interface FanOutSummary extends DeliveryCounts {
  readonly job: string;
  readonly audience: Audience["kind"];
  readonly shards: number;
  readonly durationMs: number;
}

/** Delivered here (`report`), or accepted by the workers (`job`). */
export type Dispatched = { readonly report: FanOutReport } | { readonly job: string };

/** A dispatch as log fields: the inline report, or the job the workers took (summarized when done). */
export const logFields = (dispatched: Dispatched): Record<string, unknown> =>
  "report" in dispatched ? { ...dispatched.report } : { job: dispatched.job, deliveredBy: "workers" };

/** Time an invocation keeps for finishing its posts, its checkpoint and its continuation. */
export interface TimeBudget {
  /** Milliseconds until the invocation ends (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
}

/** The share of an invocation's time a worker keeps in reserve: in-flight posts, checkpoint, continuation. */
const reserveShare = 0.3;

/**
 * Invocations a shard may run out of time in before what is still unsettled counts as failed: a
 * quota saturated for minutes is waited out, a clean-up that can never succeed is not retried forever.
 */
export const maxContinuations = 20;

/** How often a shard's checkpoint is written while it posts. */
const checkpointIntervalMs = 200;

/** A date as epoch seconds, as DynamoDB's TTL attributes hold it. */
export const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The pages of an audience, one `Recipients` page after another. */
export async function* recipientPages(recipients: Recipients, audience: Audience, pageSize: number, now: Date, from?: { connectionIds: readonly string[]; next?: string }): AsyncIterable<readonly string[]> {
  let page = from ?? (await recipients.page(audience, pageSize, undefined, seconds(now)));
  for (;;) {
    yield page.connectionIds;
    if (page.next === undefined) return;
    page = await recipients.page(audience, pageSize, page.next, seconds(now));
  }
}

/** The audience's first page, as `dispatch` reads it: a read only, which may start before the frame is admitted. */
export function firstPage(audience: Audience, { recipients, shardSize, now }: DeliveryDependencies): Promise<RecipientPage> {
  return recipients.page(audience, shardSize, undefined, seconds(now()));
}

/**
 * Sends `frame` to the audience: here when its first page is its last (or there are no workers, or
 * the frame is too large to hand over), else through the workers. Handing over never loses the
 * frame: what the queue refuses is delivered here. `first` is the first page when already read.
 */
export async function dispatch(audience: Audience, frame: string, dependencies: DeliveryDependencies, first?: RecipientPage): Promise<Dispatched> {
  const { recipients, shardSize, workers, now } = dependencies;
  first ??= await firstPage(audience, dependencies);
  const inline = (from: { connectionIds: readonly string[]; next?: string }) =>
    fanOut(recipientPages(recipients, audience, shardSize, now(), from), frame, dependencies.fanOut);
  if (first.next === undefined || workers === undefined) return { report: await inline(first) };
  const job: DeliveryJob = { id: randomUUID(), audience, frame, startedAt: now().getTime() };
  const firstShard: DeliveryTask = { kind: "shard", job, shard: 0, connectionIds: first.connectionIds };
  if (Buffer.byteLength(JSON.stringify(firstShard)) > workers.queue.maxTaskBytes) return { report: await inline(first) };
  try {
    await workers.queue.enqueue(firstShard);
  } catch (error) {
    dependencies.refused(error);
    return { report: await inline(first) };
  }
  try {
    await workers.queue.enqueue({ kind: "plan", job, cursor: first.next, shard: 1 });
  } catch (error) {
    dependencies.refused(error);
    // The first shard is the workers'; the rest is delivered here.
    return { report: await inline({ connectionIds: [], next: first.next }) };
  }
  return { job: job.id };
}

/**
 * Hands the whole fan-out to the workers without reading a recipient here: for what may wait, such
 * as the `leave` of connections found gone during another fan-out. Delivered here when there are no
 * workers or they refuse it.
 */
export async function handOver(audience: Audience, frame: string, dependencies: DeliveryDependencies): Promise<Dispatched> {
  const { workers, now } = dependencies;
  if (workers) {
    const task: DeliveryTask = { kind: "plan", job: { id: randomUUID(), audience, frame, startedAt: now().getTime() }, shard: 0 };
    try {
      if (Buffer.byteLength(JSON.stringify(task)) <= workers.queue.maxTaskBytes) {
        await workers.queue.enqueue(task);
        return { job: task.job.id };
      }
    } catch (error) {
      // Delivered here instead.
      dependencies.refused(error);
    }
  }
  return dispatch(audience, frame, { ...dependencies, workers: undefined });
}

/** Runs one task of the workers; `endGone` ends connections found gone (records, subscriptions, `leave`s). */
export function runTask(task: DeliveryTask, dependencies: DeliveryDependencies, budget: TimeBudget, endGone: (connectionIds: readonly string[]) => Promise<void>): Promise<void> {
  switch (task.kind) {
    case "plan":
      return planShards(task, dependencies, budget);
    case "shard":
      return deliverShard(task, dependencies, budget);
    case "forget":
      return endGone(task.connectionIds);
  }
}

/**
 * Reads the job's recipients from `cursor` a shard at a time and launches each shard's worker,
 * shard n no sooner than n shards' worth of posts at `postRateLimit` after the job began. Each
 * shard's recipients are recorded before it is launched, and a planner invoked again (a retry, a
 * duplicate) follows that record: every shard keeps the recipients it was first given.
 */
export async function planShards(task: Extract<DeliveryTask, { kind: "plan" }>, dependencies: DeliveryDependencies, budget: TimeBudget): Promise<void> {
  const { recipients, shardSize, now } = dependencies;
  const { queue, ledger, postRateLimit } = workersOf(dependencies);
  const { job } = task;
  const reserveMs = budget.remainingMs() * reserveShare;
  let { cursor, shard } = task;
  // Empty pages (every item filtered out) are read past: a shard has recipients, or ends the plan.
  const read = async () => {
    let page = await recipients.page(job.audience, shardSize, cursor, seconds(now()));
    while (page.connectionIds.length === 0 && page.next !== undefined) page = await recipients.page(job.audience, shardSize, page.next, seconds(now()));
    return page;
  };
  for (;;) {
    const launchAt = job.startedAt + (shard * shardSize * 1000) / postRateLimit;
    const spare = budget.remainingMs() - reserveMs;
    // Time is up, or not enough is left to wait for the next launch (wait what it can): a fresh
    // invocation carries on from here.
    if (spare <= 0 || launchAt - now().getTime() > spare) {
      await sleep(spare);
      return queue.enqueue({ kind: "plan", job, ...(cursor === undefined ? {} : { cursor }), shard });
    }
    const page = await ledger.plan(job.id, shard, read);
    if (page.connectionIds.length === 0) break;
    await sleep(launchAt - now().getTime());
    await queue.enqueue({ kind: "shard", job, shard, connectionIds: page.connectionIds });
    shard += 1;
    if (page.next === undefined) break;
    cursor = page.next;
  }
  await finish(job, await ledger.planned(job.id, shard), dependencies);
}

/**
 * Delivers one shard: claims it, posts to the connections not yet settled at the shared pace, and
 * records each settled one. What the time left cannot cover goes to a fresh invocation of the same
 * task. A second invocation of a shard being posted is refused (thrown, so that Lambda tries it later).
 */
export async function deliverShard(task: Extract<DeliveryTask, { kind: "shard" }>, dependencies: DeliveryDependencies, budget: TimeBudget): Promise<void> {
  const { queue, ledger, pace } = workersOf(dependencies);
  const { job, shard, connectionIds } = task;
  const startedAt = dependencies.now().getTime();
  const reserveMs = budget.remainingMs() * reserveShare;
  const claim = await ledger.claim(job.id, shard, connectionIds.length, startedAt + budget.remainingMs(), startedAt);
  if (claim.state === "busy") throw new ShardBusy(job.id, shard);
  // Done already: marked again (harmless), in case the attempt that did it ended before the fan-out's totals.
  if (claim.state === "complete") return finish(job, await ledger.complete(job.id, shard), dependencies);
  const checkpoint = new Checkpoint(connectionIds, claim.progress, (progress, counts) => ledger.record(job.id, shard, progress, counts));
  const pending = connectionIds.filter((_, index) => !checkpoint.isSettled(index));
  let report: FanOutReport;
  try {
    report = await fanOut(pages(pending), job.frame, dependencies.fanOut, {
      pace,
      settled: (connectionId, outcome) => checkpoint.settle(connectionId, outcome),
      stopping: () => budget.remainingMs() < reserveMs,
    });
  } catch (error) {
    // Lambda's retry may claim it at once; what was settled is kept.
    await checkpoint.flush({}).catch(() => undefined);
    await ledger.release(job.id, shard).catch(() => undefined);
    throw error;
  }
  // Only attempts that settle nothing count towards giving up: a slow shard is never cut short.
  const continuation = pending.length - checkpoint.unsettled() > 0 ? 0 : (task.continuation ?? 0) + 1;
  const unsettled = checkpoint.unsettled();
  const givingUp = unsettled > 0 && continuation >= maxContinuations;
  await checkpoint.flush({ throttled: report.throttled, failed: givingUp ? unsettled : 0 });
  if (unsettled > 0 && !givingUp) {
    await ledger.release(job.id, shard);
    return queue.enqueue({ ...task, continuation });
  }
  await finish(job, await ledger.complete(job.id, shard), dependencies);
}

/** A second invocation of a shard whose lease another attempt holds. */
export class ShardBusy extends Error {
  override readonly name = "ShardBusy";
  constructor(jobId: string, shard: number) {
    super(`shard ${shard} of fan-out ${jobId} is being delivered by another attempt`);
  }
}

/**
 * What a shard has settled, and its counts, written at most every `checkpointIntervalMs` (one write
 * in flight at a time) and once more at the end: a worker that dies repeats at most that long's posts.
 */
class Checkpoint {
  private readonly settled: boolean[];
  private readonly indexOf = new Map<string, number>();
  private settledBelow: number;
  private counts: Record<Exclude<keyof DeliveryCounts, "recipients">, number> = { delivered: 0, gone: 0, failed: 0, throttled: 0 };
  private changed = false;
  private scheduled: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly connectionIds: readonly string[],
    progress: ShardProgress,
    private readonly write: (progress: ShardProgress, counts: Partial<DeliveryCounts>) => Promise<void>,
  ) {
    connectionIds.forEach((connectionId, index) => this.indexOf.set(connectionId, index));
    this.settled = connectionIds.map((_, index) => index < progress.settledBelow);
    for (const index of progress.settledAbove) this.settled[index] = true;
    this.settledBelow = progress.settledBelow;
  }

  isSettled(index: number): boolean {
    return this.settled[index] === true;
  }

  unsettled(): number {
    return this.settled.filter((settled) => !settled).length;
  }

  settle(connectionId: string, outcome: Settled): void {
    const index = this.indexOf.get(connectionId);
    if (index === undefined || this.settled[index]) return;
    this.settled[index] = true;
    this.counts[outcome] += 1;
    this.changed = true;
    this.scheduled ??= setTimeout(() => {
      this.scheduled = undefined;
      this.enqueueWrite({});
    }, checkpointIntervalMs);
  }

  /** Writes what is left, with `extra` counts; throws if any write failed (the attempt is then retried). */
  async flush(extra: Partial<DeliveryCounts>): Promise<void> {
    clearTimeout(this.scheduled);
    this.scheduled = undefined;
    this.changed = true;
    this.enqueueWrite(extra);
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueueWrite(extra: Partial<DeliveryCounts>): void {
    this.writing = this.writing
      .then(async () => {
        if (!this.changed) return;
        this.changed = false;
        while (this.settledBelow < this.settled.length && this.settled[this.settledBelow]) this.settledBelow += 1;
        const settledAbove: number[] = [];
        for (let index = this.settledBelow; index < this.settled.length; index += 1) if (this.settled[index]) settledAbove.push(index);
        const counts = { ...this.counts };
        this.counts = { delivered: 0, gone: 0, failed: 0, throttled: 0 };
        for (const [name, value] of Object.entries(extra)) counts[name as keyof typeof counts] += value ?? 0;
        await this.write({ settledBelow: this.settledBelow, settledAbove }, Object.fromEntries(Object.entries(counts).filter(([, value]) => value > 0)));
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }
}

/** Logs the fan-out's summary once it is done: once, whichever shard or planner gets there. */
async function finish(job: DeliveryJob, totals: FanOutTotals | undefined, { workers, summarize, now }: DeliveryDependencies): Promise<void> {
  if (totals && (await workers!.ledger.summarizing(job.id))) summarize({ job: job.id, audience: job.audience.kind, ...totals, durationMs: now().getTime() - job.startedAt });
}

function workersOf({ workers }: DeliveryDependencies): Workers {
  if (!workers) throw new Error("no deliver workers are configured");
  return workers;
}

async function* pages(connectionIds: readonly string[]): AsyncIterable<readonly string[]> {
  yield connectionIds;
}
