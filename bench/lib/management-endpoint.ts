/**
 * A stand-in for API Gateway's `@connections` endpoint at broadcast scale: every POST waits
 * `delayMs` (API Gateway's own latency per post, as seen from a Lambda), ids whose decoded form
 * starts with "g" are stale and answer 410 with the header the SDK needs for `GoneException`.
 * Runs in the benchmark's own process, outside the 1,024-descriptor limit of the senders.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isStale } from "./connection-ids.js";

export interface ManagementEndpointOptions {
  /** Requests per second served; more in one second are answered 429 `LimitExceededException`, as the account's quota does. */
  readonly quotaPerSecond?: number;
  /** Counts the posts delivered to each id (`delivered`), for lost and duplicated counts. */
  readonly countDeliveries?: boolean;
}

export interface ManagementEndpoint {
  /** `http://127.0.0.1:{port}/{stage}`: the client's endpoint. */
  readonly url: string;
  /** Counters since the last `reset()`. */
  readonly stats: { posts: number; gone: number; throttled: number; peakConnections: number; connections: number };
  /** Posts answered 200, by connection id (with `countDeliveries`). */
  readonly delivered: Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function startManagementEndpoint(delayMs: number, stage = "bench", { quotaPerSecond = Infinity, countDeliveries = false }: ManagementEndpointOptions = {}): Promise<ManagementEndpoint> {
  const stats = { posts: 0, gone: 0, throttled: 0, peakConnections: 0, connections: 0 };
  const delivered = new Map<string, number>();
  const window = { second: 0, requests: 0 };
  const prefix = `/${stage}/@connections/`;
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    request.resume();
    request.on("end", () => {
      const path = (request.url ?? "").replace("/%40connections/", "/@connections/");
      if (request.method !== "POST" || !path.startsWith(prefix)) return void response.writeHead(404).end();
      const id = decodeURIComponent(path.slice(prefix.length));
      stats.posts += 1;
      const second = Math.floor(Date.now() / 1000);
      if (window.second !== second) Object.assign(window, { second, requests: 0 });
      if (++window.requests > quotaPerSecond) {
        stats.throttled += 1;
        return void response.writeHead(429, { "content-type": "application/json", "x-amzn-ErrorType": "LimitExceededException" }).end('{"message":"Rate exceeded"}');
      }
      setTimeout(() => {
        if (isStale(id)) {
          stats.gone += 1;
          response.writeHead(410, { "content-type": "application/json", "x-amzn-ErrorType": "GoneException" }).end('{"message":null}');
        } else {
          if (countDeliveries) delivered.set(id, (delivered.get(id) ?? 0) + 1);
          response.writeHead(200).end();
        }
      }, delayMs);
    });
  });
  server.on("connection", (socket) => {
    stats.connections += 1;
    stats.peakConnections = Math.max(stats.peakConnections, server.connections ?? 0, stats.connections);
    socket.on("close", () => (stats.connections -= 1));
  });
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stage}`,
    stats,
    delivered,
    reset() {
      stats.posts = 0;
      stats.gone = 0;
      stats.throttled = 0;
      delivered.clear();
      stats.peakConnections = stats.connections;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
