import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { deliverShard, dispatch, firstPage, handOver, maxContinuations, planShards, runTask, ShardBusy, type DeliveryDependencies, type FanOutSummary } from "../../../functions/core/delivery.js";
import type { DeliveryTask } from "../../../functions/core/ports.js";
import { forgetIn, InMemoryRecipients, InMemoryShardLedger, InMemoryStore, InMemoryTaskQueue, record, RecordingNotifier } from "../../support/in-memory.js";

async function system(connections: number, { shardSize = 4, postRateLimit = 1_000_000, remainingMs = 60_000 } = {}) {
  const store = new InMemoryStore();
  for (let i = 0; i < connections; i++) await store.save(record(`c${i}`, `user-${i % 3}`));
  const notifier = new RecordingNotifier();
  const queue = new InMemoryTaskQueue();
  const ledger = new InMemoryShardLedger();
  const summaries: FanOutSummary[] = [];
  let paced = 0;
  const dependencies: DeliveryDependencies = {
    recipients: new InMemoryRecipients({ connections: store }),
    fanOut: { forget: forgetIn(store), notifier, concurrency: 3 },
    shardSize,
    workers: { queue, ledger, pace: async () => ((paced += 1), true), postRateLimit },
    summarize: (summary) => summaries.push(summary),
    refused: () => undefined,
    now: () => new Date(),
  };
  const budget = { remainingMs: () => remainingMs };
  const run = (task: DeliveryTask) => runTask(task, dependencies, budget, forgetIn(store));
  const received = () => notifier.sent.map(([id]) => id).sort();
  const all = Array.from({ length: connections }, (_, i) => `c${i}`).sort();
  return { store, notifier, queue, ledger, summaries, dependencies, budget, run, received, all, paced: () => paced };
}

describe("dispatch", () => {
  it("delivers inline, unpaced, a fan-out that fits in one shard", async () => {
    const { dependencies, queue, received, all, paced } = await system(4);
    const dispatched = await dispatch({ kind: "everyone" }, "hi", dependencies);
    expect(dispatched).toMatchObject({ report: { recipients: 4, delivered: 4 } });
    expect(received()).toEqual(all);
    expect(queue.tasks).toEqual([]);
    expect(paced()).toBe(0);
  });

  it("hands a larger one to the workers, its first page as shard 0 and the rest to a planner, posting nothing itself", async () => {
    const { dependencies, queue, notifier } = await system(10);
    const dispatched = await dispatch({ kind: "everyone" }, "hi", dependencies);
    expect(dispatched).toEqual({ job: expect.any(String) });
    expect(notifier.attempts).toEqual([]);
    expect(queue.tasks.map((task) => [task.kind, "shard" in task ? task.shard : undefined])).toEqual([["shard", 0], ["plan", 1]]);
    expect(queue.tasks[0]).toMatchObject({ connectionIds: ["c0", "c1", "c2", "c3"], job: { frame: "hi", audience: { kind: "everyone" } } });
  });

  it("starts from a first page already read (firstPage, read while the frame is counted) without reading it again", async () => {
    const { dependencies, queue } = await system(10);
    const first = await firstPage({ kind: "everyone" }, dependencies);
    expect(first.connectionIds).toEqual(["c0", "c1", "c2", "c3"]);
    const pages: (string | undefined)[] = [];
    const { recipients } = dependencies;
    const counting = { ...dependencies, recipients: { page: (...args: Parameters<typeof recipients.page>) => (pages.push(args[2]), recipients.page(...args)) } };
    expect(await dispatch({ kind: "everyone" }, "hi", counting, first)).toEqual({ job: expect.any(String) });
    expect(pages).toEqual([]);
    expect(queue.tasks.map((task) => [task.kind, "shard" in task ? task.shard : undefined])).toEqual([["shard", 0], ["plan", 1]]);
    expect(queue.tasks[0]).toMatchObject({ connectionIds: first.connectionIds });
  });

  it("delivers everything inline when the queue refuses the first shard or the frame is too large to hand over: nothing is lost", async () => {
    for (const refuse of ["queue", "size"] as const) {
      const { dependencies, queue, received, all } = await system(10);
      if (refuse === "queue") queue.refuse = Object.assign(new Error("throttled"), { name: "TooManyRequestsException" });
      else queue.maxTaskBytes = 100;
      expect(await dispatch({ kind: "everyone" }, "hi", dependencies)).toMatchObject({ report: { recipients: 10, delivered: 10 } });
      expect(received()).toEqual(all);
    }
  });

  it("delivers the rest inline when the planner cannot be queued after the first shard was", async () => {
    const { dependencies, queue, received } = await system(10);
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (task) => {
      if (task.kind === "plan") throw new Error("refused");
      await enqueue(task);
    };
    expect(await dispatch({ kind: "everyone" }, "hi", dependencies)).toMatchObject({ report: { recipients: 6 } });
    expect(queue.tasks.map((task) => task.kind)).toEqual(["shard"]);
    expect(received()).toEqual(["c4", "c5", "c6", "c7", "c8", "c9"]);
  });
});

describe("the workers", () => {
  it("reach every recipient exactly once across shards, and summarize the fan-out once, after its last shard", async () => {
    const { dependencies, queue, run, received, all, summaries, paced } = await system(23);
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    await queue.drain(run);
    expect(received()).toEqual(all);
    expect(paced()).toBe(23);
    expect(summaries).toEqual([expect.objectContaining({ audience: "everyone", recipients: 23, delivered: 23, gone: 0, failed: 0, shards: 6 })]);
  });

  it("launch no shard sooner than the pace can serve it: shard n waits n shards' worth of posts at postRateLimit", async () => {
    const { dependencies, queue, run } = await system(12, { shardSize: 4, postRateLimit: 100 });
    const started = Date.now();
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    const launched: number[] = [];
    await queue.drain(async (task) => {
      if (task.kind === "shard") launched[task.shard] = Date.now() - started;
      await run(task);
    });
    // Shard 2 may not start before 2 × 4 posts at 100/s = 80 ms.
    expect(launched[2]).toBeGreaterThanOrEqual(75);
  });

  it("hand what their time cannot cover to a fresh invocation, which skips what was settled: nobody twice, nobody missed", async () => {
    const { dependencies, queue, notifier, received, all, summaries } = await system(8, { shardSize: 8 });
    // Two connections beyond one page: a planner would read them; here shard 0 alone is checked.
    const task: DeliveryTask = { kind: "shard", job: { id: "j", audience: { kind: "everyone" }, frame: "hi", startedAt: Date.now() }, shard: 0, connectionIds: all };
    let remaining = 10_000;
    const budget = { remainingMs: () => (notifier.attempts.length >= 3 ? (remaining = 1000) : remaining) };
    await deliverShard(task, dependencies, budget);
    // It made progress: the count towards giving up starts again.
    expect(queue.tasks).toEqual([{ ...task, continuation: 0 }]);
    const firstAttempt = notifier.sent.length;
    expect(firstAttempt).toBeGreaterThanOrEqual(3);
    expect(firstAttempt).toBeLessThan(8);
    await deliverShard(queue.tasks.shift() as Extract<DeliveryTask, { kind: "shard" }>, dependencies, { remainingMs: () => 10_000 });
    expect(received()).toEqual(all);
    await dependencies.workers!.ledger.planned("j", 1);
    expect(summaries).toHaveLength(0); // planned after the last shard: the planner's call reports it
    expect(await dependencies.workers!.ledger.planned("j", 1)).toMatchObject({ recipients: 8, delivered: 8, shards: 1 });
  });

  it("count what stays unsettled as failed after maxContinuations invocations in a row settled nothing, instead of going on forever", async () => {
    const { dependencies, queue, notifier, ledger, all } = await system(4);
    notifier.gone.add("c1");
    // A clean-up that never succeeds leaves the gone connection unsettled.
    const stuck = { ...dependencies, fanOut: { ...dependencies.fanOut, forget: async () => Promise.reject(new Error("no")) } };
    await queue.enqueue({ kind: "shard", job: { id: "stuck", audience: { kind: "everyone" }, frame: "hi", startedAt: Date.now() }, shard: 0, connectionIds: all });
    let attempts = 0;
    await queue.drain(async (task) => {
      attempts += 1;
      await deliverShard(task as Extract<DeliveryTask, { kind: "shard" }>, stuck, { remainingMs: () => 10_000 });
    });
    // The first attempt settles the three others; then maxContinuations attempts settle nothing.
    expect(attempts).toBe(1 + maxContinuations);
    expect(await ledger.planned("stuck", 1)).toEqual({ recipients: 4, delivered: 3, gone: 0, failed: 1, throttled: 0, shards: 1 });
  });

  it("refuse a second attempt at a shard another attempt holds (Lambda tries it later), and ignore one that is done", async () => {
    const { dependencies, ledger, notifier, all } = await system(4);
    const task: DeliveryTask = { kind: "shard", job: { id: "j", audience: { kind: "everyone" }, frame: "hi", startedAt: Date.now() }, shard: 0, connectionIds: all };
    await ledger.claim("j", 0, 4, Date.now() + 60_000, Date.now());
    await expect(deliverShard(task, dependencies, { remainingMs: () => 10_000 })).rejects.toBeInstanceOf(ShardBusy);
    await ledger.release("j", 0);
    await deliverShard(task, dependencies, { remainingMs: () => 10_000 });
    await deliverShard(task, dependencies, { remainingMs: () => 10_000 });
    expect(notifier.sent).toHaveLength(4);
  });

  it("a planner short of time hands its cursor to a fresh invocation instead of waiting past its end", async () => {
    const { dependencies, queue, run, received, all } = await system(12, { shardSize: 4, postRateLimit: 10 });
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    const plan = queue.tasks.find((task) => task.kind === "plan")!;
    const first = queue.tasks.find((task) => task.kind === "shard") as Extract<DeliveryTask, { kind: "shard" }>;
    queue.tasks.length = 0;
    // Shard 1 is due 400 ms after the start; 100 ms of budget cannot wait for it.
    await planShards(plan as Extract<DeliveryTask, { kind: "plan" }>, dependencies, { remainingMs: () => 100 });
    expect(queue.tasks).toEqual([plan]);
    await queue.drain(run);
    expect(received()).toEqual(all.filter((id) => !first.connectionIds.includes(id)));
  });

  it("keep each shard's recipients when the planner runs again (a retry, a duplicate) on an audience that changed meanwhile", async () => {
    const { dependencies, queue, run, store, notifier, summaries } = await system(20);
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    const plan = queue.tasks.find((task) => task.kind === "plan") as Extract<DeliveryTask, { kind: "plan" }>;
    await planShards(plan, dependencies, { remainingMs: () => 60_000 });
    const planned = queue.tasks.filter((task) => task.kind === "shard").map((task) => (task as Extract<DeliveryTask, { kind: "shard" }>).connectionIds);
    // Connections of the second and third shards close, which would shift every later page.
    for (const id of [...planned[1]!.slice(0, 2), ...planned[2]!.slice(0, 2)]) store.records.delete(id);
    await planShards(plan, dependencies, { remainingMs: () => 60_000 });
    const again = queue.tasks.filter((task) => task.kind === "shard").slice(planned.length).map((task) => (task as Extract<DeliveryTask, { kind: "shard" }>).connectionIds);
    expect(again).toEqual(planned.slice(1));
    await queue.drain(run);
    const reached = notifier.sent.map(([id]) => id);
    expect(new Set(reached).size).toBe(reached.length);
    expect(reached.sort()).toEqual(planned.flat().sort());
    expect(summaries).toHaveLength(1);
  });

  it("log the summary once, even when the attempt that completed the last shard ended before logging it", async () => {
    const { dependencies, queue, run, ledger, summaries } = await system(6, { shardSize: 4 });
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    const shard0 = queue.tasks.shift() as Extract<DeliveryTask, { kind: "shard" }>;
    await queue.drain(run);
    // Shard 0 delivered, marked complete, and the attempt died before its summary.
    await run(shard0).catch(() => undefined);
    summaries.length = 0;
    ledger.totals.get(shard0.job.id)!.summarized = false;
    await run(shard0);
    await run(shard0);
    expect(summaries).toEqual([expect.objectContaining({ recipients: 6, delivered: 6 })]);
  });

  it("stop every post of a shard when the pace fails, and release it for the retry", async () => {
    const { dependencies, notifier, ledger, all } = await system(30);
    let paced = 0;
    const failing = { ...dependencies, workers: { ...dependencies.workers!, pace: async () => (++paced > 5 ? Promise.reject(new Error("pace unavailable")) : true) } };
    const task: DeliveryTask = { kind: "shard", job: { id: "p", audience: { kind: "everyone" }, frame: "hi", startedAt: Date.now() }, shard: 0, connectionIds: all };
    await expect(deliverShard(task, failing, { remainingMs: () => 10_000 })).rejects.toThrow("pace unavailable");
    const attemptsAtFailure = notifier.attempts.length;
    await sleep(50);
    expect(notifier.attempts).toHaveLength(attemptsAtFailure);
    expect(attemptsAtFailure).toBeLessThanOrEqual(5);
    expect(await ledger.claim("p", 0, 30, Date.now() + 1000, Date.now())).toMatchObject({ state: "claimed" });
  });

  it("end gone connections once, and count them in the summary", async () => {
    const { dependencies, queue, run, notifier, store, summaries } = await system(10);
    notifier.gone.add("c1").add("c7");
    await dispatch({ kind: "everyone" }, "hi", dependencies);
    await queue.drain(run);
    expect(store.records.has("c1") || store.records.has("c7")).toBe(false);
    expect(summaries).toEqual([expect.objectContaining({ recipients: 10, delivered: 8, gone: 2 })]);
  });
});

describe("handOver", () => {
  it("queues the whole fan-out for the workers without reading a recipient, and delivers inline when they refuse", async () => {
    const { dependencies, queue, notifier, run, received, all } = await system(3);
    expect(await handOver({ kind: "everyone" }, "bye", dependencies)).toEqual({ job: expect.any(String) });
    expect(notifier.attempts).toEqual([]);
    await queue.drain(run);
    expect(received()).toEqual(all);

    queue.refuse = new Error("no");
    notifier.sent.length = 0;
    expect(await handOver({ kind: "everyone" }, "bye", dependencies)).toMatchObject({ report: { delivered: 3 } });
    expect(received()).toEqual(all);
  });
});
