/** Safe defaults on the local stack: the frame rate over all of a user's connections, the connection cap, sign-up by administrators only. */
import { AdminCreateUserCommand, AdminSetUserPasswordCommand, SignUpCommand } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../local/outputs.js";
import { framesOf } from "../support/channel-frames.js";
import { cognitoClient, signIn, signUp, startTestStack, whoami, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { handshake, TestClient } from "../support/ws-client.js";

const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

describe("userMessageRate and userMessageBurst", () => {
  // A window of burst / rate = 5 s admits 5 frames per user.
  const limit = { userMessageRate: 1, userMessageBurst: 5 };
  let stack: TestStack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  const open: TestClient[] = [];
  const connect = async (user: SignedInUser) => {
    const client = await TestClient.open(withToken(stack.outputs, user.idToken));
    open.push(client);
    return client;
  };
  /** Waits for the start of a rate window, so that a burst does not straddle two. */
  const windowStart = async () => {
    const windowMs = (limit.userMessageBurst / limit.userMessageRate) * 1000;
    await sleep(windowMs - (Date.now() % windowMs) + 20);
  };
  const refusals = (client: TestClient) => framesOf(client).filter((frame) => frame.error?.code === "TooManyRequests");

  beforeAll(async () => {
    stack = await startTestStack({ settings: limit });
    [alice, bob] = [await signUp(stack.outputs, "alice@limits.example.com"), await signUp(stack.outputs, "bob@limits.example.com")];
  });
  afterAll(async () => {
    for (const client of open) client.socket.terminate();
    await stack?.destroy();
  });

  it("drops a user's frames over the burst, across all their connections, tells them when to retry, forwards nothing, and refills", async () => {
    const [a1, a2, b] = [await connect(alice), await connect(alice), await connect(bob)];
    await windowStart();
    // Seven frames from alice's two connections in one window: five pass, two are dropped.
    for (let i = 0; i < 7; i++) await (i % 2 ? a2 : a1).send(JSON.stringify({ action: "sendmessage", data: `burst-${i}`, id: `m${i}` }));
    await expect.poll(() => refusals(a1).length + refusals(a2).length, { timeout: 5000 }).toBe(2);
    for (const refusal of [...refusals(a1), ...refusals(a2)]) {
      expect(refusal).toEqual({ error: { code: "TooManyRequests", message: expect.any(String), retryAfterMs: expect.any(Number) }, id: expect.stringMatching(/^m\d$/) });
      expect(refusal.error.retryAfterMs).toBeGreaterThan(0);
      expect(refusal.error.retryAfterMs).toBeLessThanOrEqual(5000);
    }
    const delivered = () => b.messages.filter((text) => text.startsWith("burst-"));
    await expect.poll(() => delivered().length, { timeout: 5000 }).toBe(5);
    const refusedIds = [...refusals(a1), ...refusals(a2)].map((refusal) => `burst-${refusal.id.slice(1)}`);
    expect(delivered().filter((text) => refusedIds.includes(text))).toEqual([]);

    // Another user has a bucket of their own; the connections stay open.
    await b.send(JSON.stringify({ action: "sendmessage", data: "bob-while-alice-waits" }));
    await expect.poll(() => a1.messages.includes("bob-while-alice-waits"), { timeout: 5000 }).toBe(true);

    // After the wait it said, alice may send again.
    await sleep(Math.max(...[...refusals(a1), ...refusals(a2)].map((refusal) => refusal.error.retryAfterMs)) + 50);
    expect((await whoami(a1)).userId).toBe(alice.sub);
  });

  it("takes no seq for a refused publish: the next window's first message has the next seq", async () => {
    const publisher = await connect(bob);
    await windowStart();
    const publish = (i: number) => publisher.send(JSON.stringify({ action: "publish", channel: "public/limits", data: `p${i}`, id: `p${i}` }));
    for (let i = 0; i < 7; i++) await publish(i);
    const replies = () => framesOf(publisher).filter((frame) => frame.type === "published" || frame.error);
    await expect.poll(() => replies().length, { timeout: 5000 }).toBe(7);
    const refused = replies().filter((frame) => frame.error);
    expect(refused.map((frame) => frame.error.code)).toEqual(["TooManyRequests", "TooManyRequests"]);

    await sleep(Math.max(...refused.map((frame) => frame.error.retryAfterMs)) + 50);
    await publish(7);
    await expect.poll(() => replies().length, { timeout: 5000 }).toBe(8);
    const seqs = replies().filter((frame) => frame.type === "published").map((frame) => frame.seq);
    expect(seqs.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(replies().find((frame) => frame.id === "p7")).toMatchObject({ type: "published", seq: 6 });
  });
});

describe("maxConnectionsPerUser", () => {
  let stack: TestStack;
  let carol: SignedInUser;
  beforeAll(async () => {
    stack = await startTestStack({ settings: { maxConnectionsPerUser: 2 } });
    carol = await signUp(stack.outputs, "carol@limits.example.com");
  });
  afterAll(() => stack?.destroy());

  it("refuses one more connection with 429, frees the slot when one closes, and does not count records of gone connections", async () => {
    const url = withToken(stack.outputs, carol.idToken);
    const [first, second] = [await TestClient.open(url), await TestClient.open(url)];
    expect((await handshake(url)).status).toBe(429);

    first.socket.close();
    await first.closed;
    await expect.poll(async () => (await handshake(url)).status, { timeout: 5000 }).toBe(101);

    // A record whose $disconnect never came (and that no TTL has removed yet) holds no slot.
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.outputs.dynamoDbEndpoint, region: stack.outputs.region, credentials: { accessKeyId: "l", secretAccessKey: "l" } }),
    );
    const far = Math.floor(Date.now() / 1000) + 3600;
    await documents.send(
      new PutCommand({
        TableName: stack.outputs.connectionsTableName,
        Item: { connectionId: "R29uZUFscmVhZHk=", userId: carol.sub, username: carol.sub, connectedAt: 0, tokenExpiresAt: far, ttl: far },
      }),
    );
    const third = await TestClient.open(url);
    expect((await whoami(third)).userId).toBe(carol.sub);
    expect((await handshake(url)).status).toBe(429);
    second.socket.close();
    third.socket.close();
  });
});

describe("selfSignUp false", () => {
  it("refuses SignUp as Cognito does; a user an administrator created signs in and connects", async () => {
    const stack = await startTestStack({ settings: { selfSignUp: false } });
    const cognito = cognitoClient(stack.outputs);
    try {
      const signUpAttempt = cognito.send(
        new SignUpCommand({ ClientId: stack.outputs.userPoolClientId, Username: "self@example.com", Password: "Passw0rd!", UserAttributes: [{ Name: "email", Value: "self@example.com" }] }),
      );
      await expect(signUpAttempt).rejects.toMatchObject({ name: "NotAuthorizedException", message: "SignUp is not permitted for this user pool" });

      await cognito.send(new AdminCreateUserCommand({ UserPoolId: stack.outputs.userPoolId, Username: "staff@example.com", MessageAction: "SUPPRESS" }));
      await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: stack.outputs.userPoolId, Username: "staff@example.com", Password: "Passw0rd!", Permanent: true }));
      const user = await signIn(stack.outputs, "staff@example.com");
      const client = await TestClient.open(withToken(stack.outputs, user.idToken));
      expect((await whoami(client)).userId).toBe(user.sub);
      client.socket.close();
    } finally {
      cognito.destroy();
      await stack.destroy();
    }
  });
});
