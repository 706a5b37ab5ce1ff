/**
 * In front of cognito-local when self sign-up is off: Cognito refuses `SignUp` for a pool that
 * lets only administrators create users (`AllowAdminCreateUserOnly`), and cognito-local does not
 * check that setting. The gate answers `SignUp` as Cognito does and forwards everything else.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { assertPortFree } from "./ports.js";

export interface CognitoGate {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startCognitoGate({ host, port, upstream }: { host: string; port: number; upstream: string }): Promise<CognitoGate> {
  await assertPortFree(host, port, "Cognito (cognito-local)");
  const target = new URL(upstream);
  const server = createServer((incoming, outgoing) => {
    if (incoming.headers["x-amz-target"] === "AWSCognitoIdentityProviderService.SignUp") {
      incoming.resume();
      outgoing.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "NotAuthorizedException" });
      outgoing.end(JSON.stringify({ __type: "NotAuthorizedException", message: "SignUp is not permitted for this user pool" }));
      return;
    }
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end("cognito-local is not answering");
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
