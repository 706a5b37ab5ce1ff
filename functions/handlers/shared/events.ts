/**
 * The API Gateway WebSocket event shapes our handlers read (docs/fidelity.md, "Events sent to Lambda").
 * `@types/aws-lambda` lacks the authorizer, identity and disconnect fields, so they are declared here.
 */

interface RequestContext {
  readonly routeKey: string;
  readonly eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly domainName: string;
  readonly stage: string;
  readonly apiId: string;
  readonly identity?: { readonly sourceIp?: string; readonly userAgent?: string };
  /** `principalId` plus the authorizer's `context`, on every event after an authorized `$connect`. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
  readonly disconnectStatusCode?: number;
  readonly disconnectReason?: string;
}

export interface WebSocketEvent {
  readonly requestContext: RequestContext;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
}

export interface WebSocketAuthorizerEvent {
  readonly type: "REQUEST";
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`. */
  readonly methodArn: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly multiValueQueryStringParameters?: Readonly<Record<string, readonly string[] | undefined>>;
  readonly requestContext: Omit<RequestContext, "authorizer">;
}

/** Only `statusCode` and, on `$connect`, `Sec-WebSocket-Protocol` reach the client. */
export interface WebSocketResult {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
}
