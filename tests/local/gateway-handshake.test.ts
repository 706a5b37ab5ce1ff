import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocketServer } from "ws";
import { allowPolicy, fails, handshake, ok, rawHandshake, routeTable, startHarness, TestClient, type Harness, type HarnessOptions } from "./fixtures/gateway-harness.js";

const methodArn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/$connect";
const id = expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/);
const clf = expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);

describe("gateway handshake", { timeout: 5000 }, () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await harness?.gateway.close();
    harness = undefined;
  });
  const start = async (options?: HarnessOptions) => (harness = await startHarness(options));

  it("serves the stage on 127.0.0.1 and upgrades only the stage path", async () => {
    // Prepare
    const { gateway } = await start();
    const base = `ws://127.0.0.1:${gateway.port}`;

    // Act
    const results = await Promise.all([
      handshake(`${base}/test?idToken=good`),
      handshake(`${base}/other?idToken=good`),
      handshake(`${base}/test/more?idToken=good`),
      handshake(`${base}/?idToken=good`),
    ]);

    // Assess
    expect(gateway.webSocketUrl).toBe(`${base}/test`);
    expect(gateway.managementApiUrl).toBe(`http://127.0.0.1:${gateway.port}/test`);
    expect(results.map((result) => result.status)).toEqual([101, 403, 403, 403]);
    expect(results[1]!.body).toBe('{"message":"Forbidden"}');
  });

  it("answers 401 without calling the authorizer when the identity source is missing or empty", async () => {
    // Prepare
    const { gateway, eventsOf } = await start();

    // Act
    const missing = await handshake(gateway.webSocketUrl);
    const empty = await handshake(`${gateway.webSocketUrl}?idToken=`);
    const other = await handshake(`${gateway.webSocketUrl}?token=good`);

    // Assess
    expect([missing.status, empty.status, other.status]).toEqual([401, 401, 401]);
    expect(eventsOf("authorizer")).toHaveLength(0);
    expect(eventsOf("connect")).toHaveLength(0);
  });

  it("supports header identity sources, looked up case-insensitively", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({
      identitySources: ["route.request.header.Auth"],
      functions: { authorizer: () => ok(allowPolicy("user-1")) },
    });

    // Act
    const without = await handshake(gateway.webSocketUrl);
    const withHeader = await handshake(gateway.webSocketUrl, undefined, { headers: { auth: "token" } });

    // Assess
    expect(without.status).toBe(401);
    expect(withHeader.status).toBe(101);
    expect(eventsOf("authorizer")).toHaveLength(1);
  });

  it("sends the authorizer the REQUEST event API Gateway sends", async () => {
    // Prepare
    const { gateway, eventsOf } = await start();

    // Act
    const result = await handshake(`${gateway.webSocketUrl}?idToken=good&tag=a&tag=b`, undefined, {
      headers: { HeaderAuth1: "headerValue1", "User-Agent": "test-agent/1.0" },
    });

    // Assess
    expect(result.status).toBe(101);
    const [event] = eventsOf("authorizer");
    const host = `127.0.0.1:${gateway.port}`;
    expect(Object.keys(event)).toEqual([
      "type",
      "methodArn",
      "headers",
      "multiValueHeaders",
      "queryStringParameters",
      "multiValueQueryStringParameters",
      "stageVariables",
      "requestContext",
    ]);
    expect(event).toEqual({
      type: "REQUEST",
      methodArn,
      headers: {
        Connection: "upgrade",
        "content-length": "0",
        HeaderAuth1: "headerValue1",
        Host: host,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
        "Sec-WebSocket-Version": "13",
        Upgrade: "websocket",
        "User-Agent": "test-agent/1.0",
        "X-Amzn-Trace-Id": expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": String(gateway.port),
        "X-Forwarded-Proto": "http",
      },
      multiValueHeaders: Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: { idToken: "good", tag: "b" },
      multiValueQueryStringParameters: { idToken: ["good"], tag: ["a", "b"] },
      stageVariables: {},
      requestContext: {
        routeKey: "$connect",
        eventType: "CONNECT",
        extendedRequestId: event.requestContext.requestId,
        requestTime: clf,
        messageDirection: "IN",
        stage: "test",
        connectedAt: event.requestContext.requestTimeEpoch,
        requestTimeEpoch: expect.any(Number),
        identity: { userAgent: "test-agent/1.0", sourceIp: "127.0.0.1" },
        requestId: id,
        domainName: host,
        connectionId: id,
        apiId: "abcdef1234",
      },
    });
    expect(Object.keys(event.headers)).toEqual(Object.keys(event.headers).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
  });

  it("gives the authorizer event empty query maps when the URL has no query string", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({ identitySources: [], functions: { authorizer: () => ok(allowPolicy("user-1")) } });

    // Act
    await handshake(gateway.webSocketUrl);

    // Assess
    const [event] = eventsOf("authorizer");
    expect(event.queryStringParameters).toEqual({});
    expect(event.multiValueQueryStringParameters).toEqual({});
  });

  const bigContext = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key${i}`, "x".repeat(80)]));
  it.each([
    ["throws Unauthorized", fails("Unauthorized"), 401],
    ["throws anything else", fails("boom"), 500],
    ["returns an explicit Deny", ok({ ...allowPolicy("u"), policyDocument: { Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: methodArn }] } }), 403],
    ["Denies one statement and Allows another", ok({ ...allowPolicy("u"), policyDocument: { Statement: [allowPolicy("u").policyDocument.Statement[0], { Action: "*", Effect: "Deny", Resource: "*" }] } }), 403],
    ["Allows another resource", ok(allowPolicy("u", {}, "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect")), 403],
    ["Allows another action", ok({ ...allowPolicy("u"), policyDocument: { Statement: [{ Action: "execute-api:ManageConnections", Effect: "Allow", Resource: methodArn }] } }), 403],
    ["Allows a wildcard resource", ok(allowPolicy("u", {}, "arn:aws:execute-api:us-east-1:*:abcdef1234/*")), 101],
    ["Allows execute-api:* on a list of resources", ok({ ...allowPolicy("u"), policyDocument: { Statement: [{ Action: ["execute-api:*"], Effect: "Allow", Resource: ["arn:other", "arn:aws:execute-api:*:*:*"] }] } }), 101],
    ["returns no principalId", ok({ policyDocument: allowPolicy("u").policyDocument }), 500],
    ["returns no policyDocument", ok({ principalId: "u" }), 500],
    ["returns an object in the context", ok(allowPolicy("u", { groups: ["a"] })), 500],
    ["returns more than 8 KB", ok(allowPolicy("u", bigContext)), 500],
  ])("answers the handshake when the authorizer %s", async (_, result, status) => {
    // Prepare
    const { gateway, eventsOf } = await start({ functions: { authorizer: () => result } });

    // Act
    const outcome = await handshake(`${gateway.webSocketUrl}?idToken=x`);

    // Assess
    expect(outcome.status).toBe(status);
    expect(eventsOf("connect")).toHaveLength(status === 101 ? 1 : 0);
  });

  it("sends $connect the proxy event, with the authorizer's principal and context as strings", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({
      functions: { authorizer: () => ok(allowPolicy("user-1", { userId: "user-1", admin: true, level: 3 }, "*")) },
    });

    // Act
    await handshake(`${gateway.webSocketUrl}?idToken=good`, undefined, { headers: { "X-Forwarded-For": "192.0.2.7" } });

    // Assess
    const [authorizerEvent] = eventsOf("authorizer");
    const [event] = eventsOf("connect");
    expect(Object.keys(event)).toEqual(["headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "requestContext", "isBase64Encoded"]);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers).not.toHaveProperty("Connection");
    expect(event.headers).not.toHaveProperty("Upgrade");
    expect(event.headers).not.toHaveProperty("content-length");
    expect(event.headers["X-Forwarded-For"]).toBe("192.0.2.7, 127.0.0.1");
    expect(event.queryStringParameters).toEqual({ idToken: "good" });
    expect(Object.keys(event.requestContext)).toEqual([
      "routeKey", "authorizer", "eventType", "extendedRequestId", "requestTime", "messageDirection", "stage",
      "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName", "connectionId", "apiId",
    ]);
    expect(event.requestContext).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      authorizer: { principalId: "user-1", integrationLatency: expect.any(Number), userId: "user-1", admin: "true", level: "3" },
      requestId: authorizerEvent.requestContext.requestId,
      connectionId: authorizerEvent.requestContext.connectionId,
    });
  });

  it("leaves the query maps out of the $connect event when the URL has no query string", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({ routes: routeTable.map((route) => ({ ...route, authorized: false })) });

    // Act
    await handshake(gateway.webSocketUrl);

    // Assess
    const [event] = eventsOf("connect");
    expect(event).not.toHaveProperty("queryStringParameters");
    expect(event).not.toHaveProperty("multiValueQueryStringParameters");
    expect(event.requestContext).not.toHaveProperty("authorizer");
    expect(eventsOf("authorizer")).toHaveLength(0);
  });

  it.each([
    [{ statusCode: 200 }, 101],
    [{ statusCode: 201, body: "Connected." }, 101],
    [{ statusCode: 400 }, 400],
    [{ statusCode: 301 }, 301],
    [{ statusCode: 401 }, 401],
    [{ statusCode: 501 }, 501],
  ])("turns the $connect result %o into the handshake status %i", async (result, status) => {
    // Prepare
    const { gateway } = await start({ functions: { connect: () => ok(result) } });

    // Act
    const outcome = await handshake(`${gateway.webSocketUrl}?idToken=good`);

    // Assess
    expect(outcome.status).toBe(status);
    expect(outcome.body ?? "").toBe("");
  });

  it("answers 502 when $connect throws, and runs no $disconnect for a refused handshake", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({ functions: { connect: () => fails("database down") } });

    // Act
    const outcome = await handshake(`${gateway.webSocketUrl}?idToken=good`);
    await gateway.close();

    // Assess
    expect(outcome.status).toBe(502);
    expect(eventsOf("disconnect")).toHaveLength(0);
  });

  it("echoes only the subprotocol that $connect selects", async () => {
    // Prepare
    const { gateway } = await start({
      identitySources: [],
      functions: {
        authorizer: () => ok(allowPolicy("u", {}, "*")),
        connect: (event) => {
          const offered: string = event.headers["Sec-WebSocket-Protocol"];
          return ok(offered.includes("chat") ? { statusCode: 200, headers: { "sec-websocket-protocol": "chat", "X-Other": "hidden" } } : { statusCode: 200 });
        },
      },
    });

    // Act
    const selected = await handshake(gateway.webSocketUrl, ["token.abc", "chat"]);
    const none = handshake(gateway.webSocketUrl, ["token.abc", "json"]);

    // Assess
    expect(selected).toEqual({ status: 101, protocol: "chat" });
    // ws on its own would have picked the first offer; API Gateway picks nothing, and clients
    // that offered subprotocols (ws, browsers) then give up.
    await expect(none).rejects.toThrow("Server sent no subprotocol");
  });

  it("sends the subprotocol $connect returns even when the client did not offer it (the client then fails)", async () => {
    // Prepare
    const { gateway } = await start({ functions: { connect: () => ok({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "other" } }) } });

    // Act
    const outcome = handshake(`${gateway.webSocketUrl}?idToken=good`, ["chat"]);

    // Assess
    await expect(outcome).rejects.toThrow(/subprotocol/);
  });

  it("accepts every connection when there is no $connect route", async () => {
    // Prepare
    const { gateway, calls } = await start({ routes: [{ routeKey: "$default", function: "default", authorized: false }] });

    // Act
    const client = await TestClient.open(gateway.webSocketUrl);

    // Assess
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    expect(calls).toHaveLength(0);
    client.socket.close();
  });

  it.each(["json, aaaa.bbbb.cccc, aaaa.bbbb.cccc", "json x, aaaa.bbbb.cccc", "json,,aaaa.bbbb.cccc", "json, aaaa.bbbb.cccc,"])(
    "refuses Sec-WebSocket-Protocol %j, which the upgrade would refuse, with 400 before the authorizer: no $connect, no record",
    async (offered) => {
      // Prepare
      const { gateway, calls } = await start();

      // Act
      const outcome = await handshake(`${gateway.webSocketUrl}?idToken=good`, undefined, { headers: { "Sec-WebSocket-Protocol": offered } });

      // Assess
      expect(outcome.status).toBe(400);
      expect(calls).toEqual([]);
    },
  );

  it("accepts a well-formed subprotocol list, also when split over two headers", async () => {
    // Prepare
    const { gateway, eventsOf } = await start();

    // Act
    const status = await rawHandshake(`${gateway.webSocketUrl}?idToken=good`, ["Sec-WebSocket-Protocol: json", "Sec-WebSocket-Protocol: aaaa.bbbb.cccc"]);

    // Assess
    expect(status).toBe(101);
    expect(eventsOf("authorizer")[0].multiValueHeaders["Sec-WebSocket-Protocol"]).toEqual(["json", "aaaa.bbbb.cccc"]);
  });

  it("runs $disconnect when the upgrade fails after $connect succeeded, so that no record outlives the handshake", async () => {
    // Prepare: ws refusing a handshake that the gateway's own checks let through.
    const { gateway, eventsOf } = await start();
    vi.spyOn(WebSocketServer.prototype, "handleUpgrade").mockImplementationOnce((_request, socket) => {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    });

    // Act
    const outcome = await handshake(`${gateway.webSocketUrl}?idToken=good`);

    // Assess
    expect(outcome.status).toBe(400);
    await vi.waitFor(() => expect(eventsOf("disconnect")).toHaveLength(1));
    const [connected] = eventsOf("connect");
    expect(eventsOf("disconnect")[0].requestContext).toMatchObject({ connectionId: connected.requestContext.connectionId, disconnectStatusCode: 1006 });
  });

  it("takes query parameters and headers named __proto__, constructor or toString as ordinary ones", async () => {
    // Prepare
    const { gateway, eventsOf } = await start();

    // Act
    const query = await handshake(`${gateway.webSocketUrl}?idToken=good&__proto__=a&constructor=b&toString=c&constructor=d`);
    const headers = await rawHandshake(`${gateway.webSocketUrl}?idToken=good`, ["__proto__: a", "constructor: b", "toString: c"]);

    // Assess
    expect([query.status, headers]).toEqual([101, 101]);
    const [first, second] = eventsOf("authorizer");
    expect(Object.entries(first.queryStringParameters)).toEqual([["idToken", "good"], ["__proto__", "a"], ["constructor", "d"], ["toString", "c"]]);
    expect(Object.entries(first.multiValueQueryStringParameters)).toContainEqual(["constructor", ["b", "d"]]);
    expect(Object.entries(second.headers)).toEqual(expect.arrayContaining([["__proto__", "a"], ["constructor", "b"], ["toString", "c"]]));
    expect(Object.entries(second.multiValueHeaders)).toEqual(expect.arrayContaining([["__proto__", ["a"]], ["constructor", ["b"]]]));
    expect(eventsOf("connect")).toHaveLength(2);
  });

  it("looks a header identity source up among the request's own headers", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({ identitySources: ["route.request.header.constructor"], functions: { authorizer: () => ok(allowPolicy("user-1")) } });

    // Act
    const without = await handshake(gateway.webSocketUrl);
    const withHeader = await rawHandshake(gateway.webSocketUrl, ["constructor: token"]);

    // Assess
    expect([without.status, withHeader]).toEqual([401, 101]);
    expect(eventsOf("authorizer")).toHaveLength(1);
  });

  it("closes TCP connections that send no complete request within the handshake timeout, and only those", async () => {
    // Prepare
    const { gateway, eventsOf } = await start({ limits: { handshakeTimeoutMs: 200 } });
    const closed = (socket: ReturnType<typeof connect>) => new Promise<"closed">((resolve) => socket.once("close", () => resolve("closed")));
    const silent = connect(gateway.port, "127.0.0.1");
    const partial = connect(gateway.port, "127.0.0.1", () => partial.write("GET /test?idToken=good HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    silent.on("error", () => {});
    partial.on("error", () => {});

    // Act
    const client = await TestClient.open(`${gateway.webSocketUrl}?idToken=good`);
    const outcomes = await Promise.race([Promise.all([closed(silent), closed(partial)]), sleep(3000).then(() => "still open")]);
    await sleep(300);
    await client.send("still here");

    // Assess
    expect(outcomes).toEqual(["closed", "closed"]);
    await vi.waitFor(() => expect(eventsOf("default").map((event) => event.body)).toEqual(["still here"]));
    client.socket.close();
  });

  it("rejects route tables API Gateway would reject", async () => {
    // Act / Assess
    await expect(start({ routes: [{ routeKey: "sendmessage", function: "f", authorized: true }] })).rejects.toThrow(/only \$connect/);
    await expect(start({ authorizer: undefined })).rejects.toThrow(/no authorizer/);
    await expect(start({ identitySources: ["$request.header.Auth"] })).rejects.toThrow(/identity source/);
  });
});
