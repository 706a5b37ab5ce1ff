/**
 * The per-user rate limit in the message routes, with the real adapters: DynamoDB on dynalite
 * behind a proxy that records (and can hold back) each request, the management API on a stub.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startDynamoDbProxy, type DynamoDbProxy } from "../../support/dynamodb-proxy.js";
import { connectEvent, messageEvent, newConnectionId } from "../../support/events.js";
import { captureLogs } from "../../support/logs.js";
import { loadMessagingHandlers, type Handler, type MessagingFixture } from "../../support/messaging-handlers.js";
import { testTables } from "../../support/dynalite.js";

const names = ["connect", "sendmessage", "publish"] as const;
type Name = (typeof names)[number];

// Windows of burst / rate = 3 s admitting 3 frames each.
const rate = 1;
const burst = 3;
const windowMs = (burst / rate) * 1000;
/** The start of a window, on the functions' clock. */
const windowStart = Math.ceil(Date.UTC(2031, 0, 1) / windowMs) * windowMs;

const alice = { userId: "a1a1a1a1-0000-4000-8000-000000000001", username: "alice", tokenExpiresAt: "4102444800" };
const bob = { userId: "b2b2b2b2-0000-4000-8000-000000000002", username: "bob", tokenExpiresAt: "4102444800" };

/** The handlers with the given rate settings, their DynamoDB requests seen through a proxy. */
async function load(settings: Record<string, string>) {
  vi.resetModules();
  let proxy!: DynamoDbProxy;
  const fixture = await loadMessagingHandlers(names, settings, async (dynamo) => {
    proxy = await startDynamoDbProxy(dynamo.endpoint);
    return { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint };
  });
  return { fixture, proxy };
}

describe("a user over userMessageRate", () => {
  let fixture: MessagingFixture<Name>;
  let proxy: DynamoDbProxy;
  let handlers: Record<Name, Handler>;

  beforeAll(async () => {
    ({ fixture, proxy } = await load({ USER_MESSAGE_RATE: String(rate), USER_MESSAGE_BURST: String(burst) }));
    handlers = fixture.handlers;
  });
  afterAll(async () => {
    await fixture?.close();
    await proxy?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
    proxy.hold = () => undefined;
  });

  /** A fresh connection of the user, and a clock at a window's start (so that a burst stays in one window). */
  async function setUp(user: Record<string, string>, window: number) {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(windowStart + window * windowMs);
    const connectionId = newConnectionId();
    await handlers.connect(connectEvent(connectionId, user));
    return connectionId;
  }
  const framesTo = (connectionId: string) => fixture.management.received.get(connectionId) ?? [];
  const since = (from: number, table: string) => proxy.requests.slice(from).filter((request) => request.table === table).map((request) => request.operation);

  it("is refused with TooManyRequests and the wait, id echoed, nothing forwarded; once the window is full, without any DynamoDB request", async () => {
    const sender = await setUp(alice, 0);
    const other = await setUp(bob, 0);
    const before = proxy.requests.length;
    const logs = captureLogs();
    try {
      for (let i = 0; i < 5; i++) {
        if (i === 3) vi.setSystemTime(windowStart + 1000);
        await handlers.sendmessage(messageEvent(sender, "sendmessage", JSON.stringify({ action: "sendmessage", data: `frame-${i}`, id: `m${i}` }), alice));
      }
    } finally {
      logs.restore();
    }

    expect(framesTo(other)).toEqual(["frame-0", "frame-1", "frame-2"]);
    const refusals = framesTo(sender).filter((frame) => frame.startsWith("{"));
    expect(refusals.map((frame) => JSON.parse(frame) as unknown)).toEqual(
      ["m3", "m4"].map((id) => ({ error: { code: "TooManyRequests", message: "More than 3 frames in 3 s; wait before sending more", retryAfterMs: 2000 }, id })),
    );
    // Three counts (the third found the window full) and three scans: the refused frames cost none.
    expect(since(before, testTables.rateLimitsTableName)).toEqual(["UpdateItem", "UpdateItem", "UpdateItem"]);
    expect(since(before, testTables.connectionsTableName)).toEqual(["Scan", "Scan", "Scan"]);
    // One warning for the full window, none per refused frame (a flood would write a line per frame).
    expect(logs.records().filter((record) => record.level === "WARN")).toEqual([
      expect.objectContaining({ message: "rate window full", userId: alice.userId, frames: burst, until: new Date(windowStart + windowMs).toISOString() }),
    ]);
  });

  it("reads the connections while the frame is counted, and posts nothing before it is admitted", async () => {
    const sender = await setUp(alice, 10);
    const before = proxy.requests.length;
    let admit!: () => void;
    const counted = new Promise<void>((resolve) => (admit = resolve));
    proxy.hold = ({ table }) => (table === testTables.rateLimitsTableName ? counted : undefined);

    const sending = handlers.sendmessage(messageEvent(sender, "sendmessage", JSON.stringify({ action: "sendmessage", data: "overlap" }), alice));
    // The scan is asked for while the count is held back…
    await expect.poll(() => since(before, testTables.connectionsTableName)).toEqual(["Scan"]);
    // …and answered, but nothing goes out until the count admits the frame.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(framesTo(sender)).toEqual([]);
    admit();
    await sending;
    expect(framesTo(sender)).toEqual(["overlap"]);
  });

  it("takes no seq for a refused publish: the channel's next message has the next seq", async () => {
    const sender = await setUp(alice, 20);
    const publish = (i: number) => handlers.publish(messageEvent(sender, "publish", JSON.stringify({ action: "publish", channel: "public/limits", data: `p${i}`, id: `p${i}` }), alice));
    for (let i = 0; i < 5; i++) await publish(i);
    vi.setSystemTime(windowStart + 21 * windowMs);
    await publish(5);

    const replies = framesTo(sender).map((frame) => JSON.parse(frame) as { type?: string; seq?: number; id?: string; error?: { code: string } });
    expect(replies.filter((reply) => reply.type === "published").map((reply) => [reply.id, reply.seq])).toEqual([["p0", 1], ["p1", 2], ["p2", 3], ["p5", 4]]);
    expect(replies.filter((reply) => reply.error).map((reply) => [reply.id, reply.error!.code])).toEqual([["p3", "TooManyRequests"], ["p4", "TooManyRequests"]]);
  });
});

describe("userMessageRate 0", () => {
  it("turns the limit off: no frame is counted or refused", async () => {
    const { fixture, proxy } = await load({ USER_MESSAGE_RATE: "0", USER_MESSAGE_BURST: "1" });
    try {
      const sender = newConnectionId();
      await fixture.handlers.connect(connectEvent(sender, alice));
      for (let i = 0; i < 5; i++) await fixture.handlers.sendmessage(messageEvent(sender, "sendmessage", JSON.stringify({ action: "sendmessage", data: `free-${i}` }), alice));
      expect(fixture.management.received.get(sender)).toEqual(["free-0", "free-1", "free-2", "free-3", "free-4"]);
      expect(proxy.requests.filter((request) => request.table === testTables.rateLimitsTableName)).toEqual([]);
    } finally {
      await fixture.close();
      await proxy.close();
    }
  });
});
