import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { request as httpRequest } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { logEntries, startHarness, TestClient, type Harness, type HarnessOptions } from "./fixtures/gateway-harness.js";

describe("gateway @connections management API", { timeout: 5000 }, () => {
  let harness: Harness | undefined;
  let sdk: ApiGatewayManagementApiClient | undefined;
  afterEach(async () => {
    sdk?.destroy();
    await harness?.gateway.close();
    harness = undefined;
  });

  /** A gateway, one connected client, and the real SDK client pointed at the management endpoint. */
  async function connected(options?: HarnessOptions) {
    harness = await startHarness(options);
    const client = await TestClient.open(`${harness.gateway.webSocketUrl}?idToken=good`, undefined, { headers: { "User-Agent": "test-agent/1.0" } });
    const connectionId: string = harness.eventsOf("connect")[0].requestContext.connectionId;
    sdk = new ApiGatewayManagementApiClient({
      endpoint: harness.gateway.managementApiUrl,
      region: "us-east-1",
      credentials: { accessKeyId: "dummy", secretAccessKey: "dummy" },
      maxAttempts: 1,
    });
    return { harness, client, connectionId, sdk };
  }

  it("delivers a PostToConnection body to the client as one text message", async () => {
    // Prepare
    const { client, connectionId, sdk } = await connected();

    // Act
    const output = await sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"hello":"world"}' }));
    const message = await client.message(0);

    // Assess
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(message).toBe('{"hello":"world"}');
  });

  it("delivers a post larger than one frame as one message, and refuses one above 128 KB with PayloadTooLargeException", async () => {
    // Prepare
    const { client, connectionId, sdk } = await connected();
    const large = "a".repeat(128 * 1024);

    // Act
    await sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: large }));
    const message = await client.message(0);
    const tooLarge = sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `${large}b` }));

    // Assess
    expect(message).toBe(large);
    await expect(tooLarge).rejects.toBeInstanceOf(PayloadTooLargeException);
    await sleep(50);
    expect(client.messages).toHaveLength(1);
  });

  it("answers a post once the message is taken for the connection, not once the client has read it; posts keep their order", async () => {
    // Prepare: a client that reads nothing, so that its socket's buffers fill up.
    const { client, connectionId, sdk } = await connected();
    const raw = (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const posts = 64;
    const body = (index: number) => `${String(index).padStart(4, "0")}${"x".repeat(128 * 1024 - 4)}`;

    // Act: 8 MB, each post sent once the one before it is answered.
    for (let index = 0; index < posts; index++) await sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: body(index) }));
    raw.resume();
    await client.message(posts - 1);

    // Assess
    expect(client.messages.map((message) => Number(message.slice(0, 4)))).toEqual(Array.from({ length: posts }, (_, index) => index));
    expect(client.messages.every((message, index) => message === body(index))).toBe(true);
  });

  it("describes a connection with GetConnection; only client messages move lastActiveAt", async () => {
    // Prepare
    const { harness, client, connectionId, sdk } = await connected();
    const connectedAt = harness.eventsOf("connect")[0].requestContext.connectedAt;

    // Act
    const before = await sdk.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await sleep(20);
    await sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "x" }));
    const afterPost = await sdk.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await client.send("activity");
    await expect.poll(() => harness.eventsOf("default")).toHaveLength(1);
    const afterMessage = await sdk.send(new GetConnectionCommand({ ConnectionId: connectionId }));

    // Assess
    expect(before.ConnectedAt).toEqual(new Date(connectedAt));
    expect(before.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "test-agent/1.0" });
    expect(before.LastActiveAt).toEqual(new Date(connectedAt));
    expect(afterPost.LastActiveAt).toEqual(before.LastActiveAt);
    expect(afterMessage.LastActiveAt!.getTime()).toBeGreaterThan(connectedAt);
  });

  it("sends GetConnection fields as camelCase RFC 3339 strings on the wire", async () => {
    // Prepare
    const { harness, connectionId } = await connected();

    // Act
    const response = await fetch(`${harness.gateway.managementApiUrl}/%40connections/${encodeURIComponent(connectionId)}`);
    const body = await response.json();

    // Assess
    expect(response.status).toBe(200);
    expect(body).toEqual({
      connectedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      identity: { sourceIp: "127.0.0.1", userAgent: "test-agent/1.0" },
      lastActiveAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
  });

  it("closes the connection with 1000 on DeleteConnection, answers 204, and runs $disconnect", async () => {
    // Prepare
    const { harness, client, connectionId, sdk } = await connected();

    // Act
    const output = await sdk.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    const closed = await client.closed;

    // Assess
    expect(output.$metadata.httpStatusCode).toBe(204);
    expect(closed).toEqual({ code: 1000, reason: "Connection Closed Normally" });
    await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);
    expect(harness.eventsOf("disconnect")[0].requestContext).toMatchObject({
      connectionId,
      disconnectStatusCode: 1000,
      disconnectReason: "Connection Closed Normally",
    });
  });

  it("raises GoneException for unknown and closed connections", async () => {
    // Prepare
    const { harness, client, connectionId, sdk } = await connected();
    client.socket.close();
    await expect.poll(() => harness.eventsOf("disconnect")).toHaveLength(1);

    // Act
    const outcomes = await Promise.allSettled([
      sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "late" })),
      sdk.send(new GetConnectionCommand({ ConnectionId: connectionId })),
      sdk.send(new DeleteConnectionCommand({ ConnectionId: connectionId })),
      sdk.send(new PostToConnectionCommand({ ConnectionId: "AAAAAAAAAAAAAAA=", Data: "nobody" })),
    ]);

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(GoneException);
    }
    const raw = await fetch(`${harness.gateway.managementApiUrl}/@connections/nobody`, { method: "POST", body: "x" });
    expect(raw.status).toBe(410);
    expect(raw.headers.get("x-amzn-ErrorType")).toBe("GoneException");
  });

  it("accepts %40connections and URL-encoded ids, as other clients send them", async () => {
    // Prepare
    const { harness, client, connectionId } = await connected();

    // Act
    const response = await fetch(`${harness.gateway.managementApiUrl}/%40connections/${connectionId.replace("=", "%3D")}`, { method: "POST", body: "via fetch" });

    // Assess
    expect(response.status).toBe(200);
    expect(await client.message(0)).toBe("via fetch");
  });

  it("answers other paths with ForbiddenException", async () => {
    // Prepare
    const { harness, connectionId } = await connected();
    const wrongStage = new ApiGatewayManagementApiClient({
      endpoint: `http://127.0.0.1:${harness.gateway.port}/prod`,
      region: "us-east-1",
      credentials: { accessKeyId: "dummy", secretAccessKey: "dummy" },
      maxAttempts: 1,
    });

    // Act
    const attempt = wrongStage.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "x" }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenException);
    wrongStage.destroy();
  });

  it("turns away a DNS-rebound name in Host, and answers the loopback names", async () => {
    // Prepare
    const { harness, client, connectionId } = await connected();
    const port = harness.gateway.port;
    const call = (method: string, host: string, body?: string) =>
      new Promise<{ status: number; errorType: string | undefined }>((resolve, reject) => {
        const path = `/test/@connections/${encodeURIComponent(connectionId)}`;
        const request = httpRequest({ host: "127.0.0.1", port, path, method, headers: { Host: host } }, (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, errorType: response.headers["x-amzn-errortype"] as string | undefined });
        });
        request.on("error", reject);
        request.end(body);
      });
    const rebound = `rebind.attacker.example:${port}`;

    // Act
    const refused = [await call("POST", rebound, "from the attacker's page"), await call("GET", rebound), await call("DELETE", rebound)];
    const answered = [await call("GET", `localhost:${port}`), await call("GET", `[::1]:${port}`), await call("POST", `127.0.0.1:${port}`, "from the service")];

    // Assess
    expect(refused).toEqual(Array(3).fill({ status: 403, errorType: "ForbiddenException" }));
    expect(answered.map((outcome) => outcome.status)).toEqual([200, 200, 200]);
    expect(await client.message(0)).toBe("from the service");
    expect(client.messages).toEqual(["from the service"]);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("does not count posts as activity: an idle client is still closed", async () => {
    // Prepare
    const { client, connectionId, sdk } = await connected({ limits: { idleTimeoutMs: 300 } });

    // Act
    const posting = setInterval(() => void sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "push" })).catch(() => {}), 50);
    const closed = await client.closed;
    clearInterval(posting);

    // Assess
    // Had posts counted, the connection would stay open and the test time out.
    expect(closed).toEqual({ code: 1001, reason: "Going away" });
    expect(client.messages.length).toBeGreaterThan(0);
  });

  it("throttles @connections calls above the account's rate once the burst is spent: 429 LimitExceededException, nothing delivered, served again after", async () => {
    // Prepare
    const { harness, client, connectionId, sdk } = await connected({ limits: { connectionsApiRate: 0.5, connectionsApiBurst: 5 } });

    // Act
    // Twenty at once: at one token every 2 s, five get through, and one more for each 2 s they take.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `post ${index}` }))),
    );
    const throttledGet = await fetch(`${harness.gateway.managementApiUrl}/@connections/${encodeURIComponent(connectionId)}`);

    // Assess
    const served = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
    const refused = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
    expect(served).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error).toBeInstanceOf(LimitExceededException);
      expect(error.$metadata.httpStatusCode).toBe(429);
    }
    // Every kind of @connections call draws on the same quota.
    expect(throttledGet.status).toBe(429);
    expect(throttledGet.headers.get("x-amzn-errortype")).toBe("LimitExceededException");
    await sleep(50);
    expect(client.messages).toHaveLength(served);
    // Tokens come back at the rate: posts are served again.
    await expect
      .poll(() => sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "later" })).then(() => "served", (error: Error) => error.name), { interval: 250 })
      .toBe("served");
    await expect.poll(() => client.messages.at(-1)).toBe("later");
  });

  it("holds posts after the first n, when the hold fault is on, until their callers leave; drops them undelivered; then serves posts again", async () => {
    // Prepare
    const { harness, client, connectionId } = await connected({ faults: { holdPostsAfter: 2 } });
    const post = (data: string) => {
      // A socket of its own per call (no keep-alive), as each ended worker's.
      const request = httpRequest(`${harness.gateway.managementApiUrl}/@connections/${encodeURIComponent(connectionId)}`, { method: "POST", agent: false });
      const answered = new Promise<number>((resolve, reject) => {
        request.on("response", (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
      });
      request.end(data);
      return { request, answered };
    };
    const held = () => logEntries(harness).filter((entry) => entry.fault !== undefined);

    // Act
    const first = await post("one").answered;
    const second = await post("two").answered;
    const third = post("three");
    const fourth = post("four");
    let answers = 0;
    void third.answered.then(() => answers++, () => {});
    void fourth.answered.then(() => answers++, () => {});
    await sleep(300);
    const answersWhileHeld = answers;
    const messagesWhileHeld = [...client.messages];
    // The caller goes away (a worker ended by its timeout).
    third.request.destroy();
    fourth.request.destroy();
    await expect.poll(held).toHaveLength(2);
    const fifth = await post("five").answered;

    // Assess
    expect([first, second, fifth]).toEqual([200, 200, 200]);
    expect(answersWhileHeld).toBe(0);
    expect(messagesWhileHeld).toEqual(["one", "two"]);
    expect(await client.message(2)).toBe("five");
    expect(client.messages).toEqual(["one", "two", "five"]);
    expect(held()).toEqual([expect.objectContaining({ httpMethod: "POST", connectionId }), expect.objectContaining({ httpMethod: "POST", connectionId })]);
  });
});
