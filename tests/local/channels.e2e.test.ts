/**
 * Channels end to end on the local stack: the protocol with several users, authorization by
 * rules, presence, history with resume, and the limits.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../local/outputs.js";
import { localTableNames } from "../../local/tables.js";
import { frame, framesOf, messagesOf, request } from "../support/channel-frames.js";
import { claimsOf, signAsCognitoLocal } from "../support/cognito-local-key.js";
import { signUp, startTestStack, whoami, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { TestClient } from "../support/ws-client.js";

const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

function harness() {
  const open: TestClient[] = [];
  return {
    async connect(stack: TestStack, user: SignedInUser, token = user.idToken) {
      const client = await TestClient.open(withToken(stack.outputs, token));
      open.push(client);
      return client;
    },
    closeAll() {
      for (const client of open.splice(0)) client.socket.terminate();
    },
  };
}

describe("channels with the default rules", () => {
  let stack: TestStack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  let carol: SignedInUser;
  const clients = harness();

  beforeAll(async () => {
    // These tests send bursts of frames as one user (bad names, concurrent publishers); the per-user
    // frame rate would answer some with TooManyRequests (limits.e2e.test.ts tests it), so it is off.
    stack = await startTestStack({ settings: { userMessageRate: 0 } });
    [alice, bob, carol] = (await Promise.all(["alice", "bob", "carol"].map((name) => signUp(stack.outputs, `${name}@channels.example.com`)))) as [SignedInUser, SignedInUser, SignedInUser];
  });
  afterAll(async () => {
    clients.closeAll();
    await stack?.destroy();
  });

  it("delivers each message once to every subscriber and to nobody else, acknowledging with its seq", async () => {
    const [a, b, c] = [await clients.connect(stack, alice), await clients.connect(stack, bob), await clients.connect(stack, carol)];
    expect(await request(a, { action: "subscribe", channel: "public/room1", id: "s-a" })).toEqual({ type: "subscribed", channel: "public/room1", id: "s-a", seq: 0 });
    expect(await request(b, { action: "subscribe", channel: "public/room1", id: "s-b" })).toMatchObject({ type: "subscribed", seq: 0 });

    const ack = await request(a, { action: "publish", channel: "public/room1", data: { text: "hi" }, id: "p-1" });
    expect(ack).toEqual({ type: "published", channel: "public/room1", id: "p-1", seq: 1 });
    for (const subscriber of [a, b]) {
      const message = await frame(subscriber, (f) => f.type === "message" && f.seq === 1);
      expect(message).toEqual({
        type: "message",
        channel: "public/room1",
        seq: 1,
        data: { text: "hi" },
        from: { userId: alice.sub, username: alice.sub },
        sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    }

    // Unsubscribed, bob gets nothing more; carol, never subscribed, got nothing at all.
    expect(await request(b, { action: "unsubscribe", channel: "public/room1", id: "u-b" })).toEqual({ type: "unsubscribed", channel: "public/room1", id: "u-b" });
    expect(await request(a, { action: "publish", channel: "public/room1", data: "two", id: "p-2" })).toMatchObject({ seq: 2 });
    await frame(a, (f) => f.type === "message" && f.seq === 2);
    await sleep(300);
    expect(messagesOf(b, "public/room1").map((f) => f.seq)).toEqual([1]);
    expect(messagesOf(c, "public/room1")).toEqual([]);
    expect(await request(c, { action: "unsubscribe", channel: "public/room1", id: "u-c" })).toMatchObject({ type: "unsubscribed" });
  });

  it("gives concurrent publishers distinct, consecutive seqs and every subscriber each message exactly once", async () => {
    const [a, b] = [await clients.connect(stack, alice), await clients.connect(stack, bob)];
    await request(a, { action: "subscribe", channel: "public/busy", id: "s" });
    await request(b, { action: "subscribe", channel: "public/busy", id: "s" });
    const publishes = 20;
    const acks = await Promise.all(
      Array.from({ length: publishes }, (_, i) => request(i % 2 ? a : b, { action: "publish", channel: "public/busy", data: i, id: `p${i}` })),
    );
    expect(acks.map((ack) => ack.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: publishes }, (_, i) => i + 1));
    for (const subscriber of [a, b]) {
      await frame(subscriber, () => messagesOf(subscriber, "public/busy").length >= publishes);
      await sleep(200);
      expect(messagesOf(subscriber, "public/busy").map((f) => f.seq).sort((x, y) => x - y)).toEqual(acks.map((ack) => ack.seq).sort((x, y) => x - y));
    }
  });

  it("applies the default rules: open rooms under public/, an inbox only its owner reads and only the server writes", async () => {
    const a = await clients.connect(stack, alice);
    const forbidden = { error: { code: "Forbidden", message: expect.any(String) } };
    expect(await request(a, { action: "subscribe", channel: `users/${alice.sub}`, id: "own" })).toMatchObject({ type: "subscribed" });
    expect(await request(a, { action: "publish", channel: `users/${alice.sub}`, data: "x", id: "own-p" })).toMatchObject({ ...forbidden, id: "own-p", channel: `users/${alice.sub}` });
    const others = await request(a, { action: "subscribe", channel: `users/${bob.sub}`, id: "other" });
    const unknown = await request(a, { action: "subscribe", channel: "private/x", id: "unknown" });
    const deeper = await request(a, { action: "subscribe", channel: "public/a/b", id: "deeper" });
    for (const refused of [others, unknown, deeper]) expect(refused).toMatchObject(forbidden);
    // Forbidden says the same whatever the reason: no rule, or a rule that does not admit the caller.
    expect(new Set([others, unknown, deeper].map((refused) => refused.error.message)).size).toBe(1);
  });

  it("refuses bad names and ids with BadRequest, unsubscribe included, echoing what it can", async () => {
    const a = await clients.connect(stack, alice);
    for (const channel of ["", "a//b", "a/b/c/d/e/f", "with space", "x".repeat(65), `a/${"b".repeat(64)}/${"c".repeat(64)}/${"d".repeat(64)}/${"e".repeat(64)}`, 7]) {
      for (const action of ["subscribe", "unsubscribe", "publish", "presence"]) {
        const reply = await request(a, { action, channel, data: 1, id: `${action}-bad` });
        expect(reply, `${action} ${JSON.stringify(channel)}`).toEqual({ error: { code: "BadRequest", message: expect.stringMatching(/"channel"/) }, id: `${action}-bad` });
      }
    }
    await a.send(JSON.stringify({ action: "subscribe", channel: "public/x", id: "" }));
    expect(await frame(a, (f) => f.error?.message?.includes('"id"'))).toEqual({ error: { code: "BadRequest", message: '"id" must be a string of 1 to 64 characters' }, channel: "public/x" });
    expect(await request(a, { action: "subscribe", channel: "public/x", since: -1, id: "neg" })).toMatchObject({ error: { code: "BadRequest" }, id: "neg" });
    expect(await request(a, { action: "publish", channel: "public/x", id: "nodata" })).toMatchObject({ error: { code: "BadRequest", message: '"data" is required' } });
  });

  it("announces a user once on their first connection to a channel and lists them once, and leaves after the last", async () => {
    const watcher = await clients.connect(stack, carol);
    await request(watcher, { action: "subscribe", channel: "public/lobby", id: "w" });
    const [first, second] = [await clients.connect(stack, alice), await clients.connect(stack, alice)];
    await request(first, { action: "subscribe", channel: "public/lobby", id: "1" });
    await request(second, { action: "subscribe", channel: "public/lobby", id: "2" });
    const joins = () => framesOf(watcher).filter((f) => f.type === "join" && f.member.userId === alice.sub);
    await frame(watcher, (f) => f.type === "join" && f.member.userId === alice.sub);
    expect(joins()).toEqual([{ type: "join", channel: "public/lobby", member: { userId: alice.sub, username: alice.sub } }]);
    // The joining connection gets `subscribed`, never a join of its own.
    expect(framesOf(first).filter((f) => f.type === "join")).toEqual([]);

    const members = await request(watcher, { action: "presence", channel: "public/lobby", id: "who" });
    expect(members).toEqual({ type: "presence", channel: "public/lobby", id: "who", members: expect.any(Array) });
    expect(members.members).toHaveLength(2);
    expect(members.members).toEqual(expect.arrayContaining([{ userId: alice.sub, username: alice.sub }, { userId: carol.sub, username: carol.sub }]));

    const leaves = () => framesOf(watcher).filter((f) => f.type === "leave" && f.member.userId === alice.sub);
    first.socket.close();
    await first.closed;
    await sleep(500);
    expect(leaves()).toEqual([]);
    const closedAt = Date.now();
    second.socket.close();
    await frame(watcher, (f) => f.type === "leave" && f.member.userId === alice.sub);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    expect(leaves()).toEqual([{ type: "leave", channel: "public/lobby", member: { userId: alice.sub, username: alice.sub } }]);
    expect((await request(watcher, { action: "presence", channel: "public/lobby", id: "who-2" })).members).toEqual([{ userId: carol.sub, username: carol.sub }]);
  });

  it("ends the subscriptions of a connection found gone (410) during a fan-out, and tells the channel", async () => {
    const watcher = await clients.connect(stack, carol);
    await request(watcher, { action: "subscribe", channel: "public/ghosts", id: "w" });
    // A subscription whose connection vanished without $disconnect (a lost event), with its record.
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.outputs.dynamoDbEndpoint, region: stack.outputs.region, credentials: { accessKeyId: "l", secretAccessKey: "l" } }),
    );
    const ghost = { connectionId: "R2hvc3QAAAAAAAA=", userId: bob.sub, username: bob.sub };
    const ttl = Math.floor(Date.now() / 1000) + 3600;
    await documents.send(new PutCommand({ TableName: localTableNames.connectionsTableName, Item: { ...ghost, connectedAt: 0, tokenExpiresAt: ttl, ttl } }));
    await documents.send(
      new PutCommand({ TableName: localTableNames.subscriptionsTableName, Item: { ...ghost, channel: "public/ghosts", member: `${bob.sub}#${ghost.connectionId}`, ttl } }),
    );
    expect((await request(watcher, { action: "presence", channel: "public/ghosts", id: "before" })).members).toHaveLength(2);

    await request(watcher, { action: "publish", channel: "public/ghosts", data: "anyone?", id: "p" });
    expect(await frame(watcher, (f) => f.type === "leave")).toEqual({ type: "leave", channel: "public/ghosts", member: { userId: bob.sub, username: bob.sub } });
    expect((await request(watcher, { action: "presence", channel: "public/ghosts", id: "after" })).members).toEqual([{ userId: carol.sub, username: carol.sub }]);
  });

  it("publishes from the server with npm run notify -- --channel: to an inbox only the server writes, as a string or as JSON, without from", async () => {
    const inbox = `users/${bob.sub}`;
    const b = await clients.connect(stack, bob);
    await request(b, { action: "subscribe", channel: inbox, id: "inbox" });
    const notify = (...args: string[]) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/notify.ts", "--channel", inbox, ...args, "--outputs", stack.outputsFile], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      });

    const { stdout } = await notify("--data", '{"order":42}');
    expect(JSON.parse(stdout)).toMatchObject({ channel: inbox, seq: 1, recipients: 1, delivered: 1, failed: 0 });
    await notify("--data", '{"order":42}', "--json");
    const [asString, asJson] = [await frame(b, (f) => f.seq === 1), await frame(b, (f) => f.seq === 2)];
    expect(asString).toEqual({ type: "message", channel: inbox, seq: 1, data: '{"order":42}', sentAt: expect.any(String) });
    expect(asJson).toEqual({ type: "message", channel: inbox, seq: 2, data: { order: 42 }, sentAt: expect.any(String) });
    await expect(notify("--data", "{not json", "--json")).rejects.toMatchObject({ stderr: expect.stringMatching(/--data is not valid JSON/) });
    await expect(promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/notify.ts", "--channel", "bad name", "--data", "x", "--outputs", stack.outputsFile])).rejects.toMatchObject({
      stderr: expect.stringMatching(/"bad name" is not a channel name/),
    });
  });

  it("answers PayloadTooLarge to a message that would not fit one post, and takes no seq for it", async () => {
    const a = await clients.connect(stack, alice);
    await request(a, { action: "subscribe", channel: "public/big", id: "s" });
    // Within the 128 KB a client message may carry (in frames of at most 32 KB), but not once
    // wrapped in a `message` frame.
    const text = JSON.stringify({ action: "publish", channel: "public/big", data: "x".repeat(128 * 1024 - 80), id: "big" });
    const frameBytes = 16 * 1024;
    for (let start = 0; start < text.length; start += frameBytes) {
      await a.send(text.slice(start, start + frameBytes), { fin: start + frameBytes >= text.length });
    }
    const reply = await frame(a, (f) => f.id === "big");
    expect(reply).toEqual({ error: { code: "PayloadTooLarge", message: expect.stringMatching(/131072 bytes/) }, id: "big", channel: "public/big" });
    expect(await request(a, { action: "publish", channel: "public/big", data: "small", id: "small" })).toMatchObject({ seq: 1 });
  });
});

describe("channels with custom rules, history and limits", () => {
  let stack: TestStack;
  let alice: SignedInUser;
  let mod: SignedInUser;
  const clients = harness();
  const rules = [
    { channel: "tenants/{sub}/**", subscribe: ["authenticated"], publish: ["authenticated"] },
    { channel: "news/*", subscribe: ["authenticated"], publish: ["group:moderators"] },
    { channel: "news/*", subscribe: [], publish: ["authenticated"] },
    { channel: "rooms/*/chat", subscribe: ["authenticated"], publish: ["authenticated"] },
  ];

  beforeAll(async () => {
    stack = await startTestStack({
      expirySweepIntervalMs: 200,
      settings: { channelRules: rules as never, channelHistorySeconds: 3, channelReplayLimit: 3, maxSubscriptionsPerConnection: 2 },
    });
    [alice, mod] = await Promise.all([signUp(stack.outputs, "alice@rules.example.com"), signUp(stack.outputs, "mod@rules.example.com", "Passw0rd!", ["moderators"])]);
  });
  afterAll(async () => {
    clients.closeAll();
    await stack?.destroy();
  });

  it("evaluates every rule form, first match first: {sub} with **, group:, *, and no match", async () => {
    const [a, m] = [await clients.connect(stack, alice), await clients.connect(stack, mod)];
    const allowed = (reply: Record<string, unknown>) => reply.type !== undefined;
    expect(allowed(await request(a, { action: "publish", channel: `tenants/${alice.sub}/orders/1`, data: 1, id: "t1" }))).toBe(true);
    expect(allowed(await request(a, { action: "publish", channel: `tenants/${alice.sub}`, data: 1, id: "t0" }))).toBe(false);
    expect(allowed(await request(a, { action: "subscribe", channel: `tenants/${mod.sub}/orders`, id: "t2" }))).toBe(false);
    expect(allowed(await request(m, { action: "publish", channel: "news/today", data: 1, id: "n1" }))).toBe(true);
    // The first news/* rule matches alice too, so the more generous third rule is never reached.
    expect(allowed(await request(a, { action: "publish", channel: "news/today", data: 1, id: "n2" }))).toBe(false);
    expect(allowed(await request(a, { action: "presence", channel: "news/today", id: "n3" }))).toBe(true);
    expect(allowed(await request(a, { action: "publish", channel: "rooms/7/chat", data: 1, id: "r1" }))).toBe(true);
    expect(allowed(await request(a, { action: "publish", channel: "rooms/7/other", data: 1, id: "r2" }))).toBe(false);
    a.socket.close();
    m.socket.close();
  });

  it("replays exactly the retained gap in order on a resume, and says resumed:false when it cannot", async () => {
    const [publisher, reader] = [await clients.connect(stack, alice), await clients.connect(stack, alice)];
    const channel = `tenants/${alice.sub}/feed`;
    for (let i = 1; i <= 5; i++) await request(publisher, { action: "publish", channel, data: `m${i}`, id: `p${i}` });

    const resumed = await request(reader, { action: "subscribe", channel, since: 2, id: "r1" });
    expect(resumed).toEqual({ type: "subscribed", channel, id: "r1", seq: 5, resumed: true });
    await frame(reader, () => messagesOf(reader, channel).length >= 3);
    expect(messagesOf(reader, channel).map((f) => [f.seq, f.data])).toEqual([[3, "m3"], [4, "m4"], [5, "m5"]]);
    // The replay comes right after `subscribed`, before anything else.
    const texts = reader.messages.map((text) => JSON.parse(text));
    const at = texts.findIndex((f) => f.id === "r1");
    expect(texts.slice(at + 1, at + 4).map((f) => f.seq)).toEqual([3, 4, 5]);

    const tooLong = await request(reader, { action: "subscribe", channel, since: 1, id: "r2" });
    expect(tooLong).toMatchObject({ seq: 5, resumed: false });
    const ahead = await request(reader, { action: "subscribe", channel, since: 9, id: "r3" });
    expect(ahead).toMatchObject({ seq: 5, resumed: false });
    const upToDate = await request(reader, { action: "subscribe", channel, since: 5, id: "r4" });
    expect(upToDate).toMatchObject({ seq: 5, resumed: true });
    await sleep(300);
    expect(messagesOf(reader, channel)).toHaveLength(3);

    // Retained for 3 s: after that, a gap of two is no longer there to replay.
    await sleep(3500);
    expect(await request(reader, { action: "subscribe", channel, since: 3, id: "r5" })).toMatchObject({ seq: 5, resumed: false });
  });

  it("holds a connection to maxSubscriptionsPerConnection, renewing a subscription it already has", async () => {
    const a = await clients.connect(stack, alice);
    expect(await request(a, { action: "subscribe", channel: "rooms/1/chat", id: "1" })).toMatchObject({ type: "subscribed" });
    expect(await request(a, { action: "subscribe", channel: "rooms/2/chat", id: "2" })).toMatchObject({ type: "subscribed" });
    expect(await request(a, { action: "subscribe", channel: "rooms/1/chat", id: "again" })).toMatchObject({ type: "subscribed" });
    expect(await request(a, { action: "subscribe", channel: "rooms/3/chat", id: "3" })).toEqual({
      error: { code: "LimitExceeded", message: "A connection may hold at most 2 subscriptions" },
      id: "3",
      channel: "rooms/3/chat",
    });
    await request(a, { action: "unsubscribe", channel: "rooms/1/chat", id: "u" });
    expect(await request(a, { action: "subscribe", channel: "rooms/3/chat", id: "3b" })).toMatchObject({ type: "subscribed" });
  });

  it("tells the channel a user left when the expiry sweeper closes their connection", async () => {
    const watcher = await clients.connect(stack, mod);
    await request(watcher, { action: "subscribe", channel: "rooms/expiry/chat", id: "w" });
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await clients.connect(stack, alice, await signAsCognitoLocal({ ...claimsOf(alice.idToken), iat: now, exp: now + 2 }));
    await request(shortLived, { action: "subscribe", channel: "rooms/expiry/chat", id: "s" });
    await frame(watcher, (f) => f.type === "join");
    expect((await shortLived.closed).code).toBe(1000);
    expect(await frame(watcher, (f) => f.type === "leave")).toEqual({ type: "leave", channel: "rooms/expiry/chat", member: { userId: alice.sub, username: alice.sub } });
    expect((await whoami(watcher)).userId).toBe(mod.sub);
  });
});

describe("channels without history", () => {
  it("answers every resume with resumed:false", async () => {
    const stack = await startTestStack({ settings: { channelHistorySeconds: 0 } });
    try {
      const user = await signUp(stack.outputs, "nohistory@example.com");
      const client = await TestClient.open(withToken(stack.outputs, user.idToken));
      await request(client, { action: "publish", channel: "public/x", data: 1, id: "p" });
      expect(await request(client, { action: "subscribe", channel: "public/x", since: 0, id: "s" })).toEqual({
        type: "subscribed",
        channel: "public/x",
        id: "s",
        seq: 1,
        resumed: false,
      });
      client.socket.close();
    } finally {
      await stack.destroy();
    }
  });
});
