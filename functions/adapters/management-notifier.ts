/**
 * Notifier on the API Gateway management API (`@connections`). Requests are built from the AWS
 * SDK's own parts (SigV4 signer, Node HTTP handler, standard retry strategy, credential chain)
 * but not through the generated client, whose middleware stack cost half the CPU of every post:
 * a broadcast is CPU-bound on it, and at Lambda's fractions of a vCPU that was its whole time
 * (BENCHMARKS.md, "Broadcast fan-out"). Method, path, body and signature are the generated
 * client's; left out are its user-agent and invocation-id headers and its clock-skew correction
 * (Lambda's clock is kept in sync).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Delivery, Notifier } from "../core/ports.js";
import { createSignedHttp, errorOf, standardRetries } from "./signed-http.js";

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
  const retrying = standardRetries(maxAttempts);
  const connectionsPath = `${base.pathname.replace(/\/$/, "")}/@connections/`;

  const attempt = async (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string): Promise<Delivery> => {
    const url = new URL(base);
    url.pathname = connectionsPath + encodeURIComponent(connectionId);
    const response = await http.send(method, url, body, body === undefined ? {} : { "content-type": "application/octet-stream" });
    if (response.statusCode < 300) return "delivered";
    // 410 GoneException is an answer, not a failure: the connection no longer exists.
    if (response.statusCode === 410) return "gone";
    throw errorOf("the management API", response);
  };

  // The SDK's standard retries. Throttling is answered at once to a fan-out, which slows all its
  // senders down together; a lone request retries it.
  const call = (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string, { answerThrottling = true } = {}): Promise<Delivery> =>
    retrying("execute-api", () => attempt(method, connectionId, body), answerThrottling ? () => "throttled" : undefined);

  return {
    send: (connectionId, data, { retryThrottling = false } = {}) => call("POST", connectionId, data, { answerThrottling: !retryThrottling }),
    close: (connectionId) => call("DELETE", connectionId),
    exists: async (connectionId) => (await call("GET", connectionId, undefined, { answerThrottling: false })) === "delivered",
    destroy: () => http.destroy(),
  };
}
