/** The connection store against dynalite: each conditional write changes a record only where its condition holds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbRecipients } from "../../../functions/adapters/dynamodb-recipients.js";
import { createDynamoDbStore } from "../../../functions/adapters/dynamodb-store.js";
import { recipientPages } from "../../../functions/core/delivery.js";
import { handshakeGraceMs, type ConnectionRecord, type ConnectionStore } from "../../../functions/core/ports.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "../../support/dynalite.js";

let dynamo: LocalDynamoDb;
let store: ConnectionStore;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  store = createDynamoDbStore({ client: dynamo.client, tableName: testTables.connectionsTableName, userIndexName: testTables.userIndexName });
});
afterAll(() => dynamo?.close());

const record = (connectionId: string, connectedAt = Date.now()): ConnectionRecord => ({
  connectionId,
  userId: `user-of-${connectionId}`,
  username: connectionId,
  connectedAt,
  tokenExpiresAt: 1_800_000_000,
  groups: ["readers"],
  ttl: 2_000_000_000,
});

const collect = async <T>(pages: AsyncIterable<readonly T[]>) => {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
};

/** Every stored connection id, as a broadcast reads them. */
const allConnectionIds = async () => {
  const recipients = createDynamoDbRecipients({ client: dynamo.client, ...testTables });
  const items: string[] = [];
  for await (const page of recipientPages(recipients, { kind: "everyone" }, 100, new Date())) items.push(...page);
  return items;
};

describe("removeStale", () => {
  it("removes a record older than the handshake grace, keeps a younger one, and takes a gone one in its stride", async () => {
    await store.save(record("stale", Date.now() - handshakeGraceMs - 1000));
    await store.save(record("young"));
    await store.removeStale("stale");
    await store.removeStale("young");
    await store.removeStale("never-stored");
    const ids = (await allConnectionIds()).filter((id) => id === "stale" || id === "young");
    expect(ids).toEqual(["young"]);
  });
});

describe("reauthenticate", () => {
  it("replaces the expiry and groups of the same user's connection, and changes nothing for another user or a gone record", async () => {
    await store.save(record("reauth"));
    expect(await store.reauthenticate("reauth", "someone-else", 1_900_000_000, ["admins"])).toBe(false);
    expect(await store.groupsOf("reauth")).toEqual(["readers"]);
    expect(await store.reauthenticate("reauth", "user-of-reauth", 1_900_000_000, ["admins"])).toBe(true);
    expect(await store.groupsOf("reauth")).toEqual(["admins"]);
    expect(await collect(store.expiredConnectionIds(1_850_000_000))).not.toContain("reauth");
    expect(await store.reauthenticate("never-stored", "user-of-never-stored", 1_900_000_000, [])).toBe(false);
    expect(await allConnectionIds()).not.toContain("never-stored");
  });
});

describe("markHandover", () => {
  it("marks a connection once, after which it is no longer due; never a gone one", async () => {
    const connectedAt = Date.now() - 3_600_000;
    await store.save(record("handover", connectedAt));
    const due = async () => (await collect(store.dueForHandover(Date.now()))).filter((entry) => entry.connectionId === "handover");
    expect(await due()).toEqual([{ connectionId: "handover", connectedAt }]);
    expect(await store.markHandover("handover", Date.now())).toBe(true);
    expect(await store.markHandover("handover", Date.now())).toBe(false);
    expect(await due()).toEqual([]);
    expect(await store.markHandover("never-stored", Date.now())).toBe(false);
    expect(await allConnectionIds()).not.toContain("never-stored");
  });
});

describe("remove", () => {
  it("deletes the record: its groups are then none", async () => {
    await store.save(record("removed"));
    await store.remove("removed");
    expect(await store.groupsOf("removed")).toEqual([]);
    expect(await allConnectionIds()).not.toContain("removed");
  });
});
