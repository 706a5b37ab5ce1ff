/**
 * Notifier on the API Gateway management API (`@connections`). Requests are built from the AWS
 * SDK's own parts (SigV4 signer, Node HTTP handler, standard retry strategy, credential chain)
 * but not through the generated client, whose middleware stack cost half the CPU of every post:
 * a broadcast is CPU-bound on it, and at Lambda's fractions of a vCPU that was its whole time
 * (BENCHMARKS.md, "Broadcast fan-out"). Method, path, body and signature are the generated
 * client's; left out are its user-agent and invocation-id headers and its clock-skew correction
 * (Lambda's clock is kept in sync).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, SdkError } from "@smithy/types";
import { getRetryAfterHint, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import type { Delivery, Notifier } from "../core/ports.js";
import { ManagementApiError } from "./errors.js";
import { createSignedHttp, type SignedResponse } from "./signed-http.js";

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
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

export function createManagementNotifier({
  endpoint,
  maxSockets,
  region = process.env.AWS_REGION,
  credentials,
  maxAttempts = 3,
}: ManagementNotifierOptions): ManagementNotifier {
  if (!region) throw new Error("the management API's region is unknown: pass `region` or set AWS_REGION");
  const base = new URL(endpoint);
  const http = createSignedHttp({ service: "execute-api", region, maxSockets, ...(credentials ? { credentials } : {}) });
  const retries = new StandardRetryStrategy(maxAttempts);
  const connectionsPath = `${base.pathname.replace(/\/$/, "")}/@connections/`;

  const attempt = async (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string): Promise<Delivery> => {
    const url = new URL(base);
    url.pathname = connectionsPath + encodeURIComponent(connectionId);
    const response = await http.send(method, url, body, body === undefined ? {} : { "content-type": "application/octet-stream" });
    if (response.statusCode < 300) return "delivered";
    // 410 GoneException is an answer, not a failure: the connection no longer exists.
    if (response.statusCode === 410) return "gone";
    throw errorOf(response);
  };

  // The SDK's standard retries: throttling and transient errors (5xx, resets, timeouts), at most
  // `maxAttempts` attempts, with its backoff and its retry quota shared by all requests.
  const call = async (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string): Promise<Delivery> => {
    let token = await retries.acquireInitialRetryToken("execute-api");
    for (;;) {
      try {
        const delivery = await attempt(method, connectionId, body);
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
          // Still throttled after the retries: an answer the fan-out acts on (it slows down and sends again).
          if (errorType === "THROTTLING") return "throttled";
          throw error;
        }
      }
    }
  };

  return {
    send: (connectionId, data) => call("POST", connectionId, data),
    close: (connectionId) => call("DELETE", connectionId),
    async exists(connectionId) {
      const answer = await call("GET", connectionId);
      if (answer === "throttled") throw new ManagementApiError("LimitExceededException", 429, "GetConnection stayed throttled after its retries");
      return answer === "delivered";
    },
    destroy: () => http.destroy(),
  };
}

function errorOf(response: SignedResponse): ManagementApiError {
  // Node lowercases header names. The type may carry a namespace (`aws#`) or a suffix (`:http://…`).
  const type = response.headers["x-amzn-errortype"]?.split(":")[0]?.split("#").at(-1);
  const { statusCode } = response;
  return new ManagementApiError(type || `HTTP${statusCode}`, statusCode, messageOf(response.body) ?? `the management API answered ${statusCode}`, getRetryAfterHint(response));
}

function messageOf(answer: string): string | undefined {
  try {
    const { message } = JSON.parse(answer) as { message?: unknown };
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}
