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
import { NodeHttpHandler, streamCollector } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Delivery, Notifier } from "../core/ports.js";
import { errorOf, standardRetries } from "./aws-requests.js";

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
  credentials = defaultProvider(),
  maxAttempts = 3,
}: ManagementNotifierOptions): ManagementNotifier {
  if (!region) throw new Error("the management API's region is unknown: pass `region` or set AWS_REGION");
  const base = new URL(endpoint);
  const agent = { keepAlive: true, maxSockets };
  const http = new NodeHttpHandler({ httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) });
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
  const retrying = standardRetries(maxAttempts);
  const connectionsPath = `${base.pathname.replace(/\/$/, "")}/@connections/`;

  const attempt = async (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string): Promise<Delivery> => {
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
    const { response } = await http.handle((await signer.sign(request)) as HttpRequest);
    // Read to the end in every case, so that the socket goes back to the pool.
    const answer = Buffer.from(await streamCollector(response.body)).toString();
    if (response.statusCode < 300) return "delivered";
    // 410 GoneException is an answer, not a failure: the connection no longer exists.
    if (response.statusCode === 410) return "gone";
    throw errorOf("the management API", response, answer);
  };

  const call = (method: "POST" | "DELETE" | "GET", connectionId: string, body?: string) => retrying("execute-api", () => attempt(method, connectionId, body));

  return {
    send: (connectionId, data) => call("POST", connectionId, data),
    close: (connectionId) => call("DELETE", connectionId),
    exists: async (connectionId) => (await call("GET", connectionId)) === "delivered",
    destroy: () => http.destroy(),
  };
}
