/**
 * Forged and malformed tokens through the local stack's real handshake (gateway → authorizer
 * bundle → jose → cognito-local's JWKS), with a positive control so that the refusals mean something.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { constants, createHmac, createPublicKey, createSign } from "node:crypto";
import { base64url, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureUserPool } from "../../local/cognito.js";
import { claimsOf, cognitoLocalPrivatePem, signAsCognitoLocal } from "../support/cognito-local-key.js";
import { cognitoClient, signUp, startTestStack, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { handshake, rawHandshake, TestClient } from "../support/ws-client.js";

let stack: TestStack;
let user: SignedInUser;
let otherPoolUser: SignedInUser;
const everyToken = new Set<string>();

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const segments = (token: string) => token.split(".") as [string, string, string];

async function status(query: string, protocols?: string[]): Promise<number> {
  return (await handshake(`${stack.outputs.webSocketUrl}${query}`, protocols)).status;
}
const withToken = (token: string) => {
  everyToken.add(token);
  return status(`?idToken=${encodeURIComponent(token)}`);
};

/** The connection records of one user, read straight from the table. */
async function recordsOf(userId: string): Promise<unknown[]> {
  const { outputs } = stack;
  const client = new DynamoDBClient({ endpoint: outputs.dynamoDbEndpoint, region: outputs.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const scan = new ScanCommand({ TableName: outputs.connectionsTableName, FilterExpression: "userId = :userId", ExpressionAttributeValues: { ":userId": userId } });
    return (await DynamoDBDocumentClient.from(client).send(scan)).Items ?? [];
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  user = await signUp(stack.outputs, "mallory-target@example.com");
  // A second pool on the same cognito-local: same host, same signing key, another issuer.
  const cognito = cognitoClient(stack.outputs);
  const other = await ensureUserPool(cognito, "another-pool", "another-client").finally(() => cognito.destroy());
  otherPoolUser = await signUp({ ...stack.outputs, ...other }, "other-pool@example.com");
  for (const token of [user.idToken, user.accessToken, otherPoolUser.idToken]) everyToken.add(token);
});
afterAll(() => stack?.destroy());

describe("the attack matrix", () => {
  const claims = () => claimsOf(user.idToken);
  const now = () => Math.floor(Date.now() / 1000);
  const resign = (override: Record<string, unknown>, header: Record<string, unknown> = {}) => signAsCognitoLocal({ ...claims(), ...override }, header);
  const foreignKey = () => generateKeyPair("RS256", { extractable: true });

  it("accepts the genuine token (positive control), by query and by subprotocol", async () => {
    expect(await withToken(user.idToken)).toBe(101);
    expect(await status("", ["json", user.idToken])).toBe(101);
    expect(await withToken(await resign({}))).toBe(101);
  });

  const attacks: [string, () => Promise<string>][] = [
    // Signature
    ["signed by a foreign key claiming cognito-local's kid", async () => new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "CognitoLocal" }).sign((await foreignKey()).privateKey)],
    ["payload tampered (sub swapped)", async () => {
      const [header, , signature] = segments(user.idToken);
      return `${header}.${encode({ ...claims(), sub: "00000000-0000-4000-8000-000000000000" })}.${signature}`;
    }],
    ["signature stripped", async () => `${segments(user.idToken).slice(0, 2).join(".")}.`],
    ["signature of another token", async () => `${segments(user.idToken).slice(0, 2).join(".")}.${segments(otherPoolUser.idToken)[2]}`],
    ["signature truncated by one character", async () => user.idToken.slice(0, -1)],
    // Algorithm confusion
    ["alg none", async () => `${encode({ alg: "none", kid: "CognitoLocal" })}.${segments(user.idToken)[1]}.`],
    ["alg None (capitalised)", async () => `${encode({ alg: "None", kid: "CognitoLocal" })}.${segments(user.idToken)[1]}.`],
    ["HS256 keyed with the public JWK", async () => hmacToken(JSON.stringify((await poolPublicKey()).export({ format: "jwk" })))],
    ["HS256 keyed with the public PEM", async () => hmacToken(String((await poolPublicKey()).export({ type: "spki", format: "pem" })))],
    ["RS512 with the pool's own key", async () => rsaToken("RS512", "RSA-SHA512")],
    ["RS384 with the pool's own key", async () => rsaToken("RS384", "RSA-SHA384")],
    ["PS256 with the pool's own key", async () => rsaToken("PS256", "RSA-SHA256", {}, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })],
    ["ES256 with a foreign EC key", async () => new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid: "CognitoLocal" }).sign((await generateKeyPair("ES256")).privateKey)],
    // Claims
    ["issuer of real Cognito", async () => resign({ iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123" })],
    ["a genuine token of another pool on the same issuer host", async () => otherPoolUser.idToken],
    ["issuer with a trailing slash", async () => resign({ iss: `${claims().iss}/` })],
    ["issuer over https", async () => resign({ iss: String(claims().iss).replace("http:", "https:") })],
    ["audience of another client", async () => resign({ aud: "another-client-id" })],
    ["audience list without our client", async () => resign({ aud: ["x", "y"] })],
    ["a genuine access token (only ID tokens allowed)", async () => user.accessToken],
    ["token_use missing", async () => resign({ token_use: undefined })],
    ["token_use refresh", async () => resign({ token_use: "refresh" })],
    ["expired a minute ago", async () => resign({ iat: now() - 3600, exp: now() - 60 })],
    ["not valid before an hour from now", async () => resign({ nbf: now() + 3600 })],
    ["issued an hour in the future", async () => resign({ iat: now() + 3600, exp: now() + 7200 })],
    ["exp missing", async () => resign({ exp: undefined })],
    ["exp of 1e20 (no record could store it)", async () => resign({ exp: 1e20 })],
    ["a lifetime of a year (Cognito issues one day at most)", async () => resign({ exp: now() + 365 * 24 * 3600 })],
    ["sub missing", async () => resign({ sub: undefined })],
    // Key id and header
    ["unknown kid", async () => resign({}, { kid: "rotated-away" })],
    ["kid missing", async () => resign({}, { kid: undefined })],
    ["kid with path traversal", async () => resign({}, { kid: "../../../../etc/passwd" })],
    ["jku pointing at an attacker's key set", async () => {
      const { privateKey } = await foreignKey();
      return new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "CognitoLocal", jku: "http://127.0.0.1:9/jwks.json" }).sign(privateKey);
    }],
    ["attacker's key embedded as jwk", async () => {
      const { privateKey, publicKey: embedded } = await foreignKey();
      return new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "CognitoLocal", jwk: await exportJWK(embedded) }).sign(privateKey);
    }],
    ["unknown critical header", async () => rsaToken("RS256", "RSA-SHA256", { crit: ["x-bypass"], "x-bypass": true })],
    // Structure and encoding
    ["not a JWT", async () => "hello"],
    ["two segments", async () => segments(user.idToken).slice(0, 2).join(".")],
    ["four segments", async () => `${user.idToken}.AAAA`],
    ["base64 padding added", async () => user.idToken.split(".").map((part) => `${part}==`).join(".")],
    ["standard base64 instead of base64url", async () => user.idToken.replaceAll("-", "+").replaceAll("_", "/")],
    ["a newline inside", async () => `${segments(user.idToken)[0]}.\n${segments(user.idToken).slice(1).join(".")}`],
    // Other spellings of the genuine token, which lenient base64url decoding would verify
    ["a newline appended (%0A)", async () => `${user.idToken}\n`],
    ["a tab appended (%09)", async () => `${user.idToken}\t`],
    ["a space appended", async () => `${user.idToken} `],
    ["= padding appended", async () => `${user.idToken}==`],
    ["stray bits in the signature's last character", async () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      return `${user.idToken.slice(0, -1)}${alphabet[alphabet.indexOf(user.idToken.at(-1)!) | 1]}`;
    }],
    ["header not JSON", async () => `${base64url.encode("{alg:RS256")}.${segments(user.idToken).slice(1).join(".")}`],
    ["3 KB of random base64url", async () => base64url.encode(crypto.getRandomValues(new Uint8Array(2300)))],
    ["a JWE-shaped token", async () => `${encode({ alg: "RSA-OAEP", enc: "A256GCM" })}.a.b.c.d`],
  ];

  it.each(attacks)("refuses %s with 401", async (_, forge) => {
    expect(await withToken(await forge())).toBe(401);
  });

  it("refuses an empty, misnamed or duplicated parameter with 401", async () => {
    expect(await status("?idToken=")).toBe(401);
    expect(await status(`?idtoken=${user.idToken}`)).toBe(401);
    const forged = await resign({ sub: "someone-else" }, { kid: "rotated-away" });
    everyToken.add(forged);
    expect(await status(`?idToken=${forged}&idToken=${user.idToken}`)).toBe(401);
    expect(await status(`?idToken=${user.idToken}&idToken=${user.idToken}`)).toBe(401);
    expect(await status(`?idToken=${user.idToken}`, ["json", forged])).toBe(401);
  });

  it("refuses the genuine token followed by + (a space, once decoded) in the URL", async () => {
    expect(await status(`?idToken=${user.idToken}+`)).toBe(401);
    expect(await status(`?idToken=${user.idToken}`)).toBe(101);
  });

  it("refuses two Sec-WebSocket-Protocol headers carrying different tokens (the authorizer sees both)", async () => {
    const forged = await resign({ sub: "someone-else" }, { kid: "rotated-away" });
    everyToken.add(forged);
    const url = stack.outputs.webSocketUrl;
    expect(await rawHandshake(url, [`Sec-WebSocket-Protocol: json, ${forged}`, `Sec-WebSocket-Protocol: ${user.idToken}`])).toBe(401);
    expect(await rawHandshake(url, [`Sec-WebSocket-Protocol: json, ${user.idToken}`, `Sec-WebSocket-Protocol: ${forged}`])).toBe(401);
    // The same token twice is a duplicated subprotocol, which the upgrade refuses: 400 before anything runs.
    expect(await rawHandshake(url, [`Sec-WebSocket-Protocol: json, ${user.idToken}`, `Sec-WebSocket-Protocol: ${user.idToken}`])).toBe(400);
    expect(await rawHandshake(url, ["Sec-WebSocket-Protocol: json", `Sec-WebSocket-Protocol: ${user.idToken}`])).toBe(101);
  });

  it("leaves no connection record behind a Sec-WebSocket-Protocol list that the upgrade refuses", async () => {
    const ghost = await signUp(stack.outputs, "ghost-records@example.com");
    everyToken.add(ghost.idToken);
    const T = ghost.idToken;
    for (const offered of [`json, ${T}, ${T}`, `json x, ${T}`, `json,,${T}`, `json, ${T},`]) {
      expect(await rawHandshake(stack.outputs.webSocketUrl, [`Sec-WebSocket-Protocol: ${offered}`]), offered).toBe(400);
    }
    expect(await recordsOf(ghost.sub)).toEqual([]);
    // Positive control: the same user's well-formed handshake does write a record.
    const client = await TestClient.open(stack.outputs.webSocketUrl, ["json", T]);
    expect(await recordsOf(ghost.sub)).toHaveLength(1);
    client.socket.close();
  });

  it("counts at least 30 attacks", () => {
    expect(attacks.length).toBeGreaterThanOrEqual(30);
  });

  it("leaves no token, nor any segment of one, in any log line", async () => {
    // Stopped first: workers forward their lines asynchronously, and the last ones must be in.
    await stack.stop();
    const text = stack.logs.join("\n");
    expect(stack.logs.length).toBeGreaterThan(50);
    for (const token of everyToken) {
      for (const segment of token.split(".").filter((part) => part.length >= 8)) expect(text).not.toContain(segment);
    }
  });

  /** The pool's public key, as an attacker would read it from the JWKS. */
  async function poolPublicKey() {
    return createPublicKey(await cognitoLocalPrivatePem());
  }
  async function hmacToken(secret: string) {
    const input = `${encode({ alg: "HS256", kid: "CognitoLocal" })}.${segments(user.idToken)[1]}`;
    return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
  }
  /** Signs by hand with the pool's own key, whatever the header says. */
  async function rsaToken(alg: string, digest: string, header: Record<string, unknown> = {}, padding: { padding?: number; saltLength?: number } = {}) {
    const input = `${encode({ alg, kid: "CognitoLocal", ...header })}.${segments(user.idToken)[1]}`;
    return `${input}.${createSign(digest).update(input).sign({ key: await cognitoLocalPrivatePem(), ...padding }, "base64url")}`;
  }
});
