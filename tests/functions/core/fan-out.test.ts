import { describe, expect, it } from "vitest";
import { closeAll, fanOut } from "../../../functions/core/fan-out.js";
import { forgetIn, InMemoryStore, record, RecordingNotifier } from "../../support/in-memory.js";

async function storeWith(count: number, pageSize = 3) {
  const store = new InMemoryStore(pageSize);
  for (let i = 0; i < count; i++) await store.save(record(`c${i}`));
  return store;
}

describe("fanOut", () => {
  it("delivers to every id of every page", async () => {
    const store = await storeWith(10);
    const notifier = new RecordingNotifier();
    const report = await fanOut(store.allConnectionIds(), "hi", { forget: forgetIn(store), notifier, concurrency: 4 });
    expect(notifier.sent.map(([id]) => id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`).sort());
    expect(notifier.sent.every(([, data]) => data === "hi")).toBe(true);
    expect(report).toEqual({ recipients: 10, delivered: 10, gone: 0, failed: 0, throttled: 0, errors: {} });
  });

  it("keeps exactly the configured number of posts in flight, not one, not all", async () => {
    const store = await storeWith(40, 7);
    const notifier = new RecordingNotifier();
    await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 5 });
    expect(notifier.peakInFlight).toBe(5);
  });

  it("removes the records of gone connections", async () => {
    const store = await storeWith(5);
    const notifier = new RecordingNotifier();
    notifier.gone.add("c1").add("c3");
    const report = await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 2 });
    expect([...store.records.keys()].sort()).toEqual(["c0", "c2", "c4"]);
    expect(report).toMatchObject({ recipients: 5, delivered: 3, gone: 2, failed: 0 });
  });

  it("counts failures by error name and goes on", async () => {
    const store = await storeWith(6);
    const notifier = new RecordingNotifier();
    notifier.failing.set("c0", Object.assign(new Error("boom"), { name: "LimitExceededException" }));
    notifier.failing.set("c4", Object.assign(new Error("boom"), { name: "LimitExceededException" }));
    const report = await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 3 });
    expect(report).toEqual({ recipients: 6, delivered: 4, gone: 0, failed: 2, throttled: 0, errors: { LimitExceededException: 2 } });
    expect(store.records.size).toBe(6);
  });

  it("counts a stale record it could not remove as failed, not gone", async () => {
    const store = await storeWith(2);
    store.removeStale = async () => {
      throw Object.assign(new Error("throttled"), { name: "ProvisionedThroughputExceededException" });
    };
    const notifier = new RecordingNotifier();
    notifier.gone.add("c1");
    const report = await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 2 });
    expect(report).toMatchObject({ delivered: 1, gone: 0, failed: 1, errors: { ProvisionedThroughputExceededException: 1 } });
  });

  it("sends a throttled post again after a pause, never drops it, and counts each refusal", async () => {
    const store = await storeWith(4);
    const notifier = new RecordingNotifier();
    notifier.throttling.set("c1", 2).set("c2", 1);
    const report = await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 2 });
    expect(notifier.sent.map(([id]) => id).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    expect(report).toMatchObject({ recipients: 4, delivered: 4, throttled: 3, failed: 0 });
    expect(notifier.attempts.filter((id) => id === "c1")).toHaveLength(3);
  });

  it("starts no post once told to stop, and settles only what it finished: delivered and failed at once, gone once forgotten", async () => {
    const store = await storeWith(9);
    const notifier = new RecordingNotifier();
    notifier.gone.add("c0");
    notifier.failing.set("c1", new Error("boom"));
    const settled: string[] = [];
    let forgottenBeforeSettled = false;
    const forget = async (ids: readonly string[]) => {
      forgottenBeforeSettled = !settled.some((id) => ids.includes(id));
      await forgetIn(store)(ids);
    };
    const report = await fanOut(store.allConnectionIds(), "x", { forget, notifier, concurrency: 1 }, {
      settled: (id) => settled.push(id),
      stopping: () => notifier.attempts.length >= 5,
    });
    expect(notifier.attempts).toHaveLength(5);
    expect(settled.sort()).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    expect(forgottenBeforeSettled).toBe(true);
    expect(report).toMatchObject({ recipients: 5, delivered: 3, gone: 1, failed: 1 });
  });

  it("waits for the pace before every post", async () => {
    const store = await storeWith(6);
    const notifier = new RecordingNotifier();
    let paced = 0;
    const pace = async () => {
      expect(notifier.attempts).toHaveLength(paced);
      paced += 1;
      return true;
    };
    await fanOut(store.allConnectionIds(), "x", { forget: forgetIn(store), notifier, concurrency: 1 }, { pace });
    expect(paced).toBe(6);
  });

  it("starts posting before the last page is read", async () => {
    const notifier = new RecordingNotifier();
    let sentWhenLastPageRequested = -1;
    async function* pages() {
      yield ["a", "b"];
      yield ["c", "d"];
      await new Promise((resolve) => setTimeout(resolve, 20));
      sentWhenLastPageRequested = notifier.sent.length;
      yield ["e"];
    }
    await fanOut(pages(), "x", { forget: forgetIn(new InMemoryStore()), notifier, concurrency: 2 });
    expect(sentWhenLastPageRequested).toBeGreaterThan(0);
    expect(notifier.sent).toHaveLength(5);
  });
});

describe("closeAll", () => {
  it("closes only what the pages yield, and removes the records of connections already gone", async () => {
    const store = new InMemoryStore(2);
    for (const [id, expires] of [["old1", 100], ["old2", 150], ["fresh", 10_000], ["old3", 199]] as const) {
      await store.save(record(id, "u", expires));
    }
    const notifier = new RecordingNotifier();
    notifier.gone.add("old2");
    const report = await closeAll(store.expiredConnectionIds(200), { forget: forgetIn(store), notifier, concurrency: 2 });
    expect(notifier.closed.sort()).toEqual(["old1", "old3"]);
    expect(notifier.sent).toEqual([]);
    expect(report).toMatchObject({ recipients: 3, delivered: 2, gone: 1, failed: 0 });
    expect([...store.records.keys()].sort()).toEqual(["fresh", "old1", "old3"]);
  });
});
