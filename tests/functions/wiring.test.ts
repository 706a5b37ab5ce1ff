/** The messaging system's wiring: who ends the connections a fan-out finds gone. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbStore } from "../../functions/adapters/dynamodb-store.js";
import type { DeliveryTask } from "../../functions/core/ports.js";
import { createMessaging, type MessagingOptions } from "../../functions/wiring.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "../support/dynalite.js";
import { InMemoryShardLedger, InMemoryTaskQueue, RecordingNotifier } from "../support/in-memory.js";

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startDynamoDb();
});
afterAll(() => dynamo?.close());

function messaging(queue?: InMemoryTaskQueue) {
  const options: MessagingOptions = {
    dynamodb: dynamo.client,
    notifier: Object.assign(new RecordingNotifier(), { destroy: () => undefined }),
    tables: testTables,
    policy: { rules: [], historySeconds: 0, replayLimit: 0, maxSubscriptionsPerConnection: 0 },
    concurrency: 2,
    shardSize: 10,
    ...(queue ? { workers: { queue, ledger: new InMemoryShardLedger(), pace: async () => true, postRateLimit: 100 } } : {}),
  };
  return createMessaging(options);
}

const stale = (connectionId: string) => ({ connectionId, userId: "u", username: "u", connectedAt: 0, tokenExpiresAt: 0, groups: [], ttl: 2_000_000_000 });

describe("connections a fan-out found gone", () => {
  it("are handed to the workers as a task, and ended by it; without workers, or when they refuse, ended at once", async () => {
    const store = createDynamoDbStore({ client: dynamo.client, tableName: testTables.connectionsTableName, userIndexName: testTables.userIndexName });
    for (const id of ["g1", "g2", "g3"]) await store.save(stale(id));

    const stored = async () => {
      const ids: string[] = [];
      for await (const page of store.expiredConnectionIds(1_000_000_000)) ids.push(...page);
      return ids.filter((id) => id.startsWith("g")).sort();
    };

    const queue = new InMemoryTaskQueue();
    const withWorkers = messaging(queue);
    await withWorkers.fanOutDependencies.forget(["g1"]);
    expect(queue.tasks).toEqual([{ kind: "forget", connectionIds: ["g1"] } satisfies DeliveryTask]);
    expect(await stored()).toEqual(["g1", "g2", "g3"]);
    await withWorkers.endGone(["g1"]);
    expect(await stored()).toEqual(["g2", "g3"]);

    queue.refuse = new Error("throttled");
    await withWorkers.fanOutDependencies.forget(["g2"]);
    await messaging().fanOutDependencies.forget(["g3"]);
    expect(await stored()).toEqual([]);
  });
});
