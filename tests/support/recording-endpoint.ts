/**
 * An AWS endpoint on 127.0.0.1 that hands each request to the test and answers as it says, and the
 * SigV4 check a server makes: for the adapters that send AWS requests without a generated client.
 */
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  /** Sent as `x-amzn-ErrorType`. */
  readonly errorType?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Drop the connection instead of answering. */
  readonly reset?: boolean;
  /** Answer this much later. */
  readonly delayMs?: number;
}

export interface RecordingEndpoint {
  /** `http://127.0.0.1:PORT`, no path. */
  readonly origin: string;
  /** The most requests held unanswered at once since the last call. */
  peakInFlight(): number;
  close(): Promise<void>;
}

/** Hands each request to `handle` and answers as it says (200 with an empty body when it says nothing). */
export async function startRecordingEndpoint(handle: (request: Received) => Answer | undefined): Promise<RecordingEndpoint> {
  let inFlight = 0;
  let peak = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    peak = Math.max(peak, (inFlight += 1));
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const { status, errorType, body = "", headers = {}, reset = false, delayMs = 0 } = handle({ method: request.method!, path: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() }) ?? { status: 200 };
      setTimeout(() => {
        inFlight -= 1;
        if (reset) return void request.socket.destroy();
        response.writeHead(status, { "content-type": "application/json", ...(errorType ? { "x-amzn-ErrorType": errorType } : {}), ...headers }).end(body);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    peakInFlight: () => {
      const value = peak;
      peak = inFlight;
      return value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The check AWS makes, done the way servers do it: sign the request as received (method, path as
 * on the wire, the headers it lists as signed, body) at its own date, and compare.
 */
export async function signatureMatches(request: Received, { service, region, credentials }: { service: string; region: string; credentials: AwsCredentialIdentity }): Promise<boolean> {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const date = String(request.headers["x-amz-date"]);
  const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const [hostname, port] = String(request.headers.host).split(":") as [string, string];
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  const resigned = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: "http:",
      hostname,
      port: Number(port),
      path: request.path,
      // The payload hash is left out, for the signer to compute it from the body as received.
      headers: Object.fromEntries(signedHeaders.filter((name) => name !== "x-amz-content-sha256").map((name) => [name, String(request.headers[name])])),
      body: request.body,
    }),
    { signingDate },
  );
  return resigned.headers.authorization === authorization;
}
