import { afterEach, describe, expect, it } from "vitest";
import { createFunctionHost, type FunctionHost, type FunctionHostOptions, type LogRecord } from "../../local/function-host.js";

const probe = "tests/local/fixtures/probe-function.mjs";

describe("function host", () => {
  let host: FunctionHost | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  function start(functions: FunctionHostOptions["functions"], logs: LogRecord[] = []): FunctionHost {
    host = createFunctionHost({ functions, region: "eu-west-1", accountId: "123456789012", log: (record) => logs.push(record) });
    return host;
  }

  it("gives each function only its own environment variables, plus Lambda's", async () => {
    // Prepare
    process.env.HOST_ONLY_SECRET = "must not leak";
    const functionHost = start({
      alpha: { bundle: probe, environment: { ALPHA_ONLY: "a" } },
      beta: { bundle: probe, environment: { BETA_ONLY: "b" } },
    });

    // Act
    const [alpha, beta] = await Promise.all([
      functionHost.invoke("alpha", { action: "env" }),
      functionHost.invoke("beta", { action: "env" }),
    ]);
    delete process.env.HOST_ONLY_SECRET;

    // Assess
    expect(alpha).toMatchObject({ ok: true, result: { ALPHA_ONLY: "a", AWS_LAMBDA_FUNCTION_NAME: "alpha", AWS_REGION: "eu-west-1" } });
    expect(beta).toMatchObject({ ok: true, result: { BETA_ONLY: "b", AWS_LAMBDA_FUNCTION_NAME: "beta" } });
    const alphaEnv = (alpha as { result: Record<string, string> }).result;
    expect(alphaEnv).not.toHaveProperty("BETA_ONLY");
    expect(alphaEnv).not.toHaveProperty("HOST_ONLY_SECRET");
    expect(alphaEnv).not.toHaveProperty("PATH");
  });

  it("keeps module state between invocations of a warm instance, separately per function", async () => {
    // Prepare
    const functionHost = start({
      alpha: { bundle: probe, environment: {} },
      beta: { bundle: probe, environment: {} },
    });

    // Act
    const first = await functionHost.invoke("alpha", { action: "count" });
    const second = await functionHost.invoke("alpha", { action: "count" });
    const other = await functionHost.invoke("beta", { action: "count" });

    // Assess
    expect(first).toEqual({ ok: true, result: { invocations: 1 } });
    expect(second).toEqual({ ok: true, result: { invocations: 2 } });
    expect(other).toEqual({ ok: true, result: { invocations: 1 } });
  });

  it("runs concurrent invocations in separate instances, like Lambda scaling out", async () => {
    // Prepare
    const functionHost = start({ alpha: { bundle: probe, environment: {} } });
    const started = Date.now();

    // Act
    const results = await Promise.all([
      functionHost.invoke("alpha", { action: "sleep", ms: 300 }),
      functionHost.invoke("alpha", { action: "sleep", ms: 300 }),
    ]);

    // Assess
    expect(results).toEqual([
      { ok: true, result: { slept: 300 } },
      { ok: true, result: { slept: 300 } },
    ]);
    // One after the other they would take at least 600 ms.
    expect(Date.now() - started).toBeLessThan(600);
  });

  it("passes a Lambda-like context", async () => {
    // Prepare
    const functionHost = start({ alpha: { bundle: probe, environment: {}, timeoutMs: 2000 } });

    // Act
    const outcome = await functionHost.invoke("alpha", { action: "context" });

    // Assess
    expect(outcome.ok).toBe(true);
    const context = (outcome as { result: Record<string, unknown> }).result;
    expect(context).toMatchObject({ functionName: "alpha", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:alpha" });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remainingMs).toBeGreaterThan(1000);
    expect(context.remainingMs).toBeLessThanOrEqual(2000);
  });

  it("turns a thrown error into Lambda's error result and logs it", async () => {
    // Prepare
    const logs: LogRecord[] = [];
    const functionHost = start({ alpha: { bundle: probe, environment: {} } }, logs);

    // Act
    const thrown = await functionHost.invoke("alpha", { action: "throw", message: "Unauthorized" });
    const thrownString = await functionHost.invoke("alpha", { action: "throw-string", message: "Unauthorized" });
    const after = await functionHost.invoke("alpha", { action: "count" });

    // Assess
    expect(thrown).toEqual({ ok: false, errorType: "Error", errorMessage: "Unauthorized" });
    expect(thrownString).toEqual({ ok: false, errorType: "string", errorMessage: "Unauthorized" });
    expect(after).toEqual({ ok: true, result: { invocations: 3 } });
    await expect.poll(() => logs.filter((r) => r.stream === "stderr" && r.line.includes('"Invoke Error"')).length).toBe(2);
  });

  it("ends a timed-out invocation with an error and starts a fresh instance next time", async () => {
    // Prepare
    const logs: LogRecord[] = [];
    const functionHost = start({ alpha: { bundle: probe, environment: {}, timeoutMs: 200 } }, logs);
    await functionHost.invoke("alpha", { action: "count" });

    // Act
    const timedOut = await functionHost.invoke("alpha", { action: "sleep", ms: 5000 });
    const next = await functionHost.invoke("alpha", { action: "count" });

    // Assess
    expect(timedOut).toMatchObject({ ok: false, errorType: "Sandbox.Timedout" });
    expect((timedOut as { errorMessage: string }).errorMessage).toMatch(/Task timed out after 0\.20 seconds$/);
    expect(next).toEqual({ ok: true, result: { invocations: 1 } });
    expect(logs.some((r) => r.line.includes("Task timed out"))).toBe(true);
  });

  it("survives a crashing runtime and restarts the function on the next invocation", async () => {
    // Prepare
    const functionHost = start({ alpha: { bundle: probe, environment: {} } });

    // Act
    const crashed = await functionHost.invoke("alpha", { action: "crash" });
    const next = await functionHost.invoke("alpha", { action: "count" });

    // Assess
    expect(crashed).toEqual({ ok: false, errorType: "Error", errorMessage: "crashed outside the handler" });
    expect(next).toEqual({ ok: true, result: { invocations: 1 } });
  });

  it("forwards each stdout and stderr line to the log sink, tagged with the function", async () => {
    // Prepare
    const logs: LogRecord[] = [];
    const functionHost = start({ alpha: { bundle: probe, environment: {} } }, logs);

    // Act
    await functionHost.invoke("alpha", { action: "log", message: "hello" });

    // Assess
    await expect.poll(() => logs.length).toBe(2);
    expect(logs).toContainEqual({ source: "alpha", stream: "stdout", line: '{"level":"INFO","message":"hello"}' });
    expect(logs).toContainEqual({ source: "alpha", stream: "stderr", line: '{"level":"ERROR","message":"hello"}' });
  });

  it("reports bundles that cannot be loaded, and unknown functions, as errors", async () => {
    // Prepare
    const functionHost = start({
      missing: { bundle: "tests/local/fixtures/does-not-exist.mjs", environment: {} },
      headless: { bundle: "tests/local/fixtures/no-handler.mjs", environment: {} },
    });

    // Act
    const missing = await functionHost.invoke("missing", {});
    const headless = await functionHost.invoke("headless", {});
    const unknown = await functionHost.invoke("nobody", {});

    // Assess
    expect(missing).toMatchObject({ ok: false, errorType: "Runtime.ImportModuleError" });
    expect(headless).toEqual({ ok: false, errorType: "Runtime.HandlerNotFound", errorMessage: "index.handler is undefined or not exported" });
    expect(unknown).toMatchObject({ ok: false, errorType: "ResourceNotFoundException" });
  });
});
