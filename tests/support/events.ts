/** API Gateway WebSocket events as AWS sends them (docs/fidelity.md, "Events sent to Lambda"). */
import type { WebSocketAuthorizerEvent, WebSocketEvent } from "../../functions/handlers/shared/events.js";

const apiId = "abcdef1234";
const stage = "test";
const domainName = `${apiId}.execute-api.us-east-1.amazonaws.com`;
export const methodArn = `arn:aws:execute-api:us-east-1:123456789012:${apiId}/${stage}/$connect`;

let sequence = 0;
/** 16-character, URL-safe base64 ending in `=`, like API Gateway's connection ids. */
export const newConnectionId = (): string => `${Buffer.from(`c${(sequence++).toString().padStart(10, "0")}`).toString("base64url").slice(0, 15)}=`;

function context(routeKey: string, eventType: "CONNECT" | "MESSAGE" | "DISCONNECT", connectionId: string) {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    extendedRequestId: "FDmBIG3EoAMEqYA=",
    requestTime: "27/Jan/2025:16:39:47 +0000",
    messageDirection: "IN",
    stage,
    connectedAt: now,
    requestTimeEpoch: now,
    identity: { sourceIp: "192.0.2.10" },
    requestId: "FDmBIG3EoAMEqYA=",
    domainName,
    connectionId,
    apiId,
  } as const;
}

export interface HandshakeInput {
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
}

export function authorizerEvent({ query = {}, headers = {} }: HandshakeInput = {}, connectionId = newConnectionId()): WebSocketAuthorizerEvent {
  const multi = Object.fromEntries(Object.entries(query).map(([key, value]) => [key, [value].flat()]));
  return {
    type: "REQUEST",
    methodArn,
    headers: { Host: domainName, "Sec-WebSocket-Version": "13", ...headers },
    queryStringParameters: Object.fromEntries(Object.entries(multi).map(([key, values]) => [key, values.at(-1)!])),
    multiValueQueryStringParameters: multi,
    requestContext: context("$connect", "CONNECT", connectionId),
  };
}

export type AuthorizerContext = Record<string, string>;

export function connectEvent(connectionId: string, authorizer: AuthorizerContext, headers: Record<string, string> = {}): WebSocketEvent {
  return {
    headers: { Host: domainName, ...headers },
    requestContext: { ...context("$connect", "CONNECT", connectionId), authorizer: { principalId: authorizer.userId, ...authorizer } },
    isBase64Encoded: false,
  };
}

export function messageEvent(connectionId: string, routeKey: string, body: string, authorizer: AuthorizerContext): WebSocketEvent {
  return {
    requestContext: { ...context(routeKey, "MESSAGE", connectionId), authorizer: { principalId: authorizer.userId, ...authorizer } },
    body,
    isBase64Encoded: false,
  };
}

export function disconnectEvent(connectionId: string, authorizer: AuthorizerContext): WebSocketEvent {
  return {
    requestContext: {
      ...context("$disconnect", "DISCONNECT", connectionId),
      authorizer: { principalId: authorizer.userId, ...authorizer },
      disconnectStatusCode: 1005,
      disconnectReason: "Client-side close frame status not set",
    },
    isBase64Encoded: false,
  };
}
