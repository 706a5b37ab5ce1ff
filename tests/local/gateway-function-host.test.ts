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
});
