/**
 * An offline API Gateway WebSocket API: one stage on one port, the WebSocket endpoint at
 * `/{stage}` and the `@connections` management API under it. It invokes the route table's
 * functions through an injected `invoke` and behaves, on the wire and in the events it sends,
 * the way API Gateway does (shared/reference/apigw-websocket.md).
 */
import { splitUrl } from "../http.js";
import { listen, loopbackHosts } from "../ports.js";
import { randomBytes } from "node:crypto";
import { createServer, STATUS_CODES, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { subprotocol, WebSocket, WebSocketServer } from "ws";
import { defaultLogSink, type Invoke, type InvokeResult, type LogSink } from "../function-host.js";
import { authorizerOutcome, identityPresent, parseIdentitySource } from "./authorizer.js";
import {
  authorizerEvent,
  clfTime,
  connectEvent,
  disconnectEvent,
  headerMaps,
  messageEvent,
  newId,
  newRequest,
  type ApiFacts,
  type ConnectionFacts,
  type RequestFacts,
} from "./events.js";
import { createFrameGuard } from "./frame-guard.js";
import { createManagementApi, type ManagedConnection } from "./management-api.js";
import { compileRouteSelection } from "./route-selection.js";

/** One entry of the route table (`functions/routes.ts`). */
export interface GatewayRoute {
  readonly routeKey: string;
  readonly function: string;
  /** Only `$connect` may be authorized, as on API Gateway. */
  readonly authorized: boolean;
}

export interface GatewayLimits {
  readonly frameBytes: number;
  readonly messageBytes: number;
  /** Closed with 1001 when the client sent no data message for this long. */
  readonly idleTimeoutMs: number;
  /** Closed with 1001 this long after connecting. */
  readonly maxConnectionMs: number;
  /**
   * Not an API Gateway quota: a TCP connection that has not sent a complete request (handshake or
   * `@connections` call) this long after connecting is closed, so idle sockets cannot pile up.
   */
  readonly handshakeTimeoutMs: number;
  /**
   * `@connections` requests per second (the account's throttle quota, which on AWS every API of the
   * account and region shares); above it, and once the burst is spent, 429 `LimitExceededException`.
   */
  readonly connectionsApiRate: number;
  /** The token bucket's capacity: how many requests above the rate a burst may bring. */
  readonly connectionsApiBurst: number;
}

/** API Gateway's WebSocket quotas. */
export const apiGatewayLimits: GatewayLimits = {
  frameBytes: 32 * 1024,
  messageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  handshakeTimeoutMs: 10 * 1000,
  connectionsApiRate: 10_000,
  connectionsApiBurst: 5_000,
};

/** Faults for tests; none is ever on by default. */
export interface GatewayFaults {
  /**
   * After this many `@connections` POSTs, each further POST is neither delivered nor answered until
   * its caller's socket closes (as when a worker is ended by its timeout), then dropped; after the
   * first drop, POSTs are served normally again.
   */
  readonly holdPostsAfter?: number;
}

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  /** Runs a function by name: the function host's `invoke`, or a fake in tests. */
  readonly invoke: Invoke;
  /** The REQUEST authorizer function; used when the `$connect` route is `authorized`. */
  readonly authorizer?: string;
  /** `route.request.querystring.NAME` / `route.request.header.NAME`. @default [] */
  readonly identitySources?: readonly string[];
  /** @default "$request.body.action" */
  readonly routeSelectionExpression?: string;
  /** @default "local" */
  readonly stage?: string;
  /** @default "localapi01" */
  readonly apiId?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default "000000000000" */
  readonly accountId?: string;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default {@link apiGatewayLimits} */
  readonly limits?: Partial<GatewayLimits>;
  /** Receives one JSON access-log line per event (never headers, query strings or tokens). */
  readonly log?: LogSink;
  /** @default {} */
  readonly faults?: GatewayFaults;
}

export interface Gateway {
  /** `ws://{host}:{port}/{stage}` */
  readonly webSocketUrl: string;
  /** `http://{host}:{port}/{stage}`: the `@connections` endpoint for the management API client. */
  readonly managementApiUrl: string;
  readonly port: number;
  /** Closes every connection with 1001 "Going away" (running `$disconnect`), then the server. */
  close(): Promise<void>;
}

interface Connection extends ConnectionFacts, ManagedConnection {
  readonly socket: WebSocket;
  lastActiveAt: number;
  /** Why the gateway closed it; `undefined` while open or when the client closed. */
  closing?: { readonly code: number; readonly reason: string };
  /** Settles once `$disconnect` has run. */
  readonly done: Promise<void>;
}

/** How a handshake ends: `status` 200 upgrades; `message` is the body of the gateway's own refusals. */
type Admission = { status: number; message?: string; protocol?: string; error?: string };

const refusalMessages: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 500: "Internal server error" };

/** Upgrade headers that the authorizer event shows and the `$connect` event does not. */
const handshakeOnly = ["connection", "upgrade", "content-length"];
/** Headers API Gateway sets itself. */
const gatewayAdded = ["x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"];

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? "local";
  const api: ApiFacts = { apiId: options.apiId ?? "localapi01", stage };
  const methodArn = `arn:aws:execute-api:${options.region ?? "us-east-1"}:${options.accountId ?? "000000000000"}:${api.apiId}/${stage}/$connect`;
  const limits: GatewayLimits = { ...apiGatewayLimits, ...options.limits };
  const log = options.log ?? defaultLogSink;
  const accessLog = (fields: Record<string, unknown>) => log({ source: "gateway", stream: "stdout", line: JSON.stringify(fields) });

  const routes = new Map(options.routes.map((route) => [route.routeKey, route]));
  const connectRoute = routes.get("$connect");
  const authorizer = connectRoute?.authorized ? options.authorizer : undefined;
  for (const route of options.routes) {
    if (route.authorized && route.routeKey !== "$connect") throw new Error(`route ${route.routeKey}: only $connect can be authorized`);
  }
  if (connectRoute?.authorized && !options.authorizer) throw new Error("route $connect is authorized but no authorizer function is given");
  const identitySources = (options.identitySources ?? []).map(parseIdentitySource);
  const selectRoute = compileRouteSelection(options.routeSelectionExpression ?? "$request.body.action");

  const connections = new Map<string, Connection>();
  const handshakes = new Set<Promise<void>>();
  let shuttingDown = false;

  // A subprotocol reaches the client only when `$connect` returned one: ws must never pick one itself.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: limits.messageBytes, handleProtocols: () => false });
  const selectedProtocols = new WeakMap<IncomingMessage, string>();
  wss.on("headers", (headers, request) => {
    const protocol = selectedProtocols.get(request);
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });

  const host = options.host ?? "127.0.0.1";
  const management = createManagementApi({
    stage,
    maxPayloadBytes: limits.messageBytes,
    find: (id) => {
      const connection = connections.get(id);
      return connection && !connection.closing && connection.socket.readyState === WebSocket.OPEN ? connection : undefined;
    },
    // Loopback names (and the gateway's own address) only: a page whose name was re-pointed at this
    // machine (DNS rebinding) sends its own name in Host and cannot reach the connections.
    hostAllowed: (name) => allowedHosts.has(name ?? ""),
    rate: limits.connectionsApiRate,
    burst: limits.connectionsApiBurst,
    holdPostsAfter: options.faults?.holdPostsAfter,
    log: accessLog,
  });
  const server = createServer((request, response) => {
    requestArrived(request.socket);
    management(request, response);
  });
  // Every TCP connection, upgraded or not, so that close() can end them all; each is closed when no
  // complete request arrives within the handshake timeout.
  const sockets = new Set<Duplex>();
  const awaitingRequest = new WeakMap<Duplex, NodeJS.Timeout>();
  const requestArrived = (socket: Duplex) => clearTimeout(awaitingRequest.get(socket));
  server.on("connection", (socket: Duplex) => {
    sockets.add(socket);
    const timer = setTimeout(() => socket.destroy(), limits.handshakeTimeoutMs);
    awaitingRequest.set(socket, timer);
    socket.once("close", () => {
      clearTimeout(timer);
      sockets.delete(socket);
    });
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    requestArrived(socket);
    const handshake = upgrade(request, socket, head)
      // Whatever a handshake does to the gateway itself, it costs that handshake only, never the process.
      .catch(() => void socket.destroy())
      .finally(() => handshakes.delete(handshake));
    handshakes.add(handshake);
  });

  await listen(server, host, options.port ?? 0, "API Gateway emulator (gateway)");
  const port = (server.address() as AddressInfo).port;
  const origin = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const allowedHosts = new Set([origin, ...loopbackHosts(port)]);

  async function invoke(functionName: string, event: unknown): Promise<InvokeResult> {
    try {
      return await options.invoke(functionName, event);
    } catch (error) {
      return { ok: false, errorType: "InvokeError", errorMessage: String(error) };
    }
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const [path, search] = splitUrl(request.url ?? "/");
    if (shuttingDown) return refuse(socket, 503);
    // Only the stage path upgrades; API Gateway answers other paths 403 Forbidden.
    if (path !== `/${stage}`) return refuse(socket, 403, "Forbidden");
    if (!isWebSocketHandshake(request)) return refuse(socket, 400);

    const started = Date.now();
    const handshake = newRequest();
    const identity = identityOf(request);
    const facts: ConnectionFacts = {
      connectionId: newId(),
      connectedAt: handshake.requestTimeEpoch,
      identity,
      domainName: request.headers.host ?? origin,
    };
    const admission = await admit(request, facts, handshake, search);
    accessLog({
      requestId: handshake.requestId,
      ip: identity.sourceIp,
      requestTime: clfTime(handshake.requestTimeEpoch),
      eventType: "CONNECT",
      routeKey: "$connect",
      connectionId: facts.connectionId,
      status: admission.status,
      latency: Date.now() - started,
      ...(admission.error && { error: admission.error }),
    });
    if (admission.status !== 200) return refuse(socket, admission.status, admission.message);
    if (!socket.readable || !socket.writable) {
      // The client left while `$connect` ran: the connection existed, so it ends like a lost one.
      socket.destroy();
      return runDisconnect(facts, 1006, "");
    }
    if (admission.protocol) selectedProtocols.set(request, admission.protocol);
    // Should ws refuse what the checks above let through, `$connect` has recorded a connection that
    // never opens: it ends like a lost one, so that no record outlives a failed handshake. (The
    // socket is open here, checked just above, so its "close" is still to come.)
    const upgraded = await new Promise<boolean>((resolve) => {
      socket.once("close", () => resolve(false));
      wss.handleUpgrade(request, socket, head, (ws) => {
        resolve(true);
        open(ws, socket, facts);
      });
    });
    if (!upgraded) return runDisconnect(facts, 1006, "");
  }

  async function admit(request: IncomingMessage, facts: ConnectionFacts, handshake: RequestFacts, search: string | undefined): Promise<Admission> {
    const query = new URLSearchParams(search ?? "");
    const headers = gatewayHeaders(request, facts.identity.sourceIp);
    if (authorizer) {
      if (!identityPresent(identitySources, request.headers, query)) return { status: 401, message: "Unauthorized", error: "Identity source missing" };
      const upgradeHeaders: Array<[string, string]> = [["Connection", "upgrade"], ["content-length", "0"], ["Upgrade", "websocket"]];
      const started = Date.now();
      const invoked = await invoke(authorizer, authorizerEvent(api, facts, handshake, methodArn, headerMaps([...headers, ...upgradeHeaders]), query));
      const outcome = authorizerOutcome(invoked, methodArn, Date.now() - started);
      if (!outcome.allowed) return { status: outcome.status, message: refusalMessages[outcome.status], error: outcome.error };
      facts.authorizer = outcome.authorizer;
    }
    if (!connectRoute) return { status: 200 };

    const invoked = await invoke(connectRoute.function, connectEvent(api, facts, handshake, headerMaps(headers), search === undefined ? undefined : query));
    const failed: Admission = { status: 502, message: "Internal server error" };
    if (!invoked.ok) return { ...failed, error: "$connect failed" };
    // A result without a statusCode (undocumented on AWS) is taken as 200.
    const result = typeof invoked.result === "object" && invoked.result !== null ? (invoked.result as { statusCode?: unknown; headers?: unknown }) : {};
    const status = Number(result.statusCode ?? 200);
    if (!Number.isInteger(status) || status < 200 || status > 599) return { ...failed, error: "Malformed Lambda proxy response" };
    if (status > 299) return { status };
    // Of the whole result, only Sec-WebSocket-Protocol reaches the client.
    const protocol = Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === "sec-websocket-protocol")?.[1];
    return { status: 200, ...(typeof protocol === "string" && protocol !== "" && { protocol }) };
  }

  function open(socket: WebSocket, raw: Duplex, facts: ConnectionFacts): void {
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const goAway = () => closeConnection(connection, 1001, "Going away");
    const idleTimer = setTimeout(goAway, limits.idleTimeoutMs);
    const lifetimeTimer = setTimeout(goAway, limits.maxConnectionMs - (Date.now() - facts.connectedAt));
    const connection: Connection = {
      ...facts,
      socket,
      lastActiveAt: facts.connectedAt,
      done,
      post: (data) => sendText(socket, data),
      disconnect: () => closeConnection(connection, 1000, "Connection Closed Normally"),
    };
    connections.set(connection.connectionId, connection);

    // Runs before ws sees the bytes, so an oversized frame is never routed.
    raw.prependListener("data", createFrameGuard(limits, () => closeConnection(connection, 1009, "Message Too Big")));
    socket.on("message", (data, isBinary) => {
      if (connection.closing) return;
      // API Gateway does not route binary frames: it closes the connection.
      if (isBinary) return closeConnection(connection, 1003, "Unsupported Data");
      connection.lastActiveAt = Date.now();
      idleTimer.refresh();
      void route(connection, (data as Buffer).toString("utf8"));
    });
    // ws closes the socket itself on protocol errors; the "close" event follows.
    socket.on("error", () => {});
    socket.once("close", (code, reason) => {
      clearTimeout(idleTimer);
      clearTimeout(lifetimeTimer);
      const status = connection.closing ?? { code, reason: code === 1005 ? "Client-side close frame status not set" : reason.toString() };
      void runDisconnect(connection, status.code, status.reason).finally(() => {
        connections.delete(connection.connectionId);
        finished();
      });
    });
  }

  function closeConnection(connection: Connection, code: number, reason: string): void {
    if (connection.closing || connection.socket.readyState !== WebSocket.OPEN) return;
    connection.closing = { code, reason };
    connection.socket.close(code, reason);
  }

  /**
   * One data message: selected route, else `$default`, else a Forbidden frame. Messages of a
   * connection are invoked in arrival order but not serialised, as API Gateway invokes concurrently.
   */
  async function route(connection: Connection, body: string): Promise<void> {
    const started = Date.now();
    const request = newRequest();
    let target: GatewayRoute | undefined;
    let status = 200;
    try {
      const key = selectRoute(body);
      // Custom route keys never start with `$`: a client cannot select `$connect` or `$disconnect`.
      target = (key && !key.startsWith("$") ? routes.get(key) : undefined) ?? routes.get("$default");
      if (!target) {
        status = 403;
        await sendError(connection, "Forbidden", request.requestId);
      } else {
        const invoked = await invoke(target.function, messageEvent(api, connection, request, target.routeKey, newId(), body));
        if (!invoked.ok) {
          status = 500;
          await sendError(connection, "Internal server error", request.requestId);
        }
      }
    } catch {
      // Whatever a frame does to the gateway itself, it costs that frame only, never the process.
      status = 500;
      await sendError(connection, "Internal server error", request.requestId);
    }
    accessLog({
      requestId: request.requestId,
      ip: connection.identity.sourceIp,
      requestTime: clfTime(request.requestTimeEpoch),
      eventType: "MESSAGE",
      routeKey: target?.routeKey ?? "",
      connectionId: connection.connectionId,
      status,
      latency: Date.now() - started,
    });
  }

  /** The error frames API Gateway sends, spacing included. */
  function sendError(connection: Connection, message: string, requestId: string): Promise<void> {
    const frame = `{"message": "${message}", "connectionId":"${connection.connectionId}", "requestId":"${requestId}"}`;
    return sendText(connection.socket, Buffer.from(frame)).catch(() => {});
  }

  /** A text message, split into frames of at most `frameBytes` as API Gateway does. */
  function sendText(socket: WebSocket, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return reject(new Error("connection is not open"));
      const count = Math.max(1, Math.ceil(data.length / limits.frameBytes));
      for (let index = 0; index < count; index++) {
        const fin = index === count - 1;
        const frame = data.subarray(index * limits.frameBytes, (index + 1) * limits.frameBytes);
        socket.send(frame, { binary: false, fin }, fin ? (error) => (error ? reject(error) : resolve()) : undefined);
      }
    });
  }

  async function runDisconnect(facts: ConnectionFacts, code: number, reason: string): Promise<void> {
    const started = Date.now();
    const request = newRequest();
    const target = routes.get("$disconnect");
    const invoked = target ? await invoke(target.function, disconnectEvent(api, facts, request, code, reason)) : undefined;
    accessLog({
      requestId: request.requestId,
      ip: facts.identity.sourceIp,
      requestTime: clfTime(request.requestTimeEpoch),
      eventType: "DISCONNECT",
      routeKey: "$disconnect",
      connectionId: facts.connectionId,
      status: invoked && !invoked.ok ? 500 : 200,
      latency: Date.now() - started,
    });
  }

  return {
    webSocketUrl: `ws://${origin}/${stage}`,
    managementApiUrl: `http://${origin}/${stage}`,
    port,
    async close() {
      shuttingDown = true;
      const stopped = new Promise((resolve) => server.close(resolve));
      await Promise.allSettled([...handshakes]);
      const open = [...connections.values()];
      for (const connection of open) closeConnection(connection, 1001, "Going away");
      // Clients that do not answer the close frame are cut off; $disconnect still runs.
      const grace = setTimeout(() => open.forEach((connection) => connection.socket.terminate()), 1000);
      await Promise.all(open.map((connection) => connection.done));
      clearTimeout(grace);
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

function refuse(socket: Duplex, status: number, message?: string): void {
  const body = message ? JSON.stringify({ message }) : "";
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Connection: close",
    ...(body ? ["Content-Type: application/json"] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

/**
 * A handshake that ws's `handleUpgrade` will accept, checked before the authorizer runs: a request
 * it would refuse after a successful `$connect` would leave that `$connect`'s record behind.
 */
function isWebSocketHandshake(request: IncomingMessage): boolean {
  return (
    request.method === "GET" &&
    request.headers.upgrade?.toLowerCase() === "websocket" &&
    /^[+/0-9A-Za-z]{22}==$/.test(request.headers["sec-websocket-key"] ?? "") &&
    request.headers["sec-websocket-version"] === "13" &&
    subprotocolsAcceptable(request.headers["sec-websocket-protocol"])
  );
}

/** ws's own parser: `json, T, T`, `json x, T`, `json,,T` and `json, T,` are refused with 400. */
function subprotocolsAcceptable(header: string | undefined): boolean {
  if (header === undefined) return true;
  try {
    subprotocol.parse(header);
    return true;
  } catch {
    return false;
  }
}

function identityOf(request: IncomingMessage): ConnectionFacts["identity"] {
  const sourceIp = (request.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
  const userAgent = request.headers["user-agent"];
  return userAgent ? { userAgent, sourceIp } : { sourceIp };
}

/** The client's headers as it cased them, without the upgrade mechanics, plus what API Gateway adds. */
function gatewayHeaders(request: IncomingMessage, sourceIp: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    const lower = name.toLowerCase();
    if (!handshakeOnly.includes(lower) && !gatewayAdded.includes(lower)) pairs.push([name, request.rawHeaders[index + 1]!]);
  }
  const forwardedFor = request.headers["x-forwarded-for"];
  const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
  pairs.push(
    ["X-Amzn-Trace-Id", traceId],
    ["X-Forwarded-For", forwardedFor ? `${forwardedFor}, ${sourceIp}` : sourceIp],
    ["X-Forwarded-Port", String(request.socket.localPort ?? "")],
    ["X-Forwarded-Proto", "http"],
  );
  return pairs;
}
