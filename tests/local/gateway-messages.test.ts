import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { fails, logEntries, ok, routeTable, startHarness, TestClient, type Harness, type HarnessOptions } from "./fixtures/gateway-harness.js";

const id = expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/);

describe("gateway messages and connection lifecycle", { timeout: 5000 }, () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.gateway.close();
    harness = undefined;
  });

  async function connected(options?: HarnessOptions): Promise<{ harness: Harness; client: TestClient }> {
    harness = await startHarness(options);
    const client = await TestClient.open(`${harness.gateway.webSocketUrl}?idToken=good`, undefined, { headers: { "User-Agent": "test-agent/1.0" } });
    return { harness, client };
  }

  it("sends the selected route the MESSAGE event, with the frame as body and the authorizer context", async () => {
    // Prepare
    const { harness, client } = await connected();
    const [connect] = harness.eventsOf("connect");
    const frame = '{"action": "sendmessage",\r\n\t"data": "hi"}';

    // Act
    await client.send(frame);

    // Assess
    await expect.poll(() => harness.eventsOf("sendmessage")).toHaveLength(1);
    const [event] = harness.eventsOf("sendmessage");
    expect(Object.keys(event)).toEqual(["requestContext", "body", "isBase64Encoded"]);
    expect(Object.keys(event.requestContext)).toEqual([
      "routeKey", "messageId", "authorizer", "eventType", "extendedRequestId", "requestTime", "messageDirection", "stage",
      "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName", "connectionId", "apiId",
    ]);
    expect(event).toEqual({
      requestContext: {
        routeKey: "sendmessage",
        messageId: id,
        authorizer: { principalId: "user-1", integrationLatency: expect.any(Number), userId: "user-1", username: "alice" },
        eventType: "MESSAGE",
        extendedRequestId: event.requestContext.requestId,
        requestTime: expect.stringMatching(/ \+0000$/),
        messageDirection: "IN",
        stage: "test",
        connectedAt: connect.requestContext.connectedAt,
        requestTimeEpoch: expect.any(Number),
        identity: { userAgent: "test-agent/1.0", sourceIp: "127.0.0.1" },
        requestId: id,
        domainName: `127.0.0.1:${harness.gateway.port}`,
        connectionId: connect.requestContext.connectionId,
        apiId: "abcdef1234",
      },
      body: frame,
      isBase64Encoded: false,
    });
    expect(event.requestContext.messageId).not.toBe(event.requestContext.requestId);
    expect(event.requestContext.requestTimeEpoch).toBeGreaterThanOrEqual(connect.requestContext.connectedAt);
  });

  it("routes non-JSON, action-less, unknown and $-prefixed frames to $default", async () => {
    // Prepare
    const { harness, client } = await connected();
    const frames = ["hello", '{"data":1}', '{"action":"nosuchroute"}', '{"action":"$disconnect"}', "[1,2]", '{"action":{"x":1}}'];

    // Act
    for (const frame of frames) await client.send(frame);

    // Assess
    await expect.poll(() => harness.eventsOf("default")).toHaveLength(frames.length);
    expect(harness.eventsOf("default").map((event) => [event.requestContext.routeKey, event.body])).toEqual(frames.map((frame) => ["$default", frame]));
    expect(harness.eventsOf("disconnect")).toHaveLength(0);
  });

  it("selects routes with a template expression", async () => {
    // Prepare
    const { harness, client } = await connected({
      routeSelectionExpression: "${request.body.service}/${request.body.action}",
      routes: [...routeTable, { routeKey: "chat/join", function: "join", authorized: false }],
    });

    // Act
    await client.send('{"service":"chat","action":"join"}');
    await client.send('{"service":"chat"}');

    // Assess
    await expect.poll(() => harness.eventsOf("default")).toHaveLength(1);
    expect(harness.eventsOf("join").map((event) => event.requestContext.routeKey)).toEqual(["chat/join"]);
  });

  it("answers an unroutable frame with API Gateway's Forbidden frame when there is no $default, and stays open", async () => {
    // Prepare
    const { harness, client } = await connected({ routes: routeTable.filter((route) => route.routeKey !== "$default") });

    // Act
    await client.send("hello");
    const frame = await client.message(0);
    await client.send('{"action":"sendmessage"}');

    // Assess
    const { connectionId } = harness.eventsOf("connect")[0].requestContext;
    expect(frame).toMatch(new RegExp(`^\\{"message": "Forbidden", "connectionId":"${connectionId}", "requestId":"[A-Za-z0-9_-]{15}="\\}$`));
    await expect.poll(() => harness.eventsOf("sendmessage")).toHaveLength(1);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("discards route results and answers a failed invocation with the Internal server error frame", async () => {
    // Prepare
    const { harness, client } = await connected({
      functions: { sendmessage: () => ok({ statusCode: 200, body: "route response" }), default: () => fails("boom") },
    });

    // Act
    await client.send('{"action":"sendmessage"}');
    await expect.poll(() => harness.eventsOf("sendmessage")).toHaveLength(1);
    await client.send("fails");
    const frame = await client.message(0);

    // Assess
    const { connectionId } = harness.eventsOf("connect")[0].requestContext;
    const { requestId } = harness.eventsOf("default")[0].requestContext;
    expect(frame).toBe(`{"message": "Internal server error", "connectionId":"${connectionId}", "requestId":"${requestId}"}`);
    expect(client.messages).toEqual([frame]);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("invokes the frames of one connection in arrival order without waiting for earlier ones", async () => {
    // Prepare
    const timeline: string[] = [];
    const { client } = await connected({
      functions: {
        default: async (event) => {
          timeline.push(`start ${event.body}`);
          if (event.body === "slow") await sleep(300);
          timeline.push(`end ${event.body}`);
          return ok(null);
        },
      },
    });

    // Act
    await client.send("slow");
    await client.send("fast");

    // Assess
    await expect.poll(() => timeline).toHaveLength(4);
    expect(timeline).toEqual(["start slow", "start fast", "end fast", "end slow"]);
  });

  it("closes the connection with 1003 on a binary frame, without routing it", async () => {
    // Prepare
    const { harness, client } = await connected();

    // Act
    await client.send(Buffer.from([1, 2, 3]), { binary: true });
    const closed = await client.closed;

    // Assess
    expect(closed.code).toBe(1003);
    expect(harness.eventsOf("default")).toHaveLength(0);
    await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);
    expect(harness.eventsOf("disconnect")[0].requestContext.disconnectStatusCode).toBe(1003);
  });

  describe("size limits (frames of 1 KB, messages of 4 KB here)", () => {
    const limits = { frameBytes: 1024, messageBytes: 4096 };

    it("routes a message of several frames within both limits as one body", async () => {
      // Prepare
      const { harness, client } = await connected({ limits });
      const part = "x".repeat(1000);

      // Act
      await client.send(part, { fin: false });
      await client.send(part, { fin: false });
      await client.send(part, { fin: true });

      // Assess
      await expect.poll(() => harness.eventsOf("default")).toHaveLength(1);
      expect(harness.eventsOf("default")[0].body).toBe(part.repeat(3));
    });

    it("closes with 1009 on a frame above the frame limit, even when the message is within its limit", async () => {
      // Prepare
      const { harness, client } = await connected({ limits });

      // Act
      await client.send("y".repeat(2000));
      const closed = await client.closed;

      // Assess
      expect(closed.code).toBe(1009);
      expect(harness.eventsOf("default")).toHaveLength(0);
      await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);
      expect(harness.eventsOf("disconnect")[0].requestContext.disconnectStatusCode).toBe(1009);
    });

    it("closes with 1009 on a message above the message limit, even when every frame is within its limit", async () => {
      // Prepare
      const { harness, client } = await connected({ limits });
      const part = "z".repeat(1000);

      // Act
      for (let index = 0; index < 5; index++) await client.send(part, { fin: index === 4 }).catch(() => {});
      const closed = await client.closed;

      // Assess
      expect(closed.code).toBe(1009);
      expect(harness.eventsOf("default")).toHaveLength(0);
    });
  });

  it("closes an idle connection with 1001 Going away; only client messages count as activity", async () => {
    // Prepare
    // A wide margin between the pings (300 ms) and the idle limit (1 s), for a loaded CI machine.
    const { harness, client } = await connected({ limits: { idleTimeoutMs: 1000 } });
    const opened = Date.now();

    // Act
    for (let index = 0; index < 3; index++) {
      await sleep(300);
      await client.send("ping");
    }
    const closed = await client.closed;

    // Assess
    expect(closed).toEqual({ code: 1001, reason: "Going away" });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(900 + 1000 - 20);
    await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);
    expect(harness.eventsOf("disconnect")[0].requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: "Going away" });
  });

  it("closes a connection at the end of its lifetime with 1001 Going away, however active", async () => {
    // Prepare
    const { client } = await connected({ limits: { maxConnectionMs: 400 } });
    const opened = Date.now();

    // Act
    const chatter = setInterval(() => client.socket.readyState === client.socket.OPEN && client.socket.send("ping"), 50);
    const closed = await client.closed;
    clearInterval(chatter);

    // Assess
    expect(closed).toEqual({ code: 1001, reason: "Going away" });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(380);
  });

  it.each([
    ["with its own code and reason", (client: TestClient) => client.socket.close(4000, "bye"), 4000, "bye"],
    ["with code 1000", (client: TestClient) => client.socket.close(1000), 1000, ""],
    ["without a code", (client: TestClient) => client.socket.close(), 1005, "Client-side close frame status not set"],
    ["by dropping the TCP connection", (client: TestClient) => client.socket.terminate(), 1006, ""],
  ])("runs $disconnect after the client closes %s", async (_, close, code, reason) => {
    // Prepare
    const { harness, client } = await connected();
    const [connect] = harness.eventsOf("connect");

    // Act
    close(client);

    // Assess
    await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);
    const [event] = harness.eventsOf("disconnect");
    const host = `127.0.0.1:${harness.gateway.port}`;
    expect(event).toEqual({
      headers: { Host: host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" },
      multiValueHeaders: { Host: [host], "x-api-key": [""], "X-Forwarded-For": [""], "x-restapi": [""] },
      requestContext: {
        routeKey: "$disconnect",
        disconnectStatusCode: code,
        authorizer: connect.requestContext.authorizer,
        eventType: "DISCONNECT",
        extendedRequestId: event.requestContext.requestId,
        requestTime: expect.stringMatching(/ \+0000$/),
        messageDirection: "IN",
        disconnectReason: reason,
        stage: "test",
        connectedAt: connect.requestContext.connectedAt,
        requestTimeEpoch: expect.any(Number),
        identity: { userAgent: "test-agent/1.0", sourceIp: "127.0.0.1" },
        requestId: id,
        domainName: host,
        connectionId: connect.requestContext.connectionId,
        apiId: "abcdef1234",
      },
      isBase64Encoded: false,
    });
    expect(Object.keys(event.requestContext).slice(0, 8)).toEqual([
      "routeKey", "disconnectStatusCode", "authorizer", "eventType", "extendedRequestId", "requestTime", "messageDirection", "disconnectReason",
    ]);
  });

  it("runs $disconnect (1006) when the client leaves while $connect runs", async () => {
    // Prepare
    let connecting!: () => void;
    const inConnect = new Promise<void>((resolve) => (connecting = resolve));
    harness = await startHarness({
      functions: { connect: () => (connecting(), sleep(200).then(() => ok({ statusCode: 200 }))) },
    });
    const socket = new WebSocket(`${harness.gateway.webSocketUrl}?idToken=good`);
    socket.on("error", () => {});

    // Act
    await inConnect;
    socket.terminate();

    // Assess
    await expect.poll(() => harness!.eventsOf("disconnect")).toHaveLength(1);
    expect(harness.eventsOf("disconnect")[0].requestContext).toMatchObject({
      connectionId: harness.eventsOf("connect")[0].requestContext.connectionId,
      disconnectStatusCode: 1006,
    });
  });

  it("closes every connection with 1001 Going away on shutdown, runs $disconnect, and stops listening", async () => {
    // Prepare
    const { harness, client } = await connected();
    const { gateway } = harness;

    // Act
    await gateway.close();
    const closed = await client.closed;

    // Assess
    expect(closed).toEqual({ code: 1001, reason: "Going away" });
    expect(harness.eventsOf("disconnect").map((event) => event.requestContext.disconnectStatusCode)).toEqual([1001]);
    await expect(TestClient.open(`${gateway.webSocketUrl}?idToken=good`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("writes one access-log line per event, without query strings, headers or tokens", async () => {
    // Prepare
    const token = "eyJhbGciOiJSUzI1NiJ9.secret-token-value";
    harness = await startHarness({
      functions: {
        authorizer: () => ok({ principalId: "user-1", policyDocument: { Statement: [{ Action: "*", Effect: "Allow", Resource: "*" }] } }),
        connect: () => ok({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "chat" } }),
      },
    });
    const client = await TestClient.open(`${harness.gateway.webSocketUrl}?idToken=${token}`, [`token.${token}`, "chat"], { headers: { Authorization: token } });
    const { connectionId } = harness.eventsOf("connect")[0].requestContext;

    // Act
    await client.send('{"action":"sendmessage"}');
    client.socket.close();

    // Assess
    await expect.poll(() => logEntries(harness!).length).toBe(3);
    const entries = logEntries(harness);
    expect(entries.map((entry) => [entry.eventType, entry.routeKey, entry.connectionId, entry.status])).toEqual([
      ["CONNECT", "$connect", connectionId, 200],
      ["MESSAGE", "sendmessage", connectionId, 200],
      ["DISCONNECT", "$disconnect", connectionId, 200],
    ]);
    for (const entry of entries) {
      expect(entry).toEqual(expect.objectContaining({ requestId: expect.any(String), latency: expect.any(Number) }));
    }
    const text = harness.logs.join("\n");
    expect(text).not.toContain("secret-token-value");
    expect(text).not.toContain("idToken");
    expect(text).not.toContain("Sec-WebSocket");
  });
});
