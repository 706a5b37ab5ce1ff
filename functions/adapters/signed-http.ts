/**
 * Signed requests to an AWS service from the SDK's own parts (SigV4 signer, Node HTTP handler,
 * credential chain), without a generated client's middleware stack: the management notifier and
 * the deliver workers' task queue send one small request each, many times over.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { NodeHttpHandler, streamCollector } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

export interface SignedHttpOptions {
  /** The signing name: `execute-api`, `lambda`. */
  readonly service: string;
  readonly region: string;
  /** @default the SDK's default credential chain (in Lambda: the function role's, from the environment) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Sockets kept open per host: as many as requests in flight, no more. */
  readonly maxSockets: number;
  /** Milliseconds to wait for an answer before failing. @default none */
  readonly requestTimeoutMs?: number;
}

export interface SignedResponse {
  readonly statusCode: number;
  /** Lowercased names, as Node gives them. */
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

export interface SignedHttp {
  send(method: string, url: URL, body?: string, headers?: Record<string, string>): Promise<SignedResponse>;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

export function createSignedHttp({ service, region, credentials = defaultProvider(), maxSockets, requestTimeoutMs }: SignedHttpOptions): SignedHttp {
  const agent = { keepAlive: true, maxSockets };
  const http = new NodeHttpHandler({ httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent), ...(requestTimeoutMs === undefined ? {} : { requestTimeout: requestTimeoutMs }) });
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  return {
    async send(method, url, body, headers = {}) {
      const request = new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        headers: { host: url.host, ...headers, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) },
        body,
      });
      const { response } = await http.handle((await signer.sign(request)) as HttpRequest);
      // Read to the end in every case, so that the socket goes back to the pool.
      const answer = Buffer.from(await streamCollector(response.body)).toString();
      return { statusCode: response.statusCode, headers: response.headers, body: answer };
    },
    destroy: () => http.destroy(),
  };
}
