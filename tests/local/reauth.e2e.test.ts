/** `reauth` on the local stack: a fresh token moves the expiry and the groups; anything else changes nothing. */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../local/outputs.js";
import { frame, request } from "../support/channel-frames.js";
import { claimsOf, signAsCognitoLocal } from "../support/cognito-local-key.js";
import { signUp, startTestStack, whoami, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { TestClient } from "../support/ws-client.js";

const withToken = (outputs: StackOutputs, token: string) => `${outputs.webSocketUrl}?idToken=${encodeURIComponent(token)}`;

describe("reauth", () => {
  let stack: TestStack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  const tokens: string[] = [];
  /** Alice's own token, re-signed to expire in `seconds` (and with other claims changed). */
  const aliceToken = async (seconds: number, claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signAsCognitoLocal({ ...claimsOf(alice.idToken), iat: now, exp: now + seconds, ...claims });
    tokens.push(token);
    return token;
  };
  const open: TestClient[] = [];
  const connect = async (token: string) => {
    const client = await TestClient.open(withToken(stack.outputs, token));
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack({
      expirySweepIntervalMs: 200,
      settings: {
        logLevel: "DEBUG",
        channelRules: [{ channel: "staff/*", subscribe: ["authenticated"], publish: ["group:staff"] }],
      },
    });
    [alice, bob] = [await signUp(stack.outputs, "alice@reauth.example.com"), await signUp(stack.outputs, "bob@reauth.example.com")];
    tokens.push(alice.idToken, bob.idToken);
  });
  afterAll(async () => {
    for (const client of open) client.socket.terminate();
    await stack?.destroy();
  });

  it("extends the connection's expiry with a fresh token of the same user: the sweeper no longer closes it at the old one", async () => {
    const client = await connect(await aliceToken(3));
    const fresh = await aliceToken(600);
    const reply = await request(client, { action: "reauth", token: fresh, id: "r1" });
    expect(reply).toEqual({ type: "reauthenticated", id: "r1", expiresAt: claimsOf(fresh).exp });
    await sleep(4500);
    expect((await whoami(client)).userId).toBe(alice.sub);
  });

  it("refuses another user's, an expired, a forged, an access, a malformed and a missing token, and keeps the old expiry", async () => {
    const client = await connect(await aliceToken(4));
    const genuine = await aliceToken(600);
    const [header, payload, signature] = genuine.split(".") as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...claimsOf(genuine), "cognito:groups": ["staff"] })).toString("base64url");
    const refused = {
      "another user's": bob.idToken,
      expired: await aliceToken(-120),
      forged: `${header}.${forgedPayload}.${signature}`,
      "an access token": await aliceToken(600, { token_use: "access", client_id: stack.outputs.userPoolClientId, aud: undefined }),
      malformed: `${genuine} `,
      "not a string": 42,
      missing: undefined,
    };
    for (const [kind, token] of Object.entries(refused)) {
      expect(await request(client, { action: "reauth", token, id: kind.slice(0, 10) }), kind).toEqual({
        error: { code: "Unauthorized", message: "The token was refused; the connection keeps its current expiry" },
        id: kind.slice(0, 10),
      });
    }
    await client.send(JSON.stringify({ action: "reauth", token: genuine, id: 42 }));
    expect(await frame(client, (f) => f.error?.code === "BadRequest")).toEqual({ error: { code: "BadRequest", message: '"id" must be a string of 1 to 64 characters' } });
    // The old expiry stands: the sweeper closes the socket when it passes.
    expect((await client.closed).code).toBe(1000);
  });

  it("replaces the groups the channel rules see", async () => {
    const client = await connect(await aliceToken(600));
    const publish = (id: string) => request(client, { action: "publish", channel: "staff/news", data: "hello", id });
    expect(await publish("before")).toMatchObject({ error: { code: "Forbidden" } });
    await request(client, { action: "reauth", token: await aliceToken(600, { "cognito:groups": ["staff"] }), id: "staff" });
    expect(await publish("after")).toMatchObject({ type: "published", seq: 1 });
    await request(client, { action: "reauth", token: await aliceToken(600, { "cognito:groups": [] }), id: "demoted" });
    expect(await publish("again")).toMatchObject({ error: { code: "Forbidden" } });
  });

  it("never writes a token, or any part of one, to a log", async () => {
    for (const client of open) client.socket.terminate();
    await stack.stop();
    const text = stack.logs.join("\n");
    expect(stack.logs.some((line) => line.includes('"service":"reauth"'))).toBe(true);
    for (const token of tokens) for (const segment of token.split(".")) expect(text).not.toContain(segment);
  });
});
