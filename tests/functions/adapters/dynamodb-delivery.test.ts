/** The deliver workers' DynamoDB adapters against dynalite: recipients by cursor, the shard ledger, the shared pace. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbPace, createDynamoDbShardLedger } from "../../../functions/adapters/dynamodb-delivery-ledger.js";
import { createDynamoDbRecipients } from "../../../functions/adapters/dynamodb-recipients.js";
import { createDynamoDbChannelStore } from "../../../functions/adapters/dynamodb-channel-store.js";
import { createDynamoDbStore } from "../../../functions/adapters/dynamodb-store.js";
import type { Audience, Recipients } from "../../../functions/core/ports.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "../../support/dynalite.js";

let dynamo: LocalDynamoDb;
let recipients: Recipients;
const now = 1_800_000_000;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  recipients = createDynamoDbRecipients({ client: dynamo.client, ...testTables });
  const store = createDynamoDbStore({ client: dynamo.client, tableName: testTables.connectionsTableName, userIndexName: testTables.userIndexName });
  const channels = createDynamoDbChannelStore({ client: dynamo.client, subscriptionsTableName: testTables.subscriptionsTableName, messagesTableName: testTables.channelMessagesTableName });
  for (let i = 0; i < 11; i++) {
    const connectionId = `r${String(i).padStart(2, "0")}`;
    const userId = i < 3 ? "ann" : `user-${i}`;
    await store.save({ connectionId, userId, username: userId, connectedAt: 0, tokenExpiresAt: now + 60, groups: [], ttl: now + 60 });
    // One subscription expired: DynamoDB deletes it lazily, the fan-out must not reach it.
    await channels.subscribe({ channel: "public/r", connectionId, userId, username: userId, ttl: i === 5 ? now - 1 : now + 60 });
  }
});
afterAll(() => dynamo?.close());

async function pages(audience: Audience, limit: number) {
  const read: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await recipients.page(audience, limit, cursor, now);
    read.push([...page.connectionIds]);
    cursor = page.next;
    // The cursor travels in a task: plain text.
    if (cursor !== undefined) expect(typeof JSON.parse(JSON.stringify(cursor))).toBe("string");
  } while (cursor !== undefined);
  return read;
}

describe("recipients", () => {
  it("reads every connection a page of at most `limit` at a time, each once, resuming from the cursor", async () => {
    const read = await pages({ kind: "everyone" }, 4);
    expect(read.every((page) => page.length <= 4)).toBe(true);
    const ids = read.flat().filter((id) => id.startsWith("r"));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: 11 }, (_, i) => `r${String(i).padStart(2, "0")}`));
  });

  it("reads one user's connections by its index", async () => {
    expect((await pages({ kind: "user", userId: "ann" }, 2)).flat().sort()).toEqual(["r00", "r01", "r02"]);
  });

  it("reads a channel's live subscribers, leaving out the expired one and the excepted one", async () => {
    const ids = (await pages({ kind: "channel", channel: "public/r", except: "r07" }, 3)).flat().sort();
    expect(ids).toEqual(["r00", "r01", "r02", "r03", "r04", "r06", "r08", "r09", "r10"]);
  });
});

describe("the shard ledger", () => {
  it("leases a shard to one attempt at a time, keeps what it settled for the next, and counts it done once", async () => {
    const ledger = createDynamoDbShardLedger({ client: dynamo.client, tableName: testTables.deliveriesTableName });
    const t = Date.now();
    expect(await ledger.claim("job-1", 0, 5, t + 10_000, t)).toEqual({ state: "claimed", progress: { settledBelow: 0, settledAbove: [] } });
    expect(await ledger.claim("job-1", 0, 5, t + 10_000, t + 1)).toEqual({ state: "busy" });
    await ledger.record("job-1", 0, { settledBelow: 1, settledAbove: [3] }, { delivered: 1, gone: 1 });
    await ledger.record("job-1", 0, { settledBelow: 2, settledAbove: [3] }, { delivered: 1 });
    await ledger.release("job-1", 0);
    expect(await ledger.claim("job-1", 0, 5, t + 10_000, t + 2)).toEqual({ state: "claimed", progress: { settledBelow: 2, settledAbove: [3] } });
    await ledger.record("job-1", 0, { settledBelow: 5, settledAbove: [] }, { delivered: 1, throttled: 2, failed: 1 });
    // Not planned yet: no totals.
    expect(await ledger.complete("job-1", 0)).toBeUndefined();
    expect(await ledger.claim("job-1", 0, 5, t + 10_000, t + 3)).toEqual({ state: "complete" });
    expect(await ledger.claim("job-1", 1, 2, t + 10_000, t + 3)).toMatchObject({ state: "claimed" });
    await ledger.record("job-1", 1, { settledBelow: 2, settledAbove: [] }, { delivered: 1, failed: 1 });
    expect(await ledger.planned("job-1", 2)).toBeUndefined();
    // Completing shard 0 again (a retry after a crash) does not make shard 1 done.
    expect(await ledger.complete("job-1", 0)).toBeUndefined();
    const totals = { recipients: 7, delivered: 4, gone: 1, failed: 2, throttled: 2, shards: 2 };
    expect(await ledger.complete("job-1", 1)).toEqual(totals);
    expect(await ledger.complete("job-1", 1)).toEqual(totals);
    expect([await ledger.summarizing("job-1"), await ledger.summarizing("job-1")]).toEqual([true, false]);
  });

  it("records each shard's recipients as first planned: a later planner gets that record, not its own reading", async () => {
    const ledger = createDynamoDbShardLedger({ client: dynamo.client, tableName: testTables.deliveriesTableName });
    const first = await ledger.plan("job-3", 1, async () => ({ connectionIds: ["a", "b"], next: "cursor-2" }));
    expect(first).toEqual({ connectionIds: ["a", "b"], next: "cursor-2" });
    expect(await ledger.plan("job-3", 1, async () => ({ connectionIds: ["b", "c"] }))).toEqual(first);
    // The last page has no next; an empty one ends the plan.
    expect(await ledger.plan("job-3", 2, async () => ({ connectionIds: [] }))).toEqual({ connectionIds: [] });
    expect(await ledger.plan("job-3", 2, async () => ({ connectionIds: ["late"] }))).toEqual({ connectionIds: [] });
  });

  it("an expired lease can be taken over (the attempt holding it died)", async () => {
    const ledger = createDynamoDbShardLedger({ client: dynamo.client, tableName: testTables.deliveriesTableName });
    const t = Date.now();
    await ledger.claim("job-2", 0, 1, t + 100, t);
    expect(await ledger.claim("job-2", 0, 1, t + 10_000, t + 101)).toMatchObject({ state: "claimed" });
  });
});

describe("the pace", () => {
  it("lets all its users together make at most the rate in any one second", async () => {
    const shared = { client: dynamo.client, tableName: testTables.deliveriesTableName, ratePerSecond: 40, claim: 10 };
    // Two workers of one pace table, as two Lambda instances.
    const workers = [createDynamoDbPace(shared), createDynamoDbPace(shared)];
    const stamps: number[] = [];
    await Promise.all(
      workers.map(async (pace) => {
        for (let i = 0; i < 50; i++) {
          await pace();
          stamps.push(Math.floor(Date.now() / 1000));
        }
      }),
    );
    const perSecond = new Map<number, number>();
    for (const second of stamps) perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    expect(stamps).toHaveLength(100);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(40);
    expect(perSecond.size).toBeGreaterThanOrEqual(3);
  });

  it("stops waiting for the next second when its caller's time is up", async () => {
    const pace = createDynamoDbPace({ client: dynamo.client, tableName: testTables.deliveriesTableName, ratePerSecond: 1, claim: 1 });
    const second = Math.floor(Date.now() / 1000);
    expect(await pace()).toBe(true);
    let asked = 0;
    // The second's one request is spent: instead of waiting for the next, it gives up when told.
    const answer = await pace(() => ++asked > 1);
    expect(answer === false || Math.floor(Date.now() / 1000) > second).toBe(true);
  });
});
