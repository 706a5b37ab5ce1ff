/**
 * Notifier on the API Gateway management API (`@connections`). Requests are built from the AWS
 * SDK's own parts (SigV4 signer, Node HTTP handler, standard retry strategy, credential chain)
 * but not through the generated client, whose middleware stack cost half the CPU of every post:
 * a broadcast is CPU-bound on it, and at Lambda's fractions of a vCPU that was its whole time
 * (BENCHMARKS.md, "Broadcast fan-out"). Method, path, body and signature are the generated
 * client's; left out are its user-agent and invocation-id headers and its clock-skew correction
 * (Lambda's clock is kept in sync).
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { getRetryAfterHint, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import { NodeHttpHandler, streamCollector } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, SdkError } from "@smithy/types";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Delivery, Notifier } from "../core/ports.js";
import { ManagementApiError } from "./errors.js";

type Method = "POST" | "DELETE" | "GET";

export interface ManagementNotifierOptions {
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  /** Sockets kept open to the endpoint: as many as posts in flight, no more. */
  readonly maxSockets: number;
  /** @default AWS_REGION, as in Lambda */
  readonly region?: string;
  /** @default the SDK's default credential chain (in Lambda: the function role's, from the environment) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per request, as the SDK's `maxAttempts`. @default 3 */
  readonly maxAttempts?: number;
}

export interface ManagementNotifier extends Notifier {
  /**
   * Sends the frames to one connection in this order: each is posted once the previous one is
   * answered, since API Gateway orders no posts in flight together. Stops at `gone`; throws on any
   * other failure, leaving the rest unsent.
   */
  sendInOrder(connectionId: string, frames: readonly string[]): Promise<Delivery>;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

export function createManagementNotifier({
  endpoint,
  maxSockets,
  region = process.env.AWS_REGION,
  credentials = defaultProvider(),
  maxAttempts = 3,
}: ManagementNotifierOptions): ManagementNotifier {
  if (!region) throw new Error("the management API's region is unknown: pass `region` or set AWS_REGION");
  const base = new URL(endpoint);
  const agent = { keepAlive: true, maxSockets };
  const http = new NodeHttpHandler({ httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) });
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
  const retries = new StandardRetryStrategy(maxAttempts);
  const connectionsPath = `${base.pathname.replace(/\/$/, "")}/@connections/`;

  const signed = async (method: Method, connectionId: string, body?: string): Promise<HttpRequest> => {
    const request = new HttpRequest({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path: connectionsPath + encodeURIComponent(connectionId),
      headers: {
        host: base.host,
        ...(body === undefined ? {} : { "content-type": "application/octet-stream", "content-length": String(Buffer.byteLength(body)) }),
      },
      body,
    });
    return (await signer.sign(request)) as HttpRequest;
  };

  const attempt = async (request: Promise<HttpRequest>): Promise<Delivery> => {
    const { response } = await http.handle(await request);
    // Read to the end in every case, so that the socket goes back to the pool.
    const answer = Buffer.from(await streamCollector(response.body)).toString();
    if (response.statusCode < 300) return "delivered";
    // 410 GoneException is an answer, not a failure: the connection no longer exists.
    if (response.statusCode === 410) return "gone";
    throw errorOf(response, answer);
  };

  // The SDK's standard retries: throttling and transient errors (5xx, resets, timeouts), at most
  // `maxAttempts` attempts, with its backoff and its retry quota shared by all requests.
  // A retry is signed again: its date is that of its own sending.
  const call = async (method: Method, connectionId: string, body?: string, presigned?: Promise<HttpRequest>): Promise<Delivery> => {
    let token = await retries.acquireInitialRetryToken("execute-api");
    for (let request = presigned ?? signed(method, connectionId, body); ; request = signed(method, connectionId, body)) {
      try {
        const delivery = await attempt(request);
        retries.recordSuccess(token);
        return delivery;
      } catch (error) {
        const known = error as SdkError;
        const errorType = isThrottlingError(known) ? "THROTTLING" : isTransientError(known) ? "TRANSIENT" : undefined;
        if (errorType === undefined) throw error;
        try {
          const retryAfterHint = error instanceof ManagementApiError ? error.retryAfter : undefined;
          token = await retries.refreshRetryTokenForRetry(token, { errorType, ...(retryAfterHint ? { retryAfterHint } : {}) });
        } catch {
          throw error;
        }
      }
    }
  };

  // The next post is signed while the previous one is in flight, so that it goes out as soon as
  // that one is answered. Signing waits for setImmediate: the previous request is written to its
  // socket on the next tick, and signing before that would only delay it.
  const signedLater = (connectionId: string, frame: string): Promise<HttpRequest> => {
    const request = new Promise((resolve) => setImmediate(resolve)).then(() => signed("POST", connectionId, frame));
    // Awaited by its own post; a post that is never made (after a gone or a failure) must not leave an unhandled rejection.
    request.catch(() => undefined);
    return request;
  };

  const sendInOrder = async (connectionId: string, frames: readonly string[]): Promise<Delivery> => {
    let next: Promise<HttpRequest> | undefined;
    for (const [index, frame] of frames.entries()) {
      const answer = call("POST", connectionId, frame, next);
      const following = frames[index + 1];
      next = following === undefined ? undefined : signedLater(connectionId, following);
      if ((await answer) === "gone") return "gone";
    }
    return "delivered";
  };

  return {
    send: (connectionId, data) => call("POST", connectionId, data),
    sendInOrder,
    close: (connectionId) => call("DELETE", connectionId),
    exists: async (connectionId) => (await call("GET", connectionId)) === "delivered",
    destroy: () => http.destroy(),
  };
}

function errorOf(response: { statusCode: number; headers: Record<string, string | undefined> }, answer: string): ManagementApiError {
  // Node lowercases header names. The type may carry a namespace (`aws#`) or a suffix (`:http://…`).
  const type = response.headers["x-amzn-errortype"]?.split(":")[0]?.split("#").at(-1);
  const { statusCode } = response;
  return new ManagementApiError(type || `HTTP${statusCode}`, statusCode, messageOf(answer) ?? `the management API answered ${statusCode}`, getRetryAfterHint(response));
}

function messageOf(answer: string): string | undefined {
  try {
    const { message } = JSON.parse(answer) as { message?: unknown };
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}
