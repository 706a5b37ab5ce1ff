/**
 * Lambda's `Invoke` API for the local stack, as the SDK's Lambda client sends it:
 * `POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=]`. `X-Amz-Invocation-Type:
 * Event` queues the event, answers 202 at once, and runs it through the function host, retrying a
 * failed run twice as Lambda's asynchronous invocation does; `RequestResponse` (the default) answers
 * with the handler's result. Like dynalite, it wants a SigV4 `Authorization` header but checks no
 * signature.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Invoke, LogSink } from "./function-host.js";
import { decodeSegment, readBody, splitUrl } from "./http.js";
import { listen, loopbackHosts } from "./ports.js";

/** Lambda's payload quotas, in bytes. */
export const lambdaPayloadLimits = {
  /** 256 KB until 2025, 1 MB since. */
  event: 1024 * 1024,
  requestResponse: 6 * 1024 * 1024,
};

/**
 * The waits before the second and third attempts of a failed asynchronous invocation. Lambda waits
 * about 1 and 2 minutes; locally seconds, so that a failed worker is retried while one watches.
 */
export const localRetryDelaysMs: readonly number[] = [1_000, 2_000];

export interface LambdaEndpointOptions {
  readonly host: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  readonly region: string;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** The functions it serves; any other name is answered 404. */
  readonly functions: readonly string[];
  /** Runs a function: the function host's `invoke`. */
  readonly invoke: Invoke;
  /**
   * The wait before each retry of a failed asynchronous invocation; its length is the number of
   * retries. @default {@link localRetryDelaysMs}
   */
  readonly retryDelaysMs?: readonly number[];
  /** Receives the line that reports an asynchronous invocation dropped after its last attempt. */
  readonly log: LogSink;
}

export interface LambdaEndpoint {
  /** `http://{host}:{port}`: what `AWS_ENDPOINT_URL_LAMBDA` names. */
  readonly endpoint: string;
  /** Stops serving and cancels the retries still waiting; invocations already running are the host's to end. */
  close(): Promise<void>;
}

const invocationsPath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Lambda's `FunctionName` forms: a name, `{account}:function:{name}`, or an ARN, each with an optional `:{qualifier}`. */
const functionNamePattern = /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

export async function startLambdaEndpoint(options: LambdaEndpointOptions): Promise<LambdaEndpoint> {
  const accountId = options.accountId ?? "000000000000";
  const retryDelaysMs = options.retryDelaysMs ?? localRetryDelaysMs;
  const served = new Set(options.functions);
  const retries = new Set<NodeJS.Timeout>();
  let closed = false;

  const server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  await listen(server, options.host, options.port ?? 0, "Lambda Invoke endpoint");
  const port = (server.address() as AddressInfo).port;
  const origin = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  const allowedHosts = new Set([origin, ...loopbackHosts(port)]);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const reply = (status: number, body = "", headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        "x-amzn-RequestId": requestId,
        ...headers,
        ...(body !== "" && { "Content-Type": "application/json" }),
        "Content-Length": Buffer.byteLength(body),
      });
      response.end(body);
    };
    const fail = (status: number, errorType: string, document: Record<string, string>) =>
      reply(status, JSON.stringify(document), { "x-amzn-ErrorType": errorType });

    // Loopback names only, and a signed request: a page re-pointed at this machine (DNS rebinding)
    // sends its own name in Host, and no page may send an Authorization header here (that needs a
    // CORS preflight, which this endpoint never grants).
    if (!allowedHosts.has(request.headers.host ?? "") || !request.headers.authorization?.startsWith("AWS4-")) {
      request.resume();
      return fail(403, "MissingAuthenticationTokenException", { message: "Missing Authentication Token" });
    }
    const [path, search] = splitUrl(request.url ?? "/");
    const encodedName = request.method === "POST" ? invocationsPath.exec(path)?.[1] : undefined;
    if (encodedName === undefined) {
      request.resume();
      return fail(404, "UnknownOperationException", { message: "Unknown operation" });
    }

    const invocationType = request.headers["x-amz-invocation-type"] ?? "RequestResponse";
    if (invocationType !== "Event" && invocationType !== "RequestResponse" && invocationType !== "DryRun") {
      request.resume();
      return fail(400, "InvalidParameterValueException", { Type: "User", message: `Unsupported invocation type: ${invocationType}` });
    }
    const target = resolveFunction(decodeSegment(encodedName), new URLSearchParams(search ?? "").get("Qualifier") ?? undefined);
    if ("error" in target) {
      request.resume();
      return fail(400, "InvalidParameterValueException", { Type: "User", message: target.error });
    }
    if (!target.found) {
      request.resume();
      return fail(404, "ResourceNotFoundException", { Type: "User", Message: `Function not found: ${target.arn}` });
    }

    const limit = invocationType === "Event" ? lambdaPayloadLimits.event : lambdaPayloadLimits.requestResponse;
    const { body, size } = await readBody(request, limit);
    if (size > limit) {
      const message =
        invocationType === "Event"
          ? `${size} byte payload is too large for the Event invocation type (limit ${limit} bytes)`
          : `Request must be smaller than ${limit} bytes for the InvokeFunction operation`;
      return fail(413, "RequestEntityTooLargeException", { Type: "User", message });
    }
    let event: unknown;
    try {
      // An empty payload reaches the handler as {}.
      event = size === 0 ? {} : JSON.parse(body.toString("utf8"));
    } catch (error) {
      return fail(400, "InvalidRequestContentException", { Type: "User", message: `Could not parse request body into json: ${(error as Error).message}` });
    }

    if (invocationType === "DryRun") return reply(204);
    if (invocationType === "Event") {
      reply(202);
      return runAsynchronously(target.name, event, requestId, 0);
    }
    const result = await options.invoke(target.name, event, requestId);
    if (result.ok) return reply(200, JSON.stringify(result.result), { "X-Amz-Executed-Version": "$LATEST" });
    return reply(200, JSON.stringify({ errorType: result.errorType, errorMessage: result.errorMessage }), {
      "X-Amz-Executed-Version": "$LATEST",
      "X-Amz-Function-Error": "Unhandled",
    });
  }

  /** One attempt of an `Event` invocation; a failed one is tried again later, the last one reported. */
  function runAsynchronously(name: string, event: unknown, requestId: string, attempt: number): void {
    void options.invoke(name, event, requestId).then((result) => {
      if (result.ok || closed) return;
      const delay = retryDelaysMs[attempt];
      if (delay !== undefined) {
        const timer = setTimeout(() => {
          retries.delete(timer);
          runAsynchronously(name, event, requestId, attempt + 1);
        }, delay);
        retries.add(timer);
        return;
      }
      // Stands for the on-failure destination. Never the event: it may carry users' data.
      const line = JSON.stringify({
        timestamp: new Date().toISOString(),
        level: "ERROR",
        message: "Asynchronous invocation dropped after its last attempt",
        functionName: name,
        requestId,
        attempts: attempt + 1,
        errorType: result.errorType,
        errorMessage: result.errorMessage,
      });
      options.log({ source: "lambda", stream: "stderr", line });
    });
  }

  type Resolved = { readonly error: string } | { readonly found: false; readonly arn: string } | { readonly found: true; readonly name: string };
  function resolveFunction(functionName: string | undefined, qualifierParameter: string | undefined): Resolved {
    const [, region, account, name, qualifierInName] = functionNamePattern.exec(functionName ?? "") ?? [];
    if (name === undefined) return { found: false, arn: functionName ?? "" };
    if (qualifierInName !== undefined && qualifierParameter !== undefined && qualifierInName !== qualifierParameter) {
      return { error: "The derived qualifier from the function name does not match the specified qualifier." };
    }
    const qualifier = qualifierInName ?? qualifierParameter;
    const arn = `arn:aws:lambda:${region ?? options.region}:${account ?? accountId}:function:${name}${qualifier === undefined ? "" : `:${qualifier}`}`;
    // One region, one account, and only the unpublished version ($LATEST) of each function.
    const found = served.has(name) && (region ?? options.region) === options.region && (account ?? accountId) === accountId && (qualifier ?? "$LATEST") === "$LATEST";
    return found ? { found, name } : { found, arn };
  }

  return {
    endpoint: `http://${origin}`,
    async close() {
      closed = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await stopped;
    },
  };
}
