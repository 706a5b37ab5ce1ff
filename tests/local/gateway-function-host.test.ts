import { afterEach, describe, expect, it } from "vitest";
import { createFunctionHost, type FunctionHost, type LogRecord } from "../../local/function-host.js";
import { startGateway, type Gateway } from "../../local/gateway/index.js";
import { TestClient } from "./fixtures/gateway-harness.js";

describe("gateway with the function host", { timeout: 10_000 }, () => {
  let gateway: Gateway | undefined;
  let host: FunctionHost | undefined;
  afterEach(async () => {
    await gateway?.close();
    await host?.close();
  });

  it("runs a Lambda bundle in a worker that replies through the management API", async () => {
    // Prepare
    const logs: LogRecord[] = [];
    gateway = await startGateway({
      routes: [
        { routeKey: "$connect", function: "echo", authorized: false },
        { routeKey: "$default", function: "echo", authorized: false },
      ],
      invoke: (name, event) => host!.invoke(name, event),
      log: (record) => logs.push(record),
    });
    host = createFunctionHost({
      functions: {
        echo: {
          bundle: "tests/local/fixtures/echo-function.mjs",
          environment: { MANAGEMENT_API_URL: gateway.managementApiUrl },
        },
      },
      log: (record) => logs.push(record),
    });
    const client = await TestClient.open(gateway.webSocketUrl);

    // Act
    await client.send("hello");
    const reply = await client.message(0);

    // Assess
    expect(reply).toBe("anonymous: hello");
    await expect.poll(() => logs.filter((record) => record.source === "echo").map((record) => JSON.parse(record.line).eventType)).toEqual(["CONNECT", "MESSAGE"]);
    expect(logs.filter((record) => record.source === "gateway").map((record) => JSON.parse(record.line).status)).toEqual([200, 200, 200]);
  });

  it("drops a post held by the hold fault when the worker that sent it is ended by its timeout, then delivers the next one", async () => {
    // Prepare
    const logs: LogRecord[] = [];
    gateway = await startGateway({
      routes: [{ routeKey: "$default", function: "echo", authorized: false }],
      invoke: (name, event) => host!.invoke(name, event),
      faults: { holdPostsAfter: 1 },
      log: (record) => logs.push(record),
    });
    host = createFunctionHost({
      functions: { echo: { bundle: "tests/local/fixtures/echo-function.mjs", environment: { MANAGEMENT_API_URL: gateway.managementApiUrl }, timeoutMs: 1000 } },
      log: (record) => logs.push(record),
    });
    const client = await TestClient.open(gateway.webSocketUrl);
    const dropped = () => logs.filter((record) => record.source === "gateway" && JSON.parse(record.line).fault !== undefined);

    // Act
    await client.send("one");
    await client.message(0);
    await client.send("two");
    await expect.poll(dropped).toHaveLength(1);
    await client.send("three");
    await client.message(2);

    // Assess
    expect(client.messages[0]).toBe("anonymous: one");
    // The held post never arrived; its invocation timed out, which API Gateway reports to the client.
    expect(JSON.parse(client.messages[1]!)).toMatchObject({ message: "Internal server error" });
    expect(client.messages[2]).toBe("anonymous: three");
    expect(client.messages).toHaveLength(3);
  });
});
