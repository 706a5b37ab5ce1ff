import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createFunctionHost, type FunctionHost, type LogRecord } from "../../local/function-host.js";
import { startLambdaEndpoint, type LambdaEndpoint, type LambdaEndpointOptions } from "../../local/lambda-endpoint.js";
import { invokeLambda, type InvokeOptions } from "../support/lambda.js";

const probe = "tests/local/fixtures/probe-function.mjs";
const region = "eu-west-1";
const account = "123456789012";

describe("Lambda Invoke endpoint", { timeout: 20_000 }, () => {
  let host: FunctionHost | undefined;
  let lambda: LambdaEndpoint | undefined;
  afterEach(async () => {
    await lambda?.close();
    await host?.close();
    lambda = host = undefined;
  });

  /** The endpoint in front of a function host running the probe bundle as `alpha`, and as `brief` with a 300 ms timeout. */
  async function start(options: Partial<LambdaEndpointOptions> = {}) {
    const logs: LogRecord[] = [];
    host = createFunctionHost({
      functions: { alpha: { bundle: probe, environment: {} }, brief: { bundle: probe, environment: {}, timeoutMs: 300 } },
      region,
      accountId: account,
      log: (record) => logs.push(record),
    });
    lambda = await startLambdaEndpoint({
      host: "127.0.0.1",
      region,
      accountId: account,
      functions: ["alpha", "brief"],
      invoke: host.invoke,
      retryDelaysMs: [20, 40],
      log: (record) => logs.push(record),
      ...options,
    });
    return { endpoint: lambda.endpoint, logs, parsed: () => logs.flatMap((record) => (record.line.startsWith("{") ? [{ ...record, ...JSON.parse(record.line) }] : [])) };
  }

  it("answers an Event invocation 202 with an empty body and runs the function once, under the request id it answered with", async () => {
    // Prepare
    const { endpoint, parsed } = await start();
    const message = randomUUID();

    // Act
    const response = await invoke(endpoint, "alpha", { action: "record", message }, { type: "Event" });

    // Assess
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    const requestId = response.headers.get("x-amzn-requestid");
    await expect.poll(() => parsed().filter((line) => line.message === message)).toEqual([expect.objectContaining({ source: "alpha", requestId })]);
    // Past both retry delays: a run that succeeded is not run again.
    await sleep(200);
    expect(parsed().filter((line) => line.message === message)).toHaveLength(1);
  });

  it.each([
    ["throws", "alpha", { action: "throw", message: "boom" }, "Error", "boom"],
    ["times out", "brief", { action: "sleep", ms: 5000 }, "Sandbox.Timedout", "Task timed out after 0.30 seconds"],
  ])("runs an asynchronous invocation whose function %s three times in all, then logs one ERROR line naming the function, the request and the error, never the payload", async (_, functionName, payload, errorType, errorText) => {
    // Prepare
    const { endpoint, logs, parsed } = await start();
    const secret = `user-data-${randomUUID()}`;

    // Act
    const response = await invoke(endpoint, functionName, { ...payload, secret }, { type: "Event" });
    const requestId = response.headers.get("x-amzn-requestid");

    // Assess
    expect(response.status).toBe(202);
    await expect.poll(() => parsed().filter((line) => line.source === "lambda")).toEqual([
      expect.objectContaining({ level: "ERROR", functionName, requestId, attempts: 3, errorType, errorMessage: expect.stringContaining(errorText) }),
    ]);
    // Every attempt ran under the same request id, as Lambda's retries do.
    const attempts = parsed().filter((line) => line.source === functionName && line.level === "ERROR");
    expect(attempts.map((line) => line.requestId)).toEqual([requestId, requestId, requestId]);
    expect(logs.some((record) => record.line.includes(secret))).toBe(false);
  });

  it("answers RequestResponse with the handler's result, or with the error document and X-Amz-Function-Error: Unhandled", async () => {
    // Prepare
    const { endpoint } = await start();

    // Act
    const result = await invoke(endpoint, "alpha", { action: "record", message: "hi" });
    const failure = await invoke(endpoint, "alpha", { action: "throw", message: "boom" }, { type: "RequestResponse" });

    // Assess
    expect(result.status).toBe(200);
    expect(result.headers.get("x-amz-function-error")).toBeNull();
    expect(result.headers.get("x-amz-executed-version")).toBe("$LATEST");
    expect(await result.json()).toEqual({ recorded: "hi" });
    expect(failure.status).toBe(200);
    expect(failure.headers.get("x-amz-function-error")).toBe("Unhandled");
    expect(await failure.json()).toEqual({ errorType: "Error", errorMessage: "boom" });
  });

  it("takes the function as a name, a partial ARN or an ARN, with or without Qualifier=$LATEST", async () => {
    // Prepare
    const { endpoint } = await start();
    const names = ["alpha", `${account}:function:alpha`, `arn:aws:lambda:${region}:${account}:function:alpha`, `arn:aws:lambda:${region}:${account}:function:alpha:$LATEST`];

    // Act
    const responses = await Promise.all([
      ...names.map((name) => invoke(endpoint, name, { action: "count" })),
      invoke(endpoint, "alpha", { action: "count" }, { qualifier: "$LATEST" }),
    ]);

    // Assess
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it.each([
    ["an unknown function", "beta", undefined, `arn:aws:lambda:${region}:${account}:function:beta`],
    ["another account's function", `arn:aws:lambda:${region}:210987654321:function:alpha`, undefined, `arn:aws:lambda:${region}:210987654321:function:alpha`],
    ["a version that was never published", "alpha", "1", `arn:aws:lambda:${region}:${account}:function:alpha:1`],
  ])("answers %s 404 ResourceNotFoundException, as Lambda does, without running anything", async (_, name, qualifier, arn) => {
    // Prepare
    const { endpoint, parsed } = await start();

    // Act
    const responses = await Promise.all(
      (["Event", "RequestResponse"] as const).map((type) => invoke(endpoint, name, { action: "record", message: "never" }, { type, qualifier })),
    );

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
      expect(await response.json()).toEqual({ Type: "User", Message: `Function not found: ${arn}` });
    }
    await sleep(100);
    expect(parsed().some((line) => line.message === "never")).toBe(false);
  });

  it("refuses an Event payload above 1 MB with 413 RequestEntityTooLargeException; 1 MB exactly, or more invoked synchronously, is accepted", async () => {
    // Prepare
    const { endpoint } = await start();
    const oneMegabyte = JSON.stringify("a".repeat(1024 * 1024 - 2));

    // Act
    const atLimit = await invokeRaw(endpoint, "alpha", oneMegabyte, { type: "Event" });
    const aboveLimit = await invokeRaw(endpoint, "alpha", `${oneMegabyte} `, { type: "Event" });
    const synchronous = await invokeRaw(endpoint, "alpha", `${oneMegabyte} `);

    // Assess
    expect(atLimit.status).toBe(202);
    expect(aboveLimit.status).toBe(413);
    expect(aboveLimit.headers.get("x-amzn-errortype")).toBe("RequestEntityTooLargeException");
    expect(await aboveLimit.json()).toEqual({ Type: "User", message: "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)" });
    expect(synchronous.status).toBe(200);
  });

  it("answers a payload that is not JSON 400 InvalidRequestContentException, and hands an empty one over as {}", async () => {
    // Prepare
    const { endpoint } = await start();

    // Act
    const invalid = await invokeRaw(endpoint, "alpha", "{not json", { type: "Event" });
    const empty = await invokeRaw(endpoint, "alpha", "");

    // Assess
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("x-amzn-errortype")).toBe("InvalidRequestContentException");
    // The probe reads event.action: a null event would have failed.
    expect(empty.status).toBe(200);
    expect(empty.headers.get("x-amz-function-error")).toBeNull();
  });

  it("turns away requests without a SigV4 Authorization header, or naming a host other than a loopback name (DNS rebinding)", async () => {
    // Prepare
    const { endpoint, parsed } = await start();
    const url = `${endpoint}/2015-03-31/functions/alpha/invocations`;
    const body = JSON.stringify({ action: "record", message: "never" });

    // Act
    const unsigned = await fetch(url, { method: "POST", headers: { "X-Amz-Invocation-Type": "Event" }, body });
    const rebound = await invokeRaw(endpoint, "alpha", body, { type: "Event", host: `attacker.example:${new URL(endpoint).port}` });

    // Assess
    for (const response of [unsigned, rebound]) {
      expect(response.status).toBe(403);
      expect(response.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    }
    await sleep(100);
    expect(parsed().some((line) => line.message === "never")).toBe(false);
  });

  it("cancels the retries still waiting when it closes", async () => {
    // Prepare
    const { endpoint, parsed } = await start({ retryDelaysMs: [1000, 1000] });
    const failures = () => parsed().filter((line) => line.source === "alpha" && line.level === "ERROR");
    await invoke(endpoint, "alpha", { action: "throw", message: "boom" }, { type: "Event" });
    await expect.poll(failures).toHaveLength(1);

    // Act
    await lambda!.close();
    await sleep(1500);

    // Assess
    expect(failures()).toHaveLength(1);
    expect(parsed().some((line) => line.source === "lambda")).toBe(false);
    await expect(fetch(endpoint)).rejects.toThrow();
  });
});

const invoke = (endpoint: string, functionName: string, payload: unknown, options: InvokeOptions = {}) =>
  invokeLambda(endpoint, region, functionName, JSON.stringify(payload), options);
const invokeRaw = (endpoint: string, functionName: string, body: string, options: InvokeOptions = {}) => invokeLambda(endpoint, region, functionName, body, options);
