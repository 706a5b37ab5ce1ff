/**
 * Runs the Lambda bundles offline, the way Lambda runs them: the same esbuild bundle that Pulumi
 * uploads (`export handler`), each function in worker threads of its own that see only that
 * function's environment, kept warm between invocations, one invocation per instance at a time
 * (a busy function gets another instance, as Lambda scales out), ended and replaced after a
 * timeout or a crash.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

export interface FunctionConfig {
  /** The ESM bundle exporting `handler`, e.g. `dist/functions/connect/index.mjs`. */
  readonly bundle: string;
  /** The function's own environment variables, as deployed. */
  readonly environment: Readonly<Record<string, string>>;
  /** Lambda timeout in milliseconds. @default 3000 (Lambda's default) */
  readonly timeoutMs?: number;
  /** Reported to the handler as `context.memoryLimitInMB`; not enforced. @default 128 */
  readonly memoryMb?: number;
  /** Instances that may run at once; further invocations wait for one. @default 10 */
  readonly maxInstances?: number;
}

export interface FunctionHostOptions {
  readonly functions: Readonly<Record<string, FunctionConfig>>;
  /** Sets `AWS_REGION` and the ARN in `context.invokedFunctionArn`. @default "us-east-1" */
  readonly region?: string;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** Receives every line the functions write to stdout/stderr. @default {@link defaultLogSink} */
  readonly log?: LogSink;
}

/** What Lambda's Invoke returns: the handler's JSON result, or its error (`FunctionError`). */
export type InvokeResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string };

/**
 * `requestId` becomes the handler's `context.awsRequestId` (a fresh one when unset): Lambda keeps an
 * asynchronous invocation's request id through its retries.
 */
export type Invoke = (functionName: string, event: unknown, requestId?: string) => Promise<InvokeResult>;

export interface FunctionHost {
  readonly invoke: Invoke;
  /** Ends every instance; invocations still running end with an error result. */
  close(): Promise<void>;
}

/** One log line of a local component (`source`: a function name, or `gateway`). */
export interface LogRecord {
  readonly source: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export type LogSink = (record: LogRecord) => void;

/**
 * Writes each line to this process's stdout or stderr, gathering the lines of one turn of the event
 * loop into one write per stream, in order: the gateway logs a line per request, and a write per
 * line cost it a system call each (and its reader, when stdout is a pipe, a wakeup). What is
 * gathered when the process exits is written then.
 */
export const defaultLogSink: LogSink = (record) => {
  if (gathered.push(record) > 1) return;
  setImmediate(writeGathered);
  if (!writesOnExit) process.once("exit", writeGathered);
  writesOnExit = true;
};

let gathered: LogRecord[] = [];
let writesOnExit = false;

function writeGathered(): void {
  const records = gathered;
  gathered = [];
  for (let index = 0; index < records.length; ) {
    const { stream } = records[index]!;
    let text = "";
    for (; records[index]?.stream === stream; index++) text += `${records[index]!.line}\n`;
    process[stream].write(text);
  }
}

export function createFunctionHost(options: FunctionHostOptions): FunctionHost {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const log = options.log ?? defaultLogSink;
  const pools = new Map(
    Object.entries(options.functions).map(([name, config]) => [name, new FunctionPool(name, config, region, accountId, log)]),
  );
  return {
    async invoke(functionName, event, requestId) {
      const pool = pools.get(functionName);
      if (!pool) return { ok: false, errorType: "ResourceNotFoundException", errorMessage: `Function not found: ${functionName}` };
      return pool.invoke(event, requestId);
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}

/**
 * Runs inside each worker. Loads the bundle on the first invocation (Lambda's init phase), then
 * calls `handler(event, context)` for every message. Plain JavaScript: workers run without tsx.
 */
const workerSource = `
import { parentPort, workerData } from "node:worker_threads";

let loading;
const loadHandler = () => (loading ??= import(workerData.bundleUrl).then((module) => {
  if (typeof module.handler !== "function") {
    throw Object.assign(new Error("index.handler is undefined or not exported"), { name: "Runtime.HandlerNotFound" });
  }
  return module.handler;
}));

function describe(error) {
  // Lambda reports a thrown string s as { errorType: "string", errorMessage: s }.
  if (!(error instanceof Error)) return { errorType: typeof error, errorMessage: String(error) };
  // Frames of this runtime (a long data: URL) say nothing about the function.
  const stackTrace = error.stack?.split("\\n").slice(1).map((line) => line.trim()).filter((line) => !line.includes("data:text/javascript"));
  return { errorType: error.name, errorMessage: error.message, stackTrace };
}

function fail(awsRequestId, error, fatal) {
  const described = describe(error);
  console.error(JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", requestId: awsRequestId, message: "Invoke Error", ...described }));
  parentPort.postMessage({ ok: false, errorType: described.errorType, errorMessage: described.errorMessage, fatal });
}

parentPort.on("message", async ({ payload, context: { deadline, ...fields } }) => {
  const event = JSON.parse(payload);
  const context = { ...fields, callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const importError = error instanceof Error && error.name !== "Runtime.HandlerNotFound"
      ? Object.assign(new Error(error.name + ": " + error.message), { name: "Runtime.ImportModuleError" })
      : error;
    return fail(fields.awsRequestId, importError, true);
  }
  try {
    const result = await handler(event, context);
    // Lambda serialises the result as JSON; undefined becomes null.
    parentPort.postMessage({ ok: true, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    fail(fields.awsRequestId, error, false);
  }
});
`;
const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`);

interface Running {
  readonly requestId: string;
  readonly timer: NodeJS.Timeout;
  readonly settle: (result: InvokeResult) => void;
}

interface Instance {
  readonly worker: Worker;
  readonly id: string;
  running?: Running;
  crash?: unknown;
}

type WorkerReply =
  | { ok: true; payload: string }
  | { ok: false; errorType: string; errorMessage: string; fatal: boolean };

/** The instances of one function. */
class FunctionPool {
  private readonly idle: Instance[] = [];
  private readonly instances = new Set<Instance>();
  private readonly waiting: Array<(instance: Instance | undefined) => void> = [];
  private readonly timeoutMs: number;
  private readonly maxInstances: number;
  private readonly environment: Record<string, string>;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly config: FunctionConfig,
    private readonly region: string,
    private readonly accountId: string,
    private readonly log: LogSink,
  ) {
    this.timeoutMs = config.timeoutMs ?? 3000;
    this.maxInstances = config.maxInstances ?? 10;
    // Lambda's own variables first; dummy credentials stand in for the execution role's.
    this.environment = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb ?? 128),
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      _HANDLER: "index.handler",
      // Lambda runs Node 22; the SDK would warn about the local runtime's older Node on every cold start.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...config.environment,
    };
  }

  async invoke(event: unknown, requestId: string = randomUUID()): Promise<InvokeResult> {
    if (this.closed) return { ok: false, errorType: "ServiceException", errorMessage: "The function host is closed" };
    const instance = await this.acquire();
    if (!instance) return { ok: false, errorType: "ServiceException", errorMessage: "The function host is closed" };
    const deadline = Date.now() + this.timeoutMs;
    return new Promise<InvokeResult>((settle) => {
      const timer = setTimeout(() => this.timeOut(instance), this.timeoutMs);
      instance.running = { requestId, timer, settle };
      // Lambda hands the handler a JSON document, not a live object.
      instance.worker.postMessage({ payload: JSON.stringify(event ?? null), context: this.context(instance, requestId, deadline) });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const next of this.waiting.splice(0)) next(undefined);
    await Promise.all([...this.instances].map((instance) => instance.worker.terminate()));
  }

  private context(instance: Instance, awsRequestId: string, deadline: number) {
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    return {
      functionName: this.name,
      functionVersion: "$LATEST",
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${this.name}`,
      memoryLimitInMB: String(this.config.memoryMb ?? 128),
      awsRequestId,
      logGroupName: `/aws/lambda/${this.name}`,
      logStreamName: `${day}/[$LATEST]${instance.id}`,
      deadline,
    };
  }

  private acquire(): Promise<Instance | undefined> {
    const instance = this.idle.pop();
    if (instance) return Promise.resolve(instance);
    if (this.instances.size < this.maxInstances) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(instance: Instance): void {
    const next = this.waiting.shift();
    if (next) next(instance);
    else this.idle.push(instance);
  }

  private spawn(): Instance {
    const worker = new Worker(workerUrl, {
      workerData: { bundleUrl: pathToFileURL(resolve(this.config.bundle)).href },
      env: this.environment,
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    const instance: Instance = { worker, id: randomUUID().replaceAll("-", "") };
    this.instances.add(instance);
    this.forward(worker.stdout, "stdout");
    this.forward(worker.stderr, "stderr");
    worker.on("message", (reply: WorkerReply) => this.reply(instance, reply));
    worker.on("error", (error) => (instance.crash = error));
    worker.on("exit", (code) => this.exited(instance, code));
    return instance;
  }

  private forward(stream: Readable, name: "stdout" | "stderr"): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.log({ source: this.name, stream: name, line }));
  }

  private reply(instance: Instance, reply: WorkerReply): void {
    const running = this.finish(instance);
    if (!running) return;
    if (reply.ok) {
      running.settle({ ok: true, result: JSON.parse(reply.payload) });
    } else {
      running.settle({ ok: false, errorType: reply.errorType, errorMessage: reply.errorMessage });
      // A failed init is retried by a fresh instance on the next invocation, as on Lambda.
      if (reply.fatal) return this.retire(instance);
    }
    this.release(instance);
  }

  private timeOut(instance: Instance): void {
    const running = this.finish(instance);
    if (!running) return;
    const message = `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds`;
    this.log({ source: this.name, stream: "stderr", line: JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", requestId: running.requestId, message }) });
    running.settle({ ok: false, errorType: "Sandbox.Timedout", errorMessage: `RequestId: ${running.requestId} Error: ${message}` });
    // Lambda discards an execution environment whose invocation timed out.
    this.retire(instance);
  }

  private finish(instance: Instance): Running | undefined {
    const running = instance.running;
    if (running) clearTimeout(running.timer);
    instance.running = undefined;
    return running;
  }

  private retire(instance: Instance): void {
    void instance.worker.terminate();
  }

  private exited(instance: Instance, code: number): void {
    this.instances.delete(instance);
    const index = this.idle.indexOf(instance);
    if (index >= 0) this.idle.splice(index, 1);
    const running = this.finish(instance);
    if (running) {
      const crash = instance.crash;
      running.settle(
        crash instanceof Error
          ? { ok: false, errorType: crash.name, errorMessage: crash.message }
          : { ok: false, errorType: "Runtime.ExitError", errorMessage: `RequestId: ${running.requestId} Error: Runtime exited with error: exit status ${code}` },
      );
    }
    // Someone may be waiting for a free slot that this instance held.
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) next(this.spawn());
  }
}
