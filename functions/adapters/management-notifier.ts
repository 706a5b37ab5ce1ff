/**
 * Notifier on the API Gateway management API (`@connections`). Requests are built from the AWS
 * SDK's own parts (SigV4 signer, standard retry strategy, credential chain) on Node's HTTP client,
 * but not through the generated client, whose middleware stack cost half the CPU of every post:
 * a broadcast is CPU-bound on it, and at Lambda's fractions of a vCPU that was its whole time
 * (BENCHMARKS.md, "Broadcast fan-out"). Method, path, body and signature are the generated
 * client's; left out are its user-agent and invocation-id headers and its clock-skew correction
 * (Lambda's clock is kept in sync).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Delivery, Notifier, SendOptions } from "../core/ports.js";
import { createSignedHttp, errorOf, standardRetries, type SignedRequest } from "./signed-http.js";

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
   * answered, since API Gateway orders no posts in flight together. Stops at the first frame not
   * delivered and answers its outcome; throws on any other failure. Either way the rest is unsent.
   */
  sendInOrder(connectionId: string, frames: readonly string[], options?: SendOptions): Promise<Delivery>;
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

  const signed = (method: Method, connectionId: string, body?: string): Promise<SignedRequest> => {
    const url = new URL(base);
    url.pathname = connectionsPath + encodeURIComponent(connectionId);
    return http.sign(method, url, body, body === undefined ? {} : { "content-type": "application/octet-stream" });
  };

  const attempt = async (request: Promise<SignedRequest>): Promise<Delivery> => {
    const response = await http.sendSigned(await request);
    if (response.statusCode < 300) return "delivered";
    // 410 GoneException is an answer, not a failure: the connection no longer exists.
    if (response.statusCode === 410) return "gone";
    throw errorOf("the management API", response);
  };

  // The SDK's standard retries. Throttling is answered at once to a fan-out, which slows all its
  // senders down together; a lone request retries it. A retry is signed again: its date is that
  // of its own sending.
  const call = (method: Method, connectionId: string, body?: string, { answerThrottling = true, presigned }: { answerThrottling?: boolean; presigned?: Promise<SignedRequest> } = {}): Promise<Delivery> => {
    let first = presigned;
    const next = () => {
      const request = first ?? signed(method, connectionId, body);
      first = undefined;
      return attempt(request);
    };
    return retrying("execute-api", next, answerThrottling ? () => "throttled" : undefined);
  };

  // The next post is signed while the previous one is in flight, so that it goes out as soon as
  // that one is answered. Signing waits for setImmediate: the previous request is written to its
  // socket on the next tick, and signing before that would only delay it.
  const signedLater = (connectionId: string, frame: string): Promise<SignedRequest> => {
    const request = new Promise((resolve) => setImmediate(resolve)).then(() => signed("POST", connectionId, frame));
    // Awaited by its own post; a post that is never made (after a gone or a failure) must not leave an unhandled rejection.
    request.catch(() => undefined);
    return request;
  };

  const sendInOrder = async (connectionId: string, frames: readonly string[], { retryThrottling = false }: SendOptions = {}): Promise<Delivery> => {
    let presigned: Promise<SignedRequest> | undefined;
    for (const [index, frame] of frames.entries()) {
      const answer = call("POST", connectionId, frame, { answerThrottling: !retryThrottling, ...(presigned ? { presigned } : {}) });
      const following = frames[index + 1];
      presigned = following === undefined ? undefined : signedLater(connectionId, following);
      const delivery = await answer;
      if (delivery !== "delivered") return delivery;
    }
    return "delivered";
  };

  return {
    send: (connectionId, data, { retryThrottling = false } = {}) => call("POST", connectionId, data, { answerThrottling: !retryThrottling }),
    sendInOrder,
    close: (connectionId) => call("DELETE", connectionId),
    exists: async (connectionId) => (await call("GET", connectionId, undefined, { answerThrottling: false })) === "delivered",
    destroy: () => http.destroy(),
  };
}
