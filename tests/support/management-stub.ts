/**
 * A stand-in for the API Gateway management API on 127.0.0.1: records every POST to
 * `/{stage}/@connections/{id}`, answers 410 GoneException for ids marked gone (as AWS does, with
 * the header the SDK needs), 500 for ids marked failing, and can add latency per post.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ManagementStub {
  /** `http://127.0.0.1:{port}/{stage}`: the MANAGEMENT_API_URL to give functions. */
  readonly url: string;
  /** Frames received, by connection id, in arrival order. */
  readonly received: Map<string, string[]>;
  readonly gone: Set<string>;
  readonly failing: Set<string>;
  /** Milliseconds added to every POST. */
  delayMs: number;
  /** Most POSTs in flight at once, to prove that fan-out is bounded. */
  readonly peakInFlight: number;
  close(): Promise<void>;
}

export async function startManagementStub(stage = "test"): Promise<ManagementStub> {
  const received = new Map<string, string[]>();
  const gone = new Set<string>();
  const failing = new Set<string>();
  let inFlight = 0;
  let peakInFlight = 0;
  let delayMs = 0;
  const prefix = `/${stage}/@connections/`;

  const server = createServer(async (request, response) => {
    const path = (request.url ?? "").replace("/%40connections/", "/@connections/");
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== "POST" || !path.startsWith(prefix)) return void response.writeHead(404).end();
    const connectionId = decodeURIComponent(path.slice(prefix.length));
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight -= 1;
    if (gone.has(connectionId)) {
      response.writeHead(410, { "content-type": "application/json", "x-amzn-ErrorType": "GoneException" });
      return void response.end('{"message":null}');
    }
    if (failing.has(connectionId)) {
      response.writeHead(500, { "content-type": "application/json", "x-amzn-ErrorType": "InternalServerErrorException" });
      return void response.end('{"message":"Internal server error"}');
    }
    received.set(connectionId, [...(received.get(connectionId) ?? []), Buffer.concat(chunks).toString()]);
    response.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stage}`,
    received,
    gone,
    failing,
    get delayMs() {
      return delayMs;
    },
    set delayMs(value) {
      delayMs = value;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
