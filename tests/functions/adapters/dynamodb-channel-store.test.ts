/** The channel store against dynalite: atomic seqs, expiry left out of reads, cleanup by connection. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbChannelStore } from "../../../functions/adapters/dynamodb-channel-store.js";
import { createDynamoDbRecipients } from "../../../functions/adapters/dynamodb-recipients.js";
import { recipientPages } from "../../../functions/core/delivery.js";
import type { ChannelStore } from "../../../functions/core/ports.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "../../support/dynalite.js";

let dynamo: LocalDynamoDb;
let store: ChannelStore;
const now = 1_800_000_000;
const live = now + 3600;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  store = createDynamoDbChannelStore({
    client: dynamo.client,
    subscriptionsTableName: testTables.subscriptionsTableName,
    messagesTableName: testTables.channelMessagesTableName,
    pageSize: 4,
  });
});
afterAll(() => dynamo?.close());

/** A channel's subscribed connection ids, as its fan-out reads them (4 per page). */
const subscriberIds = async (channel: string, nowSeconds: number) => {
  const recipients = createDynamoDbRecipients({ client: dynamo.client, ...testTables });
  const ids: string[] = [];
  for await (const page of recipientPages(recipients, { kind: "channel", channel }, 4, new Date(nowSeconds * 1000))) ids.push(...page);
  return ids.sort();
};

describe("seqs", () => {
  it("never gives two concurrent publishers the same seq: each channel counts 1, 2, 3, … with no gap", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), async (publishers) => {
        const channel = `public/seq-${run++}`;
        const seqs = (await Promise.all(publishers.map((count) => Promise.all(Array.from({ length: count }, () => store.nextSeq(channel)))))).flat();
        const total = publishers.reduce((sum, count) => sum + count, 0);
        expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expect(await store.latestSeq(channel)).toBe(total);
      }),
      { numRuns: 15 },
    );
    expect(await store.latestSeq("public/never-used")).toBe(0);
  });
});

describe("history", () => {
  it("returns the retained messages of a range in seq order, leaving out expired ones", async () => {
    const channel = "public/history";
    for (const seq of [1, 2, 3, 4, 5]) await store.saveMessage(channel, { seq, frame: `m${seq}` }, seq === 3 ? now - 1 : live);
    expect(await store.messages(channel, 1, 5, now)).toEqual([2, 4, 5].map((seq) => ({ seq, frame: `m${seq}` })));
    expect(await store.messages(channel, 3, 4, now)).toEqual([{ seq: 4, frame: "m4" }]);
    // The counter item (seq 0) is never a message.
    await store.nextSeq(channel);
    expect(await store.messages(channel, -1, 0, now)).toEqual([]);
  });
});

describe("subscriptions", () => {
  const subscription = (channel: string, connectionId: string, userId: string, ttl = live) => ({ channel, connectionId, userId, username: `${userId}-name`, ttl });

  it("finds them by channel and by user, leaving out expired ones, and lists each member once", async () => {
    await store.subscribe(subscription("public/s", "c1", "u1"));
    await store.subscribe(subscription("public/s", "c2", "u1"));
    await store.subscribe(subscription("public/s", "c3", "u2"));
    await store.subscribe(subscription("public/s", "c4", "u3", now - 1));
    await store.subscribe(subscription("public/other", "c5", "u1"));

    expect(await subscriberIds("public/s", now)).toEqual(["c1", "c2", "c3"]);
    expect((await store.members("public/s", now)).sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: "u1", username: "u1-name" },
      { userId: "u2", username: "u2-name" },
    ]);
    expect(await store.hasOtherSubscription("public/s", "u1", "c1", now)).toBe(true);
    expect(await store.hasOtherSubscription("public/s", "u2", "c3", now)).toBe(false);
    expect(await store.hasOtherSubscription("public/s", "u3", "c9", now)).toBe(false);
    // A user id that prefixes another's does not count as the same user.
    await store.subscribe(subscription("public/s", "c6", "u1x"));
    expect(await store.hasOtherSubscription("public/s", "u1", "c1", now)).toBe(true);
    await store.unsubscribe("public/s", "u1", "c2");
    expect(await store.hasOtherSubscription("public/s", "u1", "c1", now)).toBe(false);
  });

  it("says whether an unsubscribe removed anything", async () => {
    await store.subscribe(subscription("public/u", "c1", "u1"));
    expect(await store.unsubscribe("public/u", "u1", "c1")).toBe(true);
    expect(await store.unsubscribe("public/u", "u1", "c1")).toBe(false);
  });

  it("removes every subscription of a connection, past one batch, and returns them", async () => {
    const channels = Array.from({ length: 30 }, (_, i) => `public/many-${i}`);
    for (const channel of channels) await store.subscribe(subscription(channel, "busy", "u9"));
    await store.subscribe(subscription(channels[0]!, "calm", "u9"));
    expect((await store.channelsOf("busy")).sort()).toEqual([...channels].sort());

    const removed = await store.removeConnection("busy");
    expect(removed.map((item) => item.channel).sort()).toEqual([...channels].sort());
    expect(removed[0]).toMatchObject({ connectionId: "busy", userId: "u9", username: "u9-name" });
    expect(await store.channelsOf("busy")).toEqual([]);
    expect(await subscriberIds(channels[0]!, now)).toEqual(["calm"]);
  });
});
