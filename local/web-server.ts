/**
 * The web client on the local stack: serves the esbuild output (dist/web), a config.json written
 * from the local stack's outputs, and one development-only endpoint.
 *
 * `POST /local/confirm-sign-up` confirms a new account at once (AdminConfirmSignUp on cognito-local),
 * because cognito-local "delivers" confirmation codes to its log file only and a browser must never
 * hold the admin credentials AdminConfirmSignUp needs in the cloud. It exists only here, on
 * 127.0.0.1, in front of cognito-local; the cloud page has no such endpoint and asks for the emailed
 * code. It accepts only `Content-Type: application/json` from the page's own origin, so another
 * site open in the same browser cannot drive it (a cross-origin JSON POST needs a CORS preflight,
 * which this server never grants).
 *
 * cognito-local answers CORS itself (`Access-Control-Allow-Origin: *`), so the page calls it
 * directly; no proxy is needed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { localWebClientConfig, type WebClientConfig } from "../web/src/config.js";
import { defaultWebClientOutput, ensureWebClient } from "../build/web-client.js";
import { configFileName, contentSecurityPolicy, contentTypeOf } from "../web/site.js";
import { readBody } from "./http.js";
import { listen, loopbackHosts } from "./ports.js";

export const localConfirmSignUpPath = "/local/confirm-sign-up";

export interface WebServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The build to serve (dist/web). */
  readonly directory: string;
  readonly outputs: {
    readonly webSocketUrl: string;
    readonly userPoolId: string;
    readonly userPoolClientId: string;
    readonly region: string;
    readonly cognitoEndpoint?: string;
    /** Whether the page offers "Create account". */
    readonly selfSignUp?: boolean;
  };
}

export interface LocalWebServer {
  /** `http://127.0.0.1:{port}/` */
  readonly url: string;
  readonly config: WebClientConfig;
  close(): Promise<void>;
}

export async function startWebServer(options: WebServerOptions): Promise<LocalWebServer> {
  const config = localWebClientConfig(options.outputs, localConfirmSignUpPath);
  const cognitoEndpoint = config.cognitoEndpoint;
  const securityHeaders = {
    "Content-Security-Policy": contentSecurityPolicy([config.webSocketUrl, cognitoEndpoint]),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  };

  const send = (response: ServerResponse, status: number, type: string, body: string | Buffer, head = false) => {
    response.writeHead(status, { ...securityHeaders, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    response.end(head ? undefined : body);
  };
  const sendJson = (response: ServerResponse, status: number, value: unknown, head = false) =>
    send(response, status, "application/json; charset=utf-8", JSON.stringify(value), head);

  const confirmSignUp = async (request: IncomingMessage, response: ServerResponse) => {
    // Same origin: the Origin the browser sent names the host the page was loaded from (a Host
    // already checked against loopback names, so a DNS-rebound name cannot pass for it).
    const requestOrigin = request.headers.origin;
    if (!/^application\/json\b/i.test(request.headers["content-type"] ?? "") || requestOrigin !== `http://${request.headers.host}`) {
      sendJson(response, 403, { error: { code: "Forbidden", message: "JSON from the page's own origin only" } });
      return;
    }
    const { body, size } = await readBody(request, 1024);
    if (size > 1024) {
      sendJson(response, 413, { error: { code: "PayloadTooLarge", message: "1 KiB at most" } });
      return;
    }
    let username: unknown;
    try {
      username = (JSON.parse(body.toString("utf8")) as { username?: unknown }).username;
    } catch {
      sendJson(response, 400, { error: { code: "BadRequest", message: 'expected {"username": "…"}' } });
      return;
    }
    if (typeof username !== "string" || username === "") {
      sendJson(response, 400, { error: { code: "BadRequest", message: 'expected {"username": "…"}' } });
      return;
    }
    let answer: Response;
    try {
      answer = await fetch(cognitoEndpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminConfirmSignUp" },
        body: JSON.stringify({ UserPoolId: options.outputs.userPoolId, Username: username }),
      });
    } catch {
      const message = `cognito-local does not answer at ${cognitoEndpoint}: the npm start console says why (it restarts cognito-local when it dies)`;
      sendJson(response, 503, { error: { code: "CognitoUnavailable", message } });
      return;
    }
    if (answer.ok) {
      response.writeHead(204, securityHeaders).end();
      return;
    }
    const failure = (await answer.json().catch(() => ({}))) as { __type?: string; message?: string };
    sendJson(response, answer.status === 400 ? 400 : 502, { error: { code: failure.__type ?? "CognitoError", message: failure.message ?? `cognito-local answered ${answer.status}` } });
  };

  const server = createServer((request, response) => {
    // Loopback names only: a page on an attacker's domain re-pointed at 127.0.0.1 (DNS rebinding)
    // arrives with its own name in Host, and is turned away before anything is served.
    if (!loopbackHosts((server.address() as AddressInfo).port).has(request.headers.host ?? "")) {
      sendJson(response, 403, { error: { code: "Forbidden", message: "this development server answers loopback names only" } });
      return;
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const head = request.method === "HEAD";
    void (async () => {
      if (path === localConfirmSignUpPath) {
        if (request.method !== "POST") return sendJson(response, 405, { error: { code: "MethodNotAllowed", message: "POST only" } });
        return confirmSignUp(request, response);
      }
      if (request.method !== "GET" && !head) return sendJson(response, 405, { error: { code: "MethodNotAllowed", message: "GET and HEAD only" } });
      if (path === `/${configFileName}`) return sendJson(response, 200, config, head);
      const name = path === "/" ? "index.html" : path.slice(1);
      // Flat directory: a plain file name, no dot files, no build leftovers.
      if (!/^[\w-]+(\.[\w-]+)*$/.test(name) || name.endsWith(".tmp")) return send(response, 404, "text/plain; charset=utf-8", "Not found\n", head);
      let body: Buffer;
      try {
        body = await readFile(join(options.directory, name));
      } catch {
        return send(response, 404, "text/plain; charset=utf-8", "Not found\n", head);
      }
      return send(response, 200, contentTypeOf(name), body, head);
    })().catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: "InternalError", message: error instanceof Error ? error.message : String(error) } });
      else response.destroy();
    });
  });

  await listen(server, options.host, options.port, "Web client (local web server)");
  const { port } = server.address() as { port: number };
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    config,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** For the local stack: rebuilds dist/web when stale, serves it, and reports one progress line. */
export async function startLocalWebClient(
  options: Omit<WebServerOptions, "directory"> & { readonly progress: (line: string) => void },
): Promise<LocalWebServer> {
  const build = await ensureWebClient(defaultWebClientOutput);
  const server = await startWebServer({ ...options, directory: defaultWebClientOutput });
  options.progress(`✓ web client  ${server.url} (sign in and talk; page ${build === "built" ? "rebuilt" : "up to date"} in dist/web)`);
  return server;
}
