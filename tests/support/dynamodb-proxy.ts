/**
 * A proxy in front of dynalite that records each request's operation and table, in arrival order,
 * and can hold requests back: to see which requests a handler makes, and in what order.
 */
import { createServer, request as forward } from "node:http";
import type { AddressInfo } from "node:net";

export interface DynamoDbRequest {
  /** `UpdateItem`, `Scan`, … */
  readonly operation: string;
  readonly table: string;
}

export interface DynamoDbProxy {
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: DynamoDbRequest[];
  /** Requests for which it returns a promise are forwarded once that promise settles. */
  hold: (request: DynamoDbRequest) => Promise<void> | undefined;
  close(): Promise<void>;
}

export async function startDynamoDbProxy(target: string): Promise<DynamoDbProxy> {
  const { hostname, port } = new URL(target);
  const proxy = { requests: [] as DynamoDbRequest[], hold: (() => undefined) as DynamoDbProxy["hold"] };
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen = { operation: String(incoming.headers["x-amz-target"]).split(".")[1] ?? "?", table: String((JSON.parse(body.toString() || "{}") as { TableName?: string }).TableName) };
    proxy.requests.push(seen);
    await proxy.hold(seen);
    const upstream = forward({ hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on("error", () => outgoing.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
