/** Lambda's `Invoke` as the SDK's Lambda client sends it (the client itself is not a dependency). */
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { request as httpRequest } from "node:http";

export interface InvokeOptions {
  /** `X-Amz-Invocation-Type`; none means Lambda's default, `RequestResponse`. */
  readonly type?: "Event" | "RequestResponse";
  readonly qualifier?: string | undefined;
  /** Sent as the Host header instead of the endpoint's own. */
  readonly host?: string;
}

/** `POST /2015-03-31/functions/{name}/invocations`, the name URL-encoded, SigV4-signed with dummy keys. */
export async function invokeLambda(endpoint: string, region: string, functionName: string, body: string, options: InvokeOptions = {}): Promise<Response> {
  const url = new URL(endpoint);
  const query: Record<string, string> = options.qualifier === undefined ? {} : { Qualifier: options.qualifier };
  const signer = new SignatureV4({ service: "lambda", region, credentials: { accessKeyId: "local", secretAccessKey: "local" }, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    query,
    headers: {
      host: options.host ?? url.host,
      "content-type": "application/octet-stream",
      ...(options.type && { "x-amz-invocation-type": options.type }),
    },
    body,
  });
  const target = `${endpoint}${signed.path}${options.qualifier === undefined ? "" : `?${new URLSearchParams(query)}`}`;
  // node:http rather than fetch: fetch will not send a Host of the caller's choosing.
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(target, { method: "POST", headers: signed.headers, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve(new Response(text === "" ? null : text, { status: incoming.statusCode!, headers: incoming.headers as Record<string, string> }));
      });
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
