/**
 * The `@connections` management API (`POST`/`GET`/`DELETE {stage}/@connections/{id}`), with the
 * status codes and `x-amzn-ErrorType` headers the AWS SDK needs to raise its typed exceptions, and
 * the account's throttle quota. Requests are SigV4-signed by the SDK; like any local endpoint,
 * signatures are not checked.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeSegment, readBody } from "../http.js";
import type { Identity } from "./events.js";

/** An open connection, as the management API sees it. */
export interface ManagedConnection {
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly identity: Identity;
  /** Sends the bytes to the client as one text message, after any sent before; settles once they are written. */
  post(data: Buffer): Promise<void>;
  /** Closes the connection with 1000 "Connection Closed Normally". */
  disconnect(): void;
}

export interface ManagementApiOptions {
  readonly stage: string;
  /** `PostToConnection` data limit. */
  readonly maxPayloadBytes: number;
  /** The open connection with that id, if any. */
  readonly find: (connectionId: string) => ManagedConnection | undefined;
  /** Whether a request's `Host` names this endpoint; others are answered 403. */
  readonly hostAllowed: (host: string | undefined) => boolean;
  /** The account's quota: requests per second, and the bucket that lets bursts above it through. */
  readonly rate: number;
  readonly burst: number;
  /**
   * Tests only: after this many POSTs, each further POST is neither delivered nor answered until its
   * caller goes away (a worker ended by its timeout); after the first such drop, POSTs are served again.
   */
  readonly holdPostsAfter?: number;
  readonly log: (fields: Record<string, unknown>) => void;
}

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export function createManagementApi(options: ManagementApiOptions): RequestListener {
  const stage = options.stage.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // The JS SDK sends `@connections/{id with = as %3D}`; AWS docs and other clients `%40connections`.
  const route = new RegExp(`^/${stage}/(?:@|%40)connections/([^/]+)$`);
  const quota = tokenBucket(options.rate, options.burst);
  let posts = 0;
  let holding = options.holdPostsAfter !== undefined;

  return (request, response) => {
    const started = Date.now();
    const requestId = randomUUID();
    const reply = (status: number, body = "", errorType?: string) => {
      response.writeHead(status, {
        "x-amzn-RequestId": requestId,
        ...(errorType && { "x-amzn-ErrorType": errorType }),
        ...(status !== 204 && { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }),
      });
      response.end(status === 204 ? undefined : body);
      options.log({ requestId, httpMethod: request.method, resourcePath: "/@connections/{connectionId}", connectionId, status, latency: Date.now() - started });
    };

    const encodedId = route.exec((request.url ?? "").split("?")[0]!)?.[1];
    const connectionId = encodedId === undefined ? undefined : decodeSegment(encodedId);
    if (connectionId === undefined || !["POST", "GET", "DELETE"].includes(request.method ?? "") || !options.hostAllowed(request.headers.host)) {
      request.resume();
      return reply(403, JSON.stringify({ message: "Forbidden" }), "ForbiddenException");
    }
    if (!quota.take()) {
      request.resume();
      return reply(429, JSON.stringify({ message: "Too Many Requests" }), "LimitExceededException");
    }
    const gone = () => reply(410, "", "GoneException");

    if (request.method === "GET") {
      request.resume();
      const connection = options.find(connectionId);
      if (!connection) return gone();
      return reply(
        200,
        JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          // AWS's tutorial shows `UserAgent: null` for a client that sent none.
          identity: { sourceIp: connection.identity.sourceIp, userAgent: connection.identity.userAgent ?? null },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        }),
      );
    }

    if (request.method === "DELETE") {
      request.resume();
      const connection = options.find(connectionId);
      if (!connection) return gone();
      connection.disconnect();
      return reply(204);
    }

    // POST
    void readBody(request, options.maxPayloadBytes).then(({ body, size }) => {
      if (size > options.maxPayloadBytes) {
        return reply(413, JSON.stringify({ message: "Request entity too large" }), "PayloadTooLargeException");
      }
      posts += 1;
      if (holding && posts > options.holdPostsAfter!) {
        return response.once("close", () => {
          holding = false;
          options.log({ requestId, httpMethod: "POST", resourcePath: "/@connections/{connectionId}", connectionId, fault: "held, then dropped when its caller left" });
        });
      }
      const connection = options.find(connectionId);
      if (!connection) return gone();
      // API Gateway's 200 says it took the message for the connection, not that the client has read
      // it: the answer goes first, so that the caller's next post is on its way while this one is
      // written. The message is handed to the socket in this same turn, before any later post can
      // be read, so posts answered one after another reach the client in that order. A write that
      // fails afterwards ends the connection, whose $disconnect follows.
      reply(200);
      connection.post(body).catch(() => undefined);
    }, () => response.destroy());
  };
}

/**
 * API Gateway's throttle: a bucket of `burst` tokens refilled at `rate` per second; each request
 * takes one, and a request that finds none is refused.
 */
function tokenBucket(rate: number, burst: number) {
  let tokens = burst;
  let filledAt = performance.now();
  return {
    take(): boolean {
      const time = performance.now();
      tokens = Math.min(burst, tokens + ((time - filledAt) / 1000) * rate);
      filledAt = time;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
