/**
 * The connection and message handlers with the real adapters: DynamoDB on dynalite and the
 * management API on a local endpoint that answers like API Gateway (200, or 410 GoneException).
 */
import { GetCommand, BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import pMap from "p-map";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testTables, type LocalDynamoDb } from "../../support/dynalite.js";
import { connectEvent, disconnectEvent, messageEvent, newConnectionId } from "../../support/events.js";
import { captureLogs } from "../../support/logs.js";
import type { ManagementStub } from "../../support/management-stub.js";
import { loadMessagingHandlers, type Handler, type MessagingFixture } from "../../support/messaging-handlers.js";

const names = ["connect", "disconnect", "default", "sendmessage", "sendtouser", "whoami"] as const;

let dynamo: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
let management: ManagementStub;
let handlers: Record<(typeof names)[number], Handler>;
let fixture: MessagingFixture<(typeof names)[number]>;

const alice = { userId: "a1a1a1a1-0000-4000-8000-000000000001", username: "alice", tokenExpiresAt: "4102444800", email: "alice@example.com" };
const bob = { userId: "b2b2b2b2-0000-4000-8000-000000000002", username: "bob", tokenExpiresAt: "4102444800" };

beforeAll(async () => {
  fixture = await loadMessagingHandlers(names, { POST_CONCURRENCY: "16", POWERTOOLS_LOG_LEVEL: "INFO" });
  ({ dynamo, management, handlers } = fixture);
  documents = DynamoDBDocumentClient.from(dynamo.client);
});
afterAll(() => fixture?.close());
beforeEach(async () => {
  management.received.clear();
  management.gone.clear();
  management.failing.clear();
  management.delayMs = 0;
  await removeEveryRecord();
});

async function removeEveryRecord() {
  const { Items = [] } = await documents.send(new ScanCommand({ TableName: testTables.connectionsTableName }));
  await pMap(
    chunks(Items, 25),
    (items) => documents.send(new BatchWriteCommand({
      RequestItems: { [testTables.connectionsTableName]: items.map((item) => ({ DeleteRequest: { Key: { connectionId: item.connectionId } } })) },
    })),
    { concurrency: 4 },
  );
}

async function connect(user: Record<string, string>, headers: Record<string, string> = {}) {
  const connectionId = newConnectionId();
  const result = await handlers.connect(connectEvent(connectionId, user, headers));
  return { connectionId, result };
}

/** A connection opened a minute ago: past the handshake grace, so a 410 means it is gone. */
async function connectedEarlier(user: Record<string, string>) {
  const connectionId = newConnectionId();
  const event = connectEvent(connectionId, user);
  await handlers.connect({ ...event, requestContext: { ...event.requestContext, connectedAt: Date.now() - 60_000 } });
  return { connectionId };
}

const record = async (connectionId: string) =>
  (await documents.send(new GetCommand({ TableName: testTables.connectionsTableName, Key: { connectionId } }))).Item;
const framesTo = (connectionId: string) => management.received.get(connectionId) ?? [];

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

describe("$connect", () => {
  it("records the connection with its user, token expiry and TTL", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { connectionId, result } = await connect(alice);
    expect(result).toEqual({ statusCode: 200 });
    const item = await record(connectionId);
    expect(item).toMatchObject({ connectionId, userId: alice.userId, username: "alice", tokenExpiresAt: 4102444800 });
    expect(item?.connectedAt).toBeGreaterThanOrEqual(before * 1000);
    expect(item?.ttl).toBeGreaterThanOrEqual(before + 7200);
  });

  it("selects the application subprotocol, not the token, when both were offered", async () => {
    const { result } = await connect(alice, { "Sec-WebSocket-Protocol": "json, aaa.bbb.ccc" });
    expect(result).toEqual({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "json" } });
  });

  it("refuses (401, not 500) an identity whose token expiry no record could keep, and writes nothing", async () => {
    for (const tokenExpiresAt of ["1e+20", "100000000000000000000"]) {
      const { connectionId, result } = await connect({ ...alice, tokenExpiresAt });
      expect(result.statusCode, tokenExpiresAt).toBe(401);
      expect(await record(connectionId)).toBeUndefined();
    }
  });

  it("refuses a connection without authorizer identity", async () => {
    const result = await handlers.connect({ ...connectEvent(newConnectionId(), alice), requestContext: { ...connectEvent("x", alice).requestContext, authorizer: undefined } });
    expect(result.statusCode).toBe(401);
  });
});

describe("$disconnect", () => {
  it("deletes the record", async () => {
    const { connectionId } = await connect(alice);
    await handlers.disconnect(disconnectEvent(connectionId, alice));
    expect(await record(connectionId)).toBeUndefined();
  });
});

describe("$default", () => {
  it("echoes the frame unchanged", async () => {
    const { connectionId } = await connect(alice);
    const frame = '{"hello":"world", "n": 1}  ';
    await handlers.default(messageEvent(connectionId, "$default", frame, alice));
    expect(framesTo(connectionId)).toEqual([frame]);
  });
});

describe("a reply that meets 410 GoneException", () => {
  it.each(["default", "whoami"] as const)("%s removes the stale record (its role may DeleteItem for this)", async (route) => {
    const { connectionId } = await connectedEarlier(alice);
    management.gone.add(connectionId);
    await handlers[route](messageEvent(connectionId, route === "default" ? "$default" : route, '{"action":"whoami"}', alice));
    expect(await record(connectionId)).toBeUndefined();
  });
});

describe("whoami", () => {
  it("tells the sender who it is", async () => {
    const { connectionId } = await connect(alice);
    await handlers.whoami(messageEvent(connectionId, "whoami", '{"action":"whoami"}', alice));
    expect(framesTo(connectionId).map((frame) => JSON.parse(frame))).toEqual([{ connectionId, userId: alice.userId, username: "alice" }]);
  });
});

describe("sendmessage", () => {
  it("delivers a string as-is and other data as JSON to everyone, the sender included", async () => {
    const [a1, a2, b1] = [await connect(alice), await connect(alice), await connect(bob)];
    await handlers.sendmessage(messageEvent(a1.connectionId, "sendmessage", '{"action":"sendmessage","data":"hello world"}', alice));
    await handlers.sendmessage(messageEvent(b1.connectionId, "sendmessage", '{"action":"sendmessage","data":{"n":[1,2]}}', bob));
    for (const { connectionId } of [a1, a2, b1]) expect(framesTo(connectionId)).toEqual(["hello world", '{"n":[1,2]}']);
  });

  it("removes stale connections that answer 410 GoneException, keeps the rest", async () => {
    const [live, stale, opening] = [await connect(alice), await connectedEarlier(bob), await connect(bob)];
    management.gone.add(stale.connectionId).add(opening.connectionId);
    await handlers.sendmessage(messageEvent(live.connectionId, "sendmessage", '{"action":"sendmessage","data":"hi"}', alice));
    expect(await record(stale.connectionId)).toBeUndefined();
    expect(await record(live.connectionId)).toBeDefined();
    // API Gateway answers 410 while a handshake is finishing too: a record that young stays.
    expect(await record(opening.connectionId)).toBeDefined();
    expect(framesTo(live.connectionId)).toEqual(["hi"]);
  });

  it("still delivers to the rest when some posts fail, and logs the counts", async () => {
    const connections = await Promise.all(Array.from({ length: 6 }, () => connect(alice)));
    const [sender, broken, stale] = connections as [typeof connections[0], typeof connections[0], typeof connections[0]];
    management.failing.add(broken.connectionId);
    management.gone.add(stale.connectionId);
    const logs = captureLogs();
    try {
      await handlers.sendmessage(messageEvent(sender.connectionId, "sendmessage", '{"action":"sendmessage","data":"x"}', alice));
    } finally {
      logs.restore();
    }
    expect(connections.filter(({ connectionId }) => framesTo(connectionId).length === 1)).toHaveLength(4);
    expect(await record(broken.connectionId)).toBeDefined();
    expect(logs.records().find((line) => line.message === "broadcast")).toMatchObject({
      recipients: 6, delivered: 4, gone: 1, failed: 1, errors: { InternalServerErrorException: 1 },
    });
  });

  it("reaches every record across several 1 MB Scan pages, with bounded concurrency", { timeout: 120_000 }, async () => {
    // dynalite cuts Scan pages at 1 MB like DynamoDB; ~100-byte records need > 10,000 for two pages.
    const count = 12_000;
    const ids = Array.from({ length: count }, () => newConnectionId());
    const now = Date.now();
    await pMap(
      chunks(ids, 25),
      (batch) => documents.send(new BatchWriteCommand({
        RequestItems: {
          [testTables.connectionsTableName]: batch.map((connectionId) => ({
            PutRequest: { Item: { connectionId, userId: bob.userId, username: "bob", connectedAt: now, tokenExpiresAt: 4102444800, ttl: 4102444800 } },
          })),
        },
      })),
      { concurrency: 8 },
    );
    const firstPage = await documents.send(new ScanCommand({ TableName: testTables.connectionsTableName, ProjectionExpression: "connectionId" }));
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(firstPage.Count).toBeLessThan(count);
    management.delayMs = 2;
    const logs = captureLogs();
    try {
      await handlers.sendmessage(messageEvent(ids[0]!, "sendmessage", '{"action":"sendmessage","data":"all"}', bob));
    } finally {
      logs.restore();
    }
    expect(ids.filter((id) => framesTo(id).length === 1)).toHaveLength(count);
    expect(management.peakInFlight).toBeLessThanOrEqual(16);
    expect(management.peakInFlight).toBeGreaterThan(1);
  });
});

describe("sendtouser", () => {
  it("delivers to every connection of that user only", async () => {
    const [a1, a2, b1] = [await connect(alice), await connect(alice), await connect(bob)];
    await handlers.sendtouser(messageEvent(b1.connectionId, "sendtouser", JSON.stringify({ action: "sendtouser", userId: alice.userId, data: "psst" }), bob));
    expect(framesTo(a1.connectionId)).toEqual(["psst"]);
    expect(framesTo(a2.connectionId)).toEqual(["psst"]);
    expect(framesTo(b1.connectionId)).toEqual([]);
  });

  it("removes the user's stale connections", async () => {
    const [a1, a2] = [await connect(alice), await connectedEarlier(alice)];
    management.gone.add(a2.connectionId);
    await handlers.sendtouser(messageEvent(a1.connectionId, "sendtouser", JSON.stringify({ action: "sendtouser", userId: alice.userId, data: 1 }), alice));
    expect(framesTo(a1.connectionId)).toEqual(["1"]);
    expect(await record(a2.connectionId)).toBeUndefined();
  });
});

describe("malformed requests get an error frame, nothing is sent on", () => {
  const cases: [string, string, string, string][] = [
    ["sendmessage", "data missing", '{"action":"sendmessage"}', "BadRequest"],
    ["sendmessage", "not an object", '["sendmessage"]', "BadRequest"],
    ["sendmessage", "data too large", JSON.stringify({ action: "sendmessage", data: "é".repeat(70_000) }), "PayloadTooLarge"],
    ["sendtouser", "userId missing", '{"action":"sendtouser","data":"x"}', "BadRequest"],
    ["sendtouser", "userId not a string", '{"action":"sendtouser","userId":42,"data":"x"}', "BadRequest"],
    ["sendtouser", "data missing", '{"action":"sendtouser","userId":"u"}', "BadRequest"],
  ];

  it.each(cases)("%s: %s", async (route, _, body, code) => {
    const [sender, other] = [await connect(alice), await connect(bob)];
    const result = await handlers[route as "sendmessage"](messageEvent(sender.connectionId, route, body, alice));
    expect(result).toEqual({ statusCode: 200 });
    const frames = framesTo(sender.connectionId).map((frame) => JSON.parse(frame));
    expect(frames).toEqual([{ error: { code, message: expect.any(String) } }]);
    expect(framesTo(other.connectionId)).toEqual([]);
  });

  it("an internal failure gives InternalError without details", async () => {
    const { connectionId } = await connect(alice);
    const event = messageEvent(connectionId, "whoami", '{"action":"whoami"}', alice);
    const result = await handlers.whoami({ ...event, requestContext: { ...event.requestContext, authorizer: {} } });
    expect(result).toEqual({ statusCode: 200 });
    expect(JSON.parse(framesTo(connectionId)[0]!)).toEqual({
      error: { code: "InternalError", message: "The request could not be processed; try again later" },
    });
  });
});
