/**
 * The events API Gateway sends to Lambda for a WebSocket API, built with the keys, key order and
 * value formats of captured AWS events (see shared/reference/apigw-websocket.md §1 and §3).
 */
import { randomBytes } from "node:crypto";

export interface Identity {
  readonly userAgent?: string;
  readonly sourceIp: string;
}

/** `requestContext.authorizer`: `principalId`, `integrationLatency`, then the context, as strings. */
export type AuthorizerFields = Readonly<Record<string, string | number>>;

/** What every event of one connection repeats. */
export interface ConnectionFacts {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly identity: Identity;
  readonly domainName: string;
  authorizer?: AuthorizerFields;
}

export interface ApiFacts {
  readonly apiId: string;
  readonly stage: string;
}

/** One request through the gateway: an id and the time it arrived. */
export interface RequestFacts {
  readonly requestId: string;
  readonly requestTimeEpoch: number;
}

export type HeaderMaps = {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
};

export type QueryMaps = {
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
};

/** Ids the way AWS makes them: 16 characters of URL-safe base64 ending `=`, e.g. `BFHPhfCWIAMCKlQ=`. */
export function newId(): string {
  return randomBytes(11).toString("base64").replaceAll("+", "-").replaceAll("/", "_");
}

export function newRequest(): RequestFacts {
  return { requestId: newId(), requestTimeEpoch: Date.now() };
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Common Log Format time, `27/Jan/2025:16:39:47 +0000`, as in `requestContext.requestTime`. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Headers as `[name, value]` pairs, names as the client cased them; sorted case-insensitively like AWS. */
export function headerMaps(pairs: ReadonlyArray<readonly [string, string]>): HeaderMaps {
  const key = (name: string) => name.toLowerCase();
  const sorted = [...pairs].sort(([a], [b]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const [headers, multiValueHeaders] = lastAndEvery(sorted);
  return { headers, multiValueHeaders };
}

export function queryMaps(query: URLSearchParams): QueryMaps {
  const [queryStringParameters, multiValueQueryStringParameters] = lastAndEvery(query);
  return { queryStringParameters, multiValueQueryStringParameters };
}

/**
 * The last value and every value of each name, as plain objects whose keys are all own: a client's
 * `__proto__` or `constructor` parameter is a key like any other (collected in Maps, since in an
 * object it would reach Object.prototype).
 */
function lastAndEvery(pairs: Iterable<readonly [string, string]>): [Record<string, string>, Record<string, string[]>] {
  const every = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = every.get(name);
    if (values) values.push(value);
    else every.set(name, [value]);
  }
  const last = [...every].map(([name, values]) => [name, values.at(-1)!] as const);
  return [Object.fromEntries(last), Object.fromEntries(every)];
}

/** `requestContext`, keys in the order of captured events. */
function requestContext(
  api: ApiFacts,
  connection: ConnectionFacts,
  request: RequestFacts,
  routeKey: string,
  eventType: "CONNECT" | "MESSAGE" | "DISCONNECT",
  extra: { messageId?: string; disconnectStatusCode?: number; disconnectReason?: string } = {},
) {
  return {
    routeKey,
    ...(extra.messageId !== undefined && { messageId: extra.messageId }),
    ...(extra.disconnectStatusCode !== undefined && { disconnectStatusCode: extra.disconnectStatusCode }),
    ...(connection.authorizer && { authorizer: connection.authorizer }),
    eventType,
    extendedRequestId: request.requestId,
    requestTime: clfTime(request.requestTimeEpoch),
    messageDirection: "IN",
    ...(extra.disconnectReason !== undefined && { disconnectReason: extra.disconnectReason }),
    stage: api.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: request.requestTimeEpoch,
    identity: connection.identity,
    requestId: request.requestId,
    domainName: connection.domainName,
    connectionId: connection.connectionId,
    apiId: api.apiId,
  };
}

/** The REQUEST authorizer event: query maps always present (`{}` when none), no `isBase64Encoded`. */
export function authorizerEvent(api: ApiFacts, connection: ConnectionFacts, request: RequestFacts, methodArn: string, headers: HeaderMaps, query: URLSearchParams) {
  return {
    type: "REQUEST",
    methodArn,
    ...headers,
    ...queryMaps(query),
    stageVariables: {},
    requestContext: requestContext(api, connection, request, "$connect", "CONNECT"),
  };
}

/** The `$connect` proxy event: query maps only when the URL had a query string. */
export function connectEvent(api: ApiFacts, connection: ConnectionFacts, request: RequestFacts, headers: HeaderMaps, query: URLSearchParams | undefined) {
  return {
    ...headers,
    ...(query && queryMaps(query)),
    requestContext: requestContext(api, connection, request, "$connect", "CONNECT"),
    isBase64Encoded: false,
  };
}

export function messageEvent(api: ApiFacts, connection: ConnectionFacts, request: RequestFacts, routeKey: string, messageId: string, body: string) {
  return {
    requestContext: requestContext(api, connection, request, routeKey, "MESSAGE", { messageId }),
    body,
    isBase64Encoded: false,
  };
}

/** The `$disconnect` event: always the same four headers, only `Host` filled in. */
export function disconnectEvent(api: ApiFacts, connection: ConnectionFacts, request: RequestFacts, statusCode: number, reason: string) {
  return {
    ...headerMaps([
      ["Host", connection.domainName],
      ["x-api-key", ""],
      ["X-Forwarded-For", ""],
      ["x-restapi", ""],
    ]),
    requestContext: requestContext(api, connection, request, "$disconnect", "DISCONNECT", {
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    }),
    isBase64Encoded: false,
  };
}
