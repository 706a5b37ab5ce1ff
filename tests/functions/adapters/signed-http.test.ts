/** Signed requests on Node's own HTTP client: answers read whole, and a request left unanswered fails as the SDK's handler fails it. */
import { isTransientError } from "@smithy/core/retry";
import type { SdkError } from "@smithy/types";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedHttp } from "../../../functions/adapters/signed-http.js";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
let origin: string;
let close: () => Promise<void>;

beforeAll(async () => {
  // `/silent` is never answered; anything else is echoed with its method and signature's presence.
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/silent") return;
      response.writeHead(202, { "x-echo": request.method! }).end(JSON.stringify({ body: Buffer.concat(chunks).toString(), signed: /^AWS4-HMAC-SHA256 /.test(String(request.headers.authorization)) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
});
afterAll(() => close());

describe("createSignedHttp", () => {
  it("sends a signed request and answers its status, headers and whole body", async () => {
    const http = createSignedHttp({ service: "lambda", region: "us-east-1", credentials, maxSockets: 1 });
    try {
      const answer = await http.send("POST", new URL(`${origin}/echo`), "hello");
      expect(answer).toEqual({ statusCode: 202, headers: expect.objectContaining({ "x-echo": "POST" }), body: JSON.stringify({ body: "hello", signed: true }) });
      // A request signed now and sent later is the same request.
      const later = await http.sign("POST", new URL(`${origin}/echo`), "again");
      expect((await http.sendSigned(later)).body).toBe(JSON.stringify({ body: "again", signed: true }));
    } finally {
      http.destroy();
    }
  });

  it("fails a request left unanswered past requestTimeoutMs with a TimeoutError, which the SDK's retries treat as transient", async () => {
    const http = createSignedHttp({ service: "lambda", region: "us-east-1", credentials, maxSockets: 1, requestTimeoutMs: 100 });
    try {
      const error = await http.send("POST", new URL(`${origin}/silent`), "x").catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ name: "TimeoutError" });
      expect(isTransientError(error as SdkError)).toBe(true);
    } finally {
      http.destroy();
    }
  });
});
