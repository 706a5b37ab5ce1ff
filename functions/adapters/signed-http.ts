/**
 * Signed requests to an AWS service from the SDK's own parts (SigV4 signer, credential chain,
 * standard retry strategy) on Node's HTTP client, without a generated client's middleware stack: the
 * management notifier, the deliver workers' task queue and the rate limiter's counter send one
 * small request each, many times over.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { getRetryAfterHint, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Provider, SdkError } from "@smithy/types";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AwsApiError } from "./errors.js";

export interface SignedHttpOptions {
  /** The signing name: `execute-api`, `lambda`. */
  readonly service: string;
  readonly region: string | Provider<string>;
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

/** A request signed now, to be sent a moment later: its signature holds for five minutes. */
export type SignedRequest = HttpRequest;

export interface SignedHttp {
  send(method: string, url: URL, body?: string, headers?: Record<string, string>): Promise<SignedResponse>;
  /** Signs a request without sending it, so that it can go out the moment the one before it is answered. */
  sign(method: string, url: URL, body?: string, headers?: Record<string, string>): Promise<SignedRequest>;
  sendSigned(request: SignedRequest): Promise<SignedResponse>;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

export function createSignedHttp({ service, region, credentials = defaultProvider(), maxSockets, requestTimeoutMs }: SignedHttpOptions): SignedHttp {
  const agents = { "http:": new HttpAgent({ keepAlive: true, maxSockets }), "https:": new HttpsAgent({ keepAlive: true, maxSockets }) };
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  const sign = async (method: string, url: URL, body?: string, headers: Record<string, string> = {}): Promise<SignedRequest> => {
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      headers: { host: url.host, ...headers, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) },
      body,
    });
    return (await signer.sign(request)) as HttpRequest;
  };
  // Node's own client rather than the SDK's handler, whose layers cost a post more than signing it.
  const sendSigned = (request: SignedRequest): Promise<SignedResponse> =>
    new Promise((resolve, reject) => {
      const https = request.protocol === "https:";
      const outgoing = (https ? httpsRequest : httpRequest)(
        {
          agent: agents[https ? "https:" : "http:"],
          host: request.hostname,
          ...(request.port ? { port: request.port } : {}),
          method: request.method,
          path: request.path,
          headers: request.headers,
          ...(requestTimeoutMs === undefined ? {} : { timeout: requestTimeoutMs }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          // Read to the end in every case, so that the socket goes back to the pool.
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers as Record<string, string | undefined>, body: Buffer.concat(chunks).toString() }));
        },
      );
      // Named as the SDK's handler names it, so that the retry strategy retries it as transient.
      outgoing.on("timeout", () => outgoing.destroy(Object.assign(new Error(`no answer in ${requestTimeoutMs} ms`), { name: "TimeoutError" })));
      outgoing.on("error", reject);
      outgoing.end(request.body as string | undefined);
    });
  return {
    send: async (method, url, body, headers) => sendSigned(await sign(method, url, body, headers)),
    sign,
    sendSigned,
    destroy: () => {
      for (const agent of Object.values(agents)) agent.destroy();
    },
  };
}

/**
 * An error answer, named as the SDK names its exceptions: by its `x-amzn-ErrorType` header or, in
 * the JSON protocols, its body's `__type`; either may carry a namespace (`aws#`) or a suffix (`:http://…`).
 */
export function errorOf(api: string, { statusCode, headers, body }: SignedResponse): AwsApiError {
  const answer = jsonObject(body);
  const type = (headers["x-amzn-errortype"] ?? (typeof answer?.__type === "string" ? answer.__type : undefined))?.split(":")[0]?.split("#").at(-1);
  const message = answer?.message ?? answer?.Message;
  return new AwsApiError(type || `HTTP${statusCode}`, statusCode, typeof message === "string" ? message : `${api} answered ${statusCode}`, getRetryAfterHint({ statusCode, headers }));
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The SDK's standard retries: transient errors (5xx, resets, timeouts) and throttling, at most
 * `maxAttempts` attempts, with its backoff and its retry quota shared by every request made
 * through it. A caller that answers throttling itself passes `throttled`: its value is returned
 * at once instead of a retry.
 */
export function standardRetries(maxAttempts: number | Provider<number>) {
  const retries = new StandardRetryStrategy(typeof maxAttempts === "number" ? async () => maxAttempts : maxAttempts);
  return async <T>(scope: string, attempt: () => Promise<T>, throttled?: () => T): Promise<T> => {
    let token = await retries.acquireInitialRetryToken(scope);
    for (;;) {
      try {
        const answer = await attempt();
        retries.recordSuccess(token);
        return answer;
      } catch (error) {
        const known = error as SdkError;
        const errorType = isThrottlingError(known) ? "THROTTLING" : isTransientError(known) ? "TRANSIENT" : undefined;
        if (errorType === undefined) throw error;
        if (errorType === "THROTTLING" && throttled) return throttled();
        try {
          const retryAfterHint = error instanceof AwsApiError ? error.retryAfter : undefined;
          token = await retries.refreshRetryTokenForRetry(token, { errorType, ...(retryAfterHint ? { retryAfterHint } : {}) });
        } catch {
          throw error;
        }
      }
    }
  };
}
