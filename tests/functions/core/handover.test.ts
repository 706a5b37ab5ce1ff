import { describe, expect, it } from "vitest";
import { announceHandovers, handoverLeadMs } from "../../../functions/core/handover.js";
import { forgetIn, InMemoryStore, record, RecordingNotifier } from "../../support/in-memory.js";

describe("announceHandovers", () => {
  const limit = 7_200_000;
  const now = 10 * limit;

  it("tells each connection within 5 minutes of the 2-hour limit to reconnect, once, with when it closes", async () => {
    const store = new InMemoryStore();
    await store.save({ ...record("old"), connectedAt: now - limit + 4 * 60_000 });
    await store.save({ ...record("young"), connectedAt: now - limit + 6 * 60_000 });
    const notifier = new RecordingNotifier();

    expect(await announceHandovers(now, limit, { store, notifier, concurrency: 2, forget: forgetIn(store) })).toEqual({ told: 1, gone: 0, failed: 0 });
    expect(notifier.sent).toEqual([["old", JSON.stringify({ type: "reconnect", reason: "connection-limit", closeAt: new Date(now + 4 * 60_000).toISOString() })]]);
    expect(await announceHandovers(now + 30_000, limit, { store, notifier, concurrency: 2, forget: forgetIn(store) })).toEqual({ told: 0, gone: 0, failed: 0 });
    expect(notifier.sent).toHaveLength(1);
  });

  it("forgets a connection found gone, and counts failures without stopping", async () => {
    const store = new InMemoryStore();
    for (const id of ["gone", "failing", "fine"]) await store.save({ ...record(id), connectedAt: 0 });
    const notifier = new RecordingNotifier();
    notifier.gone.add("gone");
    notifier.failing.set("failing", new Error("boom"));
    expect(await announceHandovers(now, limit, { store, notifier, concurrency: 3, forget: forgetIn(store) })).toEqual({ told: 1, gone: 1, failed: 1 });
    expect([...store.records.keys()].sort()).toEqual(["failing", "fine"]);
  });

  it("leads by a quarter of a limit shorter than 20 minutes", () => {
    expect(handoverLeadMs(7_200_000)).toBe(300_000);
    expect(handoverLeadMs(8000)).toBe(2000);
  });
});
