/**
 * Fan-outs larger than one shard, end to end on the local stack: the accepting function hands them
 * to the `deliver` workers through the local Lambda endpoint (asynchronous invocations, retried),
 * which pace them and checkpoint each shard. Shards are a few connections here, so that a handful
 * of sockets spans several.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pushToUser } from "../../functions/push.js";
import type { StackOutputs } from "../../local/outputs.js";
import { localTableNames } from "../../local/tables.js";
import { frame, framesOf, messagesOf, request } from "../support/channel-frames.js";
import { signUp, startTestStack, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { TestClient } from "../support/ws-client.js";

const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

/** The summary the workers log once a fan-out's last shard is done. */
function summaries(stack: TestStack): Record<string, any>[] {
  return stack.logs.flatMap((line) => {
    try {
      const record = JSON.parse(line);
      return record.message === "fan-out delivered" ? [record] : [];
    } catch {
      return [];
    }
  });
}

async function until<T>(read: () => T | undefined, what: string, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A stack of its own for a describe, with one signed-up user: `connections(n)` opens that many
 * sockets of the user, one after another; they are closed, and the stack destroyed, after the tests.
 */
function stackWithOneUser(options: Parameters<typeof startTestStack>[0], email: string) {
  const open: TestClient[] = [];
  const context = {
    // Set before the tests run.
    stack: undefined as unknown as TestStack,
    user: undefined as unknown as SignedInUser,
    async connections(count: number): Promise<TestClient[]> {
      const clients: TestClient[] = [];
      for (let i = 0; i < count; i++) clients.push(await TestClient.open(withToken(context.stack.outputs, context.user.idToken)));
      open.push(...clients);
      return clients;
    },
  };
  beforeAll(async () => {
    context.stack = await startTestStack(options);
    context.user = await signUp(context.stack.outputs, email);
  });
  afterAll(async () => {
    for (const client of open.splice(0)) client.socket.terminate();
    await context.stack?.destroy();
  });
  return context;
}

describe("fan-outs through the deliver workers", () => {
  let stack: TestStack;
  let users: SignedInUser[];
  const open: TestClient[] = [];
  const connect = async (user: SignedInUser) => {
    const client = await TestClient.open(withToken(stack.outputs, user.idToken));
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack({ settings: { fanOutShardSize: 3 } });
    users = await Promise.all(Array.from({ length: 4 }, (_, i) => signUp(stack.outputs, `fan${i}@fanout.example.com`)));
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.socket.terminate();
  });
  afterAll(async () => {
    await stack?.destroy();
  });

  it("deliver a broadcast larger than one shard to every connection exactly once, and summarize it once", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(users[i % users.length]!)));
    const before = summaries(stack).length;
    await clients[0]!.send(JSON.stringify({ action: "sendmessage", data: "to everyone" }));
    for (const client of clients) await until(() => (client.messages.includes("to everyone") ? true : undefined), "the broadcast");
    const summary = await until(() => summaries(stack)[before], "the fan-out's summary");
    expect(summary).toMatchObject({ audience: "everyone", recipients: 10, delivered: 10, gone: 0, failed: 0, shards: 4 });
    await sleep(300);
    for (const client of clients) expect(client.messages.filter((text) => text === "to everyone")).toHaveLength(1);
  });

  it("deliver a server-side push larger than one shard in shards, telling each as it is done, everyone once", async () => {
    // A user of its own: no connection of another test's is still closing.
    const recipient = await signUp(stack.outputs, "pushed@fanout.example.com");
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(recipient)));
    const { outputs } = stack;
    const progress: string[] = [];
    const pushed = await pushToUser(
      {
        ...localTableNames,
        managementApiUrl: outputs.managementApiUrl,
        channelHistorySeconds: outputs.channelHistorySeconds!,
        region: outputs.region,
        dynamoDbEndpoint: outputs.dynamoDbEndpoint!,
        deliveries: { tableName: outputs.deliveriesTableName!, postRateLimit: outputs.postRateLimit! },
      },
      recipient.sub,
      "from the server",
      { shardSize: 2, progress: (line) => progress.push(line) },
    );
    expect(pushed.summary).toMatchObject({ audience: "user", recipients: 5, delivered: 5, shards: 3 });
    expect(progress.filter((line) => line.startsWith("shard "))).toHaveLength(3);
    for (const client of clients) expect(client.messages.filter((text) => text === "from the server")).toHaveLength(1);
  });

  it("acknowledge a channel publish with its seq and deliver it to every subscriber exactly once", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(users[i % users.length]!)));
    for (const [i, client] of clients.entries()) await request(client, { action: "subscribe", channel: "public/big", id: `s${i}` });
    const ack = await request(clients[0]!, { action: "publish", channel: "public/big", data: "hello", id: "p" });
    expect(ack).toMatchObject({ type: "published", seq: 1 });
    for (const client of clients) await frame(client, (f) => f.type === "message" && f.seq === 1);
    await sleep(300);
    for (const client of clients) expect(messagesOf(client, "public/big")).toHaveLength(1);
  });
});

describe("a worker ended mid-shard by its timeout", () => {
  // The gateway holds every post after the 8th until its caller is gone: the shard's worker
  // waits on them until the function's timeout ends it; Lambda then invokes it again.
  const context = stackWithOneUser(
    { settings: { fanOutShardSize: 6, lambdaTimeoutSeconds: 2 }, faults: { holdPostsAfter: 8 }, asyncRetryDelaysMs: [200, 400] },
    "killed@fanout.example.com",
  );

  it("is retried, and the retry completes the shard from its checkpoint: everyone once, nobody twice", async () => {
    const clients = await context.connections(12);
    await clients[0]!.send(JSON.stringify({ action: "sendmessage", data: "survives" }));
    for (const client of clients) await until(() => (client.messages.includes("survives") ? true : undefined), "the broadcast");
    await until(() => summaries(context.stack)[0], "the fan-out's summary");
    await sleep(500);
    for (const client of clients) expect(client.messages.filter((text) => text === "survives")).toHaveLength(1);
    // The fault did happen: a deliver invocation timed out and was invoked again.
    expect(context.stack.logs.some((line) => line.includes("Task timed out"))).toBe(true);
  });
});

describe("the account's @connections quota", () => {
  const context = stackWithOneUser(
    // 429 LimitExceededException above 20 requests a second, as API Gateway answers over the account's quota.
    { settings: { fanOutShardSize: 5 }, limits: { connectionsApiRate: 20, connectionsApiBurst: 5 } },
    "quota@fanout.example.com",
  );

  it("throttles the workers, which slow down and send again: nothing lost, nothing twice", async () => {
    const clients = await context.connections(30);
    await clients[0]!.send(JSON.stringify({ action: "sendmessage", data: "paced" }));
    const summary = await until(() => summaries(context.stack)[0], "the fan-out's summary", 30_000);
    expect(summary).toMatchObject({ recipients: 30, delivered: 30, failed: 0 });
    expect(summary.throttled).toBeGreaterThan(0);
    for (const client of clients) expect(client.messages.filter((text) => text === "paced")).toHaveLength(1);
  });
});

describe("the sender's acknowledgement", () => {
  // 4 posts a second for all workers: the 16 subscribers take seconds to reach.
  const context = stackWithOneUser({ settings: { fanOutShardSize: 4, postRateLimit: 4 } }, "ack@fanout.example.com");

  it("arrives before the delivery of a large publish completes", async () => {
    const clients = await context.connections(16);
    for (const [i, client] of clients.entries()) await request(client, { action: "subscribe", channel: "public/slow", id: `s${i}` });
    const ack = await request(clients[0]!, { action: "publish", channel: "public/slow", data: "eventually", id: "p" });
    expect(ack).toMatchObject({ type: "published", seq: 1 });
    const reachedAtAck = clients.filter((client) => messagesOf(client, "public/slow").length > 0).length;
    expect(reachedAtAck).toBeLessThan(clients.length);
    for (const client of clients) await frame(client, (f) => f.type === "message" && f.seq === 1);
    expect(framesOf(clients[0]!).filter((f) => f.type === "message")).toHaveLength(1);
  });
});
