/** Property: no frame body makes a message handler throw; every malformed one gets an error frame. */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { WebSocketEvent, WebSocketResult } from "../../../functions/handlers/shared/events.js";
import { startDynamoDb, testTable, type LocalDynamoDb } from "../../support/dynalite.js";
import { messageEvent } from "../../support/events.js";
import { startManagementStub, type ManagementStub } from "../../support/management-stub.js";

let dynamo: LocalDynamoDb;
let management: ManagementStub;
const routes = ["default", "sendmessage", "sendtouser", "whoami"] as const;
let handlers: Record<(typeof routes)[number], (event: WebSocketEvent) => Promise<WebSocketResult>>;
const identity = { userId: "u-1", username: "alice", tokenExpiresAt: "4102444800" };

beforeAll(async () => {
  [dynamo, management] = await Promise.all([startDynamoDb(), startManagementStub()]);
  const env = {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    CONNECTIONS_TABLE_NAME: testTable.tableName,
    CONNECTIONS_USER_INDEX: testTable.userIndexName,
    MANAGEMENT_API_URL: management.url,
    POWERTOOLS_LOG_LEVEL: "CRITICAL",
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  handlers = Object.fromEntries(
    await Promise.all(routes.map(async (name) => [name, (await import(`../../../functions/handlers/${name}.ts`)).handler])),
  );
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), management?.close()]);
});

const frameBodies = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.json(),
  fc.record(
    { action: fc.constantFrom("sendmessage", "sendtouser", "whoami", "$default", ""), data: fc.jsonValue(), userId: fc.jsonValue() },
    { requiredKeys: [] },
  ).map((frame) => JSON.stringify(frame)),
  fc.constant(undefined),
);

it("no frame body makes a handler throw, and the sender always hears back on malformed input", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), frameBodies, async (route, body) => {
      const connectionId = `prop-${run++}`;
      const event = messageEvent(connectionId, route, body ?? "", identity);
      const result = await handlers[route](body === undefined ? { ...event, body: undefined } : event);
      expect(result).toEqual({ statusCode: 200 });
      // The table is empty, so a valid broadcast reaches no one: whatever the sender receives is a reply.
      const frames = management.received.get(connectionId) ?? [];
      if (route === "default") expect(frames).toEqual([body ?? ""]);
      else if (route === "whoami") expect(frames.map((frame) => JSON.parse(frame))).toEqual([{ connectionId, userId: "u-1", username: "alice" }]);
      else {
        for (const frame of frames) {
          expect(JSON.parse(frame)).toEqual({ error: { code: expect.stringMatching(/^(BadRequest|PayloadTooLarge)$/), message: expect.any(String) } });
        }
      }
    }),
    { numRuns: 300 },
  );
});
