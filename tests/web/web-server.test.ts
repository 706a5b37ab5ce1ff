/** The local web server and the web build, against a stand-in for cognito-local. */
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebClient, webClientFiles, webClientIsStale } from "../../build/web-client.js";
import { freePort } from "../../local/ports.js";
import { localConfirmSignUpPath, startWebServer, type LocalWebServer } from "../../local/web-server.js";

let directory: string;
let server: LocalWebServer;
let cognito: Server;
const cognitoRequests: { target: string; body: unknown }[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "web-client-"));
  await buildWebClient(directory);
  cognito = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      cognitoRequests.push({ target: String(request.headers["x-amz-target"]), body: JSON.parse(body) });
      const known = (JSON.parse(body) as { Username: string }).Username === "new@example.com";
      response.writeHead(known ? 200 : 400, { "Content-Type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(known ? {} : { __type: "UserNotFoundException", message: "User does not exist." }));
    });
  });
  await new Promise<void>((resolve) => cognito.listen(0, "127.0.0.1", resolve));
  const cognitoEndpoint = `http://127.0.0.1:${(cognito.address() as { port: number }).port}`;
  server = await startWebServer({
    host: "127.0.0.1",
    port: 0,
    directory,
    outputs: { webSocketUrl: "ws://127.0.0.1:3001/local", userPoolId: "local_pool", userPoolClientId: "client", region: "us-east-1", cognitoEndpoint },
  });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => cognito?.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);
const confirm = (body: string, headers: Record<string, string>) => get(localConfirmSignUpPath, { method: "POST", body, headers });

describe("the web build", () => {
  it("writes the page, its script, styles and icon; up to date until a file goes missing", async () => {
    for (const name of webClientFiles) expect((await stat(join(directory, name))).size).toBeGreaterThan(0);
    expect(await webClientIsStale(directory)).toBe(false);

    await utimes(join(directory, "app.js"), new Date(0), new Date(0));
    expect(await webClientIsStale(directory)).toBe(true);
    await rm(join(directory, "app.js"));
    expect(await webClientIsStale(directory)).toBe(true);

    await buildWebClient(directory);
    expect(await webClientIsStale(directory)).toBe(false);
  });
});

describe("the local web server", () => {
  it("serves the page with its content type and a policy allowing only the stack's origins", async () => {
    const response = await get("/");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain('<script type="module" src="app.js"></script>');
    expect(response.headers.get("content-security-policy")).toContain(`connect-src 'self' ws://127.0.0.1:3001 ${server.config.cognitoEndpoint};`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await get("/app.js")).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await get("/styles.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const head = await get("/index.html", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("writes config.json from the local stack's outputs, with the development-only confirmation endpoint", async () => {
    expect(await (await get("/config.json")).json()).toEqual({
      webSocketUrl: "ws://127.0.0.1:3001/local",
      userPoolClientId: "client",
      region: "us-east-1",
      cognitoEndpoint: server.config.cognitoEndpoint,
      environment: "local",
      localConfirmSignUpUrl: localConfirmSignUpPath,
    });
  });

  it("serves nothing outside the build: no parent paths, dot files, leftovers or other methods", async () => {
    await writeFile(join(directory, ".secret"), "no");
    await writeFile(join(directory, "app.js.1.x.tmp"), "no");
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/..%2fpackage.json", "/.secret", "/app.js.1.x.tmp", "/missing.js", "/sub/index.html"]) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get("/", { method: "POST" })).status).toBe(405);
    expect((await get(localConfirmSignUpPath)).status).toBe(405);
  });

  it("confirms a new account through AdminConfirmSignUp on cognito-local, for JSON from the page's origin only", async () => {
    cognitoRequests.length = 0;

    expect((await confirm('{"username":"new@example.com"}', { "Content-Type": "text/plain" })).status).toBe(403);
    expect((await confirm('{"username":"new@example.com"}', { "Content-Type": "application/json", Origin: "https://evil.example" })).status).toBe(403);
    const origin = new URL(server.url).origin;
    expect((await confirm('{"username":"new@example.com"}', { "Content-Type": "application/json" })).status).toBe(403);
    expect((await confirm("{", { "Content-Type": "application/json", Origin: origin })).status).toBe(400);
    expect((await confirm('{"username":""}', { "Content-Type": "application/json", Origin: origin })).status).toBe(400);
    expect((await confirm(JSON.stringify({ username: "x".repeat(2000) }), { "Content-Type": "application/json", Origin: origin })).status).toBe(413);
    expect(cognitoRequests).toEqual([]);

    expect((await confirm('{"username":"new@example.com"}', { "Content-Type": "application/json", Origin: origin })).status).toBe(204);
    const unknown = await confirm('{"username":"who@example.com"}', { "Content-Type": "application/json", Origin: origin });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: { code: "UserNotFoundException", message: "User does not exist." } });
    expect(cognitoRequests).toEqual([
      { target: "AWSCognitoIdentityProviderService.AdminConfirmSignUp", body: { UserPoolId: "local_pool", Username: "new@example.com" } },
      { target: "AWSCognitoIdentityProviderService.AdminConfirmSignUp", body: { UserPoolId: "local_pool", Username: "who@example.com" } },
    ]);
  });

  it("answers 503 naming cognito-local, not `fetch failed`, when cognito-local is down", async () => {
    const closedPort = await freePort("127.0.0.1");
    const orphan = await startWebServer({
      host: "127.0.0.1",
      port: 0,
      directory,
      outputs: { webSocketUrl: "ws://127.0.0.1:3001/local", userPoolId: "local_pool", userPoolClientId: "client", region: "us-east-1", cognitoEndpoint: `http://127.0.0.1:${closedPort}` },
    });
    try {
      const response = await fetch(new URL(localConfirmSignUpPath, orphan.url), {
        method: "POST",
        body: '{"username":"new@example.com"}',
        headers: { "Content-Type": "application/json", Origin: new URL(orphan.url).origin },
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: { code: "CognitoUnavailable", message: expect.stringContaining(`cognito-local does not answer at http://127.0.0.1:${closedPort}`) },
      });
    } finally {
      await orphan.close();
    }
  });

  it("turns away a DNS-rebound name, whatever Origin comes with it", async () => {
    const { port } = new URL(server.url);
    const rebound = `rebind.attacker.example:${port}`;
    const statusOf = (path: string, method: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(method === "POST" ? '{"username":"victim@example.com"}' : undefined);
      });
    cognitoRequests.length = 0;
    expect(await statusOf(localConfirmSignUpPath, "POST", { Host: rebound, Origin: `http://${rebound}`, "Content-Type": "application/json" })).toBe(403);
    expect(await statusOf("/config.json", "GET", { Host: rebound })).toBe(403);
    expect(await statusOf("/config.json", "GET", { Host: `localhost:${port}` })).toBe(200);
    expect(cognitoRequests).toEqual([]);
  });

  it("names itself when its port is taken", async () => {
    const port = Number(new URL(server.url).port);
    await expect(startWebServer({ host: "127.0.0.1", port, directory, outputs: { webSocketUrl: "ws://127.0.0.1:1/x", userPoolId: "p", userPoolClientId: "c", region: "r", cognitoEndpoint: "http://127.0.0.1:2" } })).rejects.toThrow(
      /Web client \(local web server\): port \d+ on 127\.0\.0\.1 is already in use/,
    );
  });
});
