/**
 * End to end against `npm start`'s stack: cognito-local, dynalite, the real function bundles in the
 * gateway emulator, driven by a `ws` client and the real AWS SDK v3 clients.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { execFile } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../local/outputs.js";
import { freePort } from "../../local/ports.js";
import { invokeLambda } from "../support/lambda.js";
import { signIn, signUp, startTestStack, whoami, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { handshake, TestClient } from "../support/ws-client.js";

const local = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

function tables(outputs: StackOutputs) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: outputs.dynamoDbEndpoint }));
  return {
    record: async (connectionId: string) =>
      (await documents.send(new GetCommand({ TableName: outputs.connectionsTableName, Key: { connectionId } }))).Item,
    documents,
  };
}

describe("the local stack", () => {
  let stack: TestStack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  const open: TestClient[] = [];
  const connect = async (url: string, protocols?: string[]) => {
    const client = await TestClient.open(url, protocols);
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob] = await Promise.all([signUp(stack.outputs, "alice@example.com"), signUp(stack.outputs, "bob@example.com")]);
  });
  afterAll(async () => {
    for (const client of open) client.socket.terminate();
    await stack?.destroy();
  });

  it("writes the stack outputs (README, the same keys as the cloud's) to outputs.json", async () => {
    const written = JSON.parse(await readFile(stack.outputsFile, "utf8"));
    expect(written).toEqual(stack.outputs);
    expect(written).toEqual({
      webSocketUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/local$/),
      managementApiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/local$/),
      userPoolId: expect.stringMatching(/^local_/),
      userPoolClientId: expect.any(String),
      region: "us-east-1",
      connectionsTableName: "connections",
      subscriptionsTableName: "subscriptions",
      channelMessagesTableName: "channel-messages",
      channelHistorySeconds: 120,
      deliveriesTableName: "deliveries",
      postRateLimit: 2000,
      cognitoEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      dynamoDbEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      lambdaEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      webClientUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
    });
  });

  it("serves Lambda's Invoke API for its functions at the lambdaEndpoint output, the endpoint the functions are given", async () => {
    // Prepare
    const { lambdaEndpoint, region } = stack.outputs;
    const tokenless = { type: "REQUEST", methodArn: "arn:aws:execute-api:us-east-1:000000000000:localapi01/local/$connect", headers: {}, queryStringParameters: {} };

    // Act
    const refused = await invokeLambda(lambdaEndpoint!, region, "authorizer", JSON.stringify(tokenless));
    const unknown = await invokeLambda(lambdaEndpoint!, region, "nobody", "{}", { type: "Event" });

    // Assess
    expect(refused.status).toBe(200);
    expect(refused.headers.get("x-amz-function-error")).toBe("Unhandled");
    expect(await refused.json()).toEqual({ errorType: "Error", errorMessage: "Unauthorized" });
    expect(unknown.status).toBe(404);
  });

  it("runs the seeds' walkthrough: connect with ?idToken= in two windows, broadcast, and a bad token", async () => {
    const first = await connect(withToken(stack.outputs, alice.idToken));
    const second = await connect(withToken(stack.outputs, bob.idToken));
    await first.send('{"action":"sendmessage", "data":"hello world"}');
    expect(await first.message(0)).toBe("hello world");
    expect(await second.message(0)).toBe("hello world");
    expect((await handshake(withToken(stack.outputs, `${alice.idToken.slice(0, -4)}AAAA`))).status).toBe(401);
    expect((await handshake(stack.outputs.webSocketUrl)).status).toBe(401);
    expect((await handshake(withToken(stack.outputs, "not-a-token"))).status).toBe(401);
  });

  it("speaks the seeds' message protocol for two users on three connections", async () => {
    const [a1, a2, b1] = await Promise.all([
      connect(withToken(stack.outputs, alice.idToken)),
      connect(withToken(stack.outputs, alice.idToken)),
      connect(withToken(stack.outputs, bob.idToken)),
    ]);
    // whoami: the authorizer's identity reaches every later route.
    const me = await whoami(a1);
    expect(me).toEqual({ connectionId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/), userId: alice.sub, username: alice.sub });
    expect((await whoami(b1)).userId).toBe(bob.sub);

    // sendtouser: both of alice's connections, not bob's.
    const [a1Before, a2Before, b1Before] = [a1.messages.length, a2.messages.length, b1.messages.length];
    await b1.send(JSON.stringify({ action: "sendtouser", userId: alice.sub, data: { note: "for alice" } }));
    expect(await a1.message(a1Before)).toBe('{"note":"for alice"}');
    expect(await a2.message(a2Before)).toBe('{"note":"for alice"}');

    // $default: anything else is echoed unchanged, to the sender only.
    await b1.send("plain text, not JSON");
    expect(await b1.message(b1Before)).toBe("plain text, not JSON");
    await b1.send('{"action":"no-such-route","x":1}');
    expect(await b1.message(b1Before + 1)).toBe('{"action":"no-such-route","x":1}');

    // A malformed request to a known route: an error frame, nothing sent on.
    await a2.send('{"action":"sendmessage"}');
    expect(JSON.parse(await a2.message(a2Before + 1))).toEqual({ error: { code: "BadRequest", message: '"data" is required' } });
    expect(a1.messages).toHaveLength(a1Before + 1);
    expect(b1.messages).toHaveLength(b1Before + 2);
  });

  it("accepts the token as a subprotocol and selects the application protocol, keeping the token out of the URL", async () => {
    const client = await connect(stack.outputs.webSocketUrl, ["json", alice.idToken]);
    expect(client.socket.protocol).toBe("json");
    expect((await whoami(client)).userId).toBe(alice.sub);
  });

  it("records each connection and removes the record on $disconnect", async () => {
    const { record } = tables(stack.outputs);
    const client = await connect(withToken(stack.outputs, bob.idToken));
    const { connectionId } = await whoami(client);
    expect(await record(connectionId)).toMatchObject({ connectionId, userId: bob.sub, username: bob.sub });
    client.socket.close(4000, "bye");
    await expect.poll(() => record(connectionId), { timeout: 5000 }).toBeUndefined();
  });

  it("serves @connections to the real SDK: GET, POST, DELETE, then GoneException", async () => {
    const management = new ApiGatewayManagementApiClient({ ...local, endpoint: stack.outputs.managementApiUrl });
    const { record } = tables(stack.outputs);
    const client = await connect(withToken(stack.outputs, alice.idToken));
    const { connectionId } = await whoami(client);

    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "pushed" }));
    expect(await client.message(1)).toBe("pushed");

    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect((await client.closed).code).toBe(1000);
    await expect.poll(() => record(connectionId), { timeout: 5000 }).toBeUndefined();
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "late" }))).rejects.toBeInstanceOf(GoneException);
    management.destroy();
  });

  it("closes on a binary frame with 1003 and forgets the connection", async () => {
    const { record } = tables(stack.outputs);
    const client = await connect(withToken(stack.outputs, bob.idToken));
    const { connectionId } = await whoami(client);
    await client.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.closed).code).toBe(1003);
    await expect.poll(() => record(connectionId), { timeout: 5000 }).toBeUndefined();
  });

  it("pushes to a user with npm run notify, reading outputs.json", async () => {
    const client = await connect(withToken(stack.outputs, bob.idToken));
    const before = client.messages.length;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/notify.ts", "--user", bob.sub, "--data", "from another service", "--outputs", stack.outputsFile],
      { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
    );
    expect(await client.message(before)).toBe("from another service");
    expect(JSON.parse(stdout)).toMatchObject({ failed: 0, delivered: expect.any(Number) });
    expect(JSON.parse(stdout).delivered).toBeGreaterThanOrEqual(1);
  });

  it("expires records whose $disconnect never came, as DynamoDB TTL would", async () => {
    const { documents, record } = tables(stack.outputs);
    const stale = { connectionId: "staleConnection=", userId: bob.sub, username: "bob", connectedAt: 0, tokenExpiresAt: 0, ttl: 1 };
    await documents.send(new PutCommand({ TableName: stack.outputs.connectionsTableName, Item: stale }));
    await expect.poll(() => record(stale.connectionId), { timeout: 10_000, interval: 200 }).toBeUndefined();
  });

  it("never writes a token, or any part of one, to a log", async () => {
    // Last in this block, and stopped first: workers forward their lines asynchronously.
    for (const client of open) client.socket.terminate();
    await stack.stop();
    const text = stack.logs.join("\n");
    expect(stack.logs.length).toBeGreaterThan(20);
    for (const token of [alice.idToken, bob.idToken]) {
      for (const segment of token.split(".")) expect(text).not.toContain(segment);
    }
  });
});

describe("the local stack, configured", () => {
  let stack: TestStack | undefined;
  afterAll(() => stack?.destroy());
  const restart = async (options: Parameters<typeof startTestStack>[0]) => {
    await stack?.destroy();
    stack = await startTestStack(options);
    return stack;
  };

  it("answers 401 without calling the authorizer when the query parameter is the only way in and is missing", async () => {
    const { outputs, logs } = await restart({ settings: { tokenQueryParameter: "ID_Token", subprotocolToken: false } });
    const user = await signUp(outputs, "carol@example.com");
    expect((await handshake(outputs.webSocketUrl, ["json", user.idToken])).status).toBe(401);
    expect(logs.some((line) => line.includes('"service":"authorizer"'))).toBe(false);
    expect((await handshake(`${outputs.webSocketUrl}?ID_Token=${user.idToken}`)).status).toBe(101);
  });

  it("reads the token from a query parameter named constructor, and still answers 401 without it", async () => {
    const { outputs } = await restart({ settings: { tokenQueryParameter: "constructor" } });
    const user = await signUp(outputs, "olga@example.com");
    expect((await handshake(`${outputs.webSocketUrl}?constructor=${user.idToken}`)).status).toBe(101);
    expect((await handshake(`${outputs.webSocketUrl}?toString=x&__proto__=y`)).status).toBe(401);
    expect((await handshake(outputs.webSocketUrl, ["json", user.idToken])).status).toBe(101);
  });

  it("answers 403 to a genuine user outside the required group", async () => {
    const { outputs } = await restart({ settings: { requiredGroups: ["admins"] } });
    const [outsider, admin] = [await signUp(outputs, "dave@example.com"), await signUp(outputs, "erin@example.com", "Passw0rd!", ["admins"])];
    expect((await handshake(withToken(outputs, outsider.idToken))).status).toBe(403);
    expect((await handshake(withToken(outputs, admin.idToken))).status).toBe(101);
  });

  it("routes the first seed's frames with its selection expression ($request.body.message)", async () => {
    const { outputs } = await restart({ settings: { routeSelectionExpression: "$request.body.message" } });
    const user = await signUp(outputs, "frank@example.com");
    const client = await TestClient.open(withToken(outputs, user.idToken));
    await client.send('{"message":"sendmessage", "data":"hello world"}');
    expect(await client.message(0)).toBe("hello world");
    client.socket.close();
  });

  it("closes idle connections with 1001 and runs $disconnect, with shortened limits", async () => {
    // Long enough for the first whoami (a cold worker, two DynamoDB calls) to answer before the idle close.
    const { outputs } = await restart({ limits: { idleTimeoutMs: 1500 } });
    const { record } = tables(outputs);
    const user = await signUp(outputs, "gina@example.com");
    const client = await TestClient.open(withToken(outputs, user.idToken));
    const { connectionId } = await whoami(client);
    expect(await client.closed).toEqual({ code: 1001, reason: "Going away" });
    await expect.poll(() => record(connectionId), { timeout: 5000 }).toBeUndefined();
  });

  it("closes connections at the maximum connection time even when busy", async () => {
    const { outputs } = await restart({ limits: { maxConnectionMs: 700 } });
    const user = await signUp(outputs, "hank@example.com");
    const client = await TestClient.open(withToken(outputs, user.idToken));
    const pinger = setInterval(() => client.socket.readyState === client.socket.OPEN && client.socket.send("ping"), 100);
    try {
      expect((await client.closed).code).toBe(1001);
    } finally {
      clearInterval(pinger);
    }
  });
});

describe("restarts", () => {
  it("keep the users, the pool and the app client", async () => {
    const first = await startTestStack();
    await signUp(first.outputs, "ivy@example.com");
    await first.stop();
    // A stopped stack leaves no outputs.json naming dead endpoints.
    await expect(readFile(first.outputsFile, "utf8")).rejects.toThrow(/ENOENT/);

    const second = await startTestStack({ dataDirectory: first.dataDirectory });
    try {
      expect(second.outputs.userPoolId).toBe(first.outputs.userPoolId);
      expect(second.outputs.userPoolClientId).toBe(first.outputs.userPoolClientId);
      const again = await signIn(second.outputs, "ivy@example.com");
      expect((await handshake(withToken(second.outputs, again.idToken))).status).toBe(101);
    } finally {
      await second.destroy();
    }
  });

  it("start cleanly after `npm start` was killed with SIGKILL: same ports free, users kept", async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), "killed-"));
    const ports = { cognito: await freePort("127.0.0.1"), gateway: await freePort("127.0.0.1") };
    const start = async () => {
      const child = spawn(process.execPath, [
        "--import", "tsx", "local/start.ts", "--data-dir", dataDirectory,
        "--gateway-port", String(ports.gateway), "--cognito-port", String(ports.cognito), "--dynamodb-port", "0", "--web-port", "0",
      ], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      await expect.poll(() => output, { timeout: 30_000 }).toMatch(/Ready in|failed/);
      expect(output).toContain("Ready in");
      return { child, outputs: JSON.parse(await readFile(join(dataDirectory, "outputs.json"), "utf8")) as StackOutputs };
    };
    try {
      const first = await start();
      await signUp(first.outputs, "kate@example.com");
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));

      const second = await start();
      try {
        const again = await signIn(second.outputs, "kate@example.com");
        expect((await handshake(withToken(second.outputs, again.idToken))).status).toBe(101);
      } finally {
        second.child.kill("SIGTERM");
        await new Promise((resolve) => second.child.once("exit", resolve));
      }
    } finally {
      await rm(dataDirectory, { recursive: true, force: true });
    }
  });

  it("repair a data file that a killed run left half-written, from the last good copy", async () => {
    const first = await startTestStack();
    await signUp(first.outputs, "jack@example.com");
    await first.stop();
    const poolFile = join(first.dataDirectory, "cognito", ".cognito", "db", `${first.outputs.userPoolId}.json`);
    const text = await readFile(poolFile, "utf8");
    await writeFile(poolFile, text.slice(0, text.length / 2));

    const warnings: string[] = [];
    const second = await startTestStack({ dataDirectory: first.dataDirectory, progress: (line) => warnings.push(line) });
    try {
      expect(warnings.join("\n")).toMatch(/restored the last good copy/);
      expect((await signIn(second.outputs, "jack@example.com")).sub).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await second.destroy();
    }
  });
});
