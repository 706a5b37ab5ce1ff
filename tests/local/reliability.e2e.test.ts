/**
 * Faults and hostile input against the local stack: expired tokens are closed, a DynamoDB outage
 * at $connect leaves no half-open connection, vanished clients lose their records, and no frame
 * crashes anything or leaks a stack trace.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../local/outputs.js";
import { claimsOf, signAsCognitoLocal } from "../support/cognito-local-key.js";
import { signUp, startTestStack, whoami, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { handshake, TestClient } from "../support/ws-client.js";

const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

function records(outputs: StackOutputs) {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: outputs.dynamoDbEndpoint, region: outputs.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
  );
  return {
    get: async (connectionId: string) => (await documents.send(new GetCommand({ TableName: outputs.connectionsTableName, Key: { connectionId } }))).Item,
    put: (item: Record<string, unknown>) => documents.send(new PutCommand({ TableName: outputs.connectionsTableName, Item: item })),
  };
}

/** The user's own ID token, re-signed with cognito-local's key to expire in `seconds`. */
const expiringIn = (user: SignedInUser, seconds: number) => {
  const now = Math.floor(Date.now() / 1000);
  return signAsCognitoLocal({ ...claimsOf(user.idToken), iat: now, exp: now + seconds });
};

describe("token expiry", () => {
  let stack: TestStack;
  let user: SignedInUser;
  beforeAll(async () => {
    stack = await startTestStack({ expirySweepIntervalMs: 200 });
    user = await signUp(stack.outputs, "expiring@example.com");
  });
  afterAll(() => stack?.destroy());

  it("closes a socket once its token has expired, and only that one", async () => {
    const { get } = records(stack.outputs);
    const shortLived = await TestClient.open(withToken(stack.outputs, await expiringIn(user, 2)));
    const longLived = await TestClient.open(withToken(stack.outputs, user.idToken));
    const { connectionId } = await whoami(shortLived);
    expect(await get(connectionId)).toBeDefined();

    const closed = await Promise.race([shortLived.closed, sleep(10_000).then(() => undefined)]);
    expect(closed?.code).toBe(1000);
    await expect.poll(() => get(connectionId), { timeout: 5000 }).toBeUndefined();
    expect((await whoami(longLived)).userId).toBe(user.sub);
    longLived.socket.close();
  });
});

describe("token expiry, turned off", () => {
  it("leaves sockets open past their token's expiry (what API Gateway alone does)", async () => {
    const stack = await startTestStack({ expirySweepIntervalMs: 0 });
    try {
      const user = await signUp(stack.outputs, "lingering@example.com");
      const client = await TestClient.open(withToken(stack.outputs, await expiringIn(user, 1)));
      await sleep(2500);
      expect((await whoami(client)).userId).toBe(user.sub);
      client.socket.close();
    } finally {
      await stack.destroy();
    }
  });
});

describe("faults", () => {
  it("refuses the handshake when DynamoDB is down at $connect, leaving no half-open connection", async () => {
    const stack = await startTestStack();
    try {
      const user = await signUp(stack.outputs, "unlucky@example.com");
      expect((await handshake(withToken(stack.outputs, user.idToken))).status).toBe(101);
      await stack.services.dynamoDb.close();
      const outcome = await handshake(withToken(stack.outputs, user.idToken));
      expect(outcome.status).toBe(500);
      await expect.poll(() => stack.logs.some((line) => line.includes("could not record connection")), { timeout: 5000 }).toBe(true);
    } finally {
      await stack.destroy();
    }
  });

  describe("on a running stack", () => {
    let stack: TestStack;
    let user: SignedInUser;
    beforeAll(async () => {
      // One user floods this stack with hostile frames; the per-user frame rate (limits.e2e.test.ts)
      // would then answer the later checks' whoami with TooManyRequests, so it is off here.
      stack = await startTestStack({ settings: { userMessageRate: 0 } });
      user = await signUp(stack.outputs, "vanishing@example.com");
    });
    afterAll(() => stack?.destroy());

    it("removes the record of a client that vanished without a close frame ($disconnect with 1006)", async () => {
      const { get } = records(stack.outputs);
      const client = await TestClient.open(withToken(stack.outputs, user.idToken));
      const { connectionId } = await whoami(client);
      client.socket.terminate();
      await expect.poll(() => get(connectionId), { timeout: 5000 }).toBeUndefined();
      await expect.poll(() => stack.logs.some((line) => line.includes('"disconnectStatusCode":1006')), { timeout: 5000 }).toBe(true);
    });

    it("removes a record whose $disconnect never came when a broadcast meets 410 GoneException", async () => {
      const { get, put } = records(stack.outputs);
      const ghost = { connectionId: "ghostConnection=", userId: user.sub, username: user.sub, connectedAt: Date.now() - 60_000, tokenExpiresAt: 4102444800, ttl: 4102444800 };
      await put(ghost);
      const sender = await TestClient.open(withToken(stack.outputs, user.idToken));
      await sender.send('{"action":"sendmessage","data":"anyone there?"}');
      expect(await sender.message(0)).toBe("anyone there?");
      await expect.poll(() => get(ghost.connectionId), { timeout: 5000 }).toBeUndefined();
      sender.socket.close();
    });

    it("survives random and adversarial frames: nothing crashes, no stack trace reaches a client", async () => {
      const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
      const adversarial = [
        deep(10_000),
        `{"action":${deep(5_000)}}`,
        `{"action":"sendmessage","data":${deep(2_000)}}`,
        '{"action":"sendtouser","userId":{"$ne":null},"data":"x"}',
        '{"action":"__proto__","constructor":{"prototype":{"polluted":true}}}',
        '{"action":"sendmessage","data":"\\ud800"}',
        '{"action":"whoami","action":"sendmessage"}',
      ];
      const random = fc.sample(
        fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.json({ maxDepth: 4 }), fc.jsonValue().map((data) => JSON.stringify({ action: "sendmessage", data }))),
        200,
      );
      const client = await TestClient.open(withToken(stack.outputs, user.idToken));
      for (const frame of [...adversarial, ...random]) await client.send(frame);
      const { userId } = await whoami(client);

      expect(userId).toBe(user.sub);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      for (const frame of client.messages) {
        expect(frame).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(frame).not.toMatch(/TypeError|RangeError|SyntaxError|ReferenceError|Internal server error/);
      }
      client.socket.close();
    });

    it.each([
      ["a binary frame", (client: TestClient) => client.send(Buffer.from([0, 1, 2, 255]), { binary: true }), 1003],
      ["invalid UTF-8 in a text frame", (client: TestClient) => client.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), 1007],
      ["a 40 KB frame", (client: TestClient) => client.send("x".repeat(40 * 1024)), 1009],
      ["a 200 KB message in 25 KB fragments", async (client: TestClient) => {
        for (let i = 0; i < 8; i++) await client.send("y".repeat(25 * 1024), { fin: i === 7 });
      }, 1009],
    ] as const)("closes on %s with its documented code, and keeps serving others", async (_, send, code) => {
      const { get } = records(stack.outputs);
      const victim = await TestClient.open(withToken(stack.outputs, user.idToken));
      const { connectionId } = await whoami(victim);
      await send(victim).catch(() => undefined);
      expect((await victim.closed).code).toBe(code);
      await expect.poll(() => get(connectionId), { timeout: 5000 }).toBeUndefined();
      const bystander = await TestClient.open(withToken(stack.outputs, user.idToken));
      expect((await whoami(bystander)).userId).toBe(user.sub);
      bystander.socket.close();
    });
  });
});
