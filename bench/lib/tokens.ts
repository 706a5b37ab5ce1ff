/**
 * Keys, a JWKS endpoint and Cognito-shaped ID tokens for the benchmarks. Tokens are signed with
 * node:crypto on the thread pool (both cores), since thousands are needed and RS256 signing is slow.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";

const signAsync = promisify(sign);

export interface BenchKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: Record<string, string>;
}

export function newKey(kid: string): BenchKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey, publicJwk: { ...(publicKey.export({ format: "jwk" }) as Record<string, string>), kid, alg: "RS256", use: "sig" } };
}

export interface JwksEndpoint {
  readonly issuer: string;
  readonly url: string;
  readonly poolId: string;
  readonly jwks: { keys: Record<string, string>[] };
  /** JWKS requests served so far. */
  readonly fetches: number;
  close(): Promise<void>;
}

/**
 * Serves `{ keys }` at `/{poolId}/.well-known/jwks.json` on 127.0.0.1, like Cognito: over TLS when
 * given a certificate, else plain HTTP.
 */
export async function startJwksEndpoint(
  keys: readonly BenchKey[],
  tls?: { key: string; cert: string },
  poolId = "us-east-1_BenchPool",
): Promise<JwksEndpoint> {
  let fetches = 0;
  const jwks = { keys: keys.map((key) => key.publicJwk) };
  const body = JSON.stringify(jwks);
  const listener: RequestListener = (request, response) => {
    if (request.url !== `/${poolId}/.well-known/jwks.json`) return void response.writeHead(404).end();
    fetches += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  };
  const server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}/${poolId}`;
  return {
    issuer,
    url: `${issuer}/.well-known/jwks.json`,
    poolId,
    jwks,
    get fetches() {
      return fetches;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const benchClientId = "benchclient000000000000000";

/** One ID token shaped like Cognito's (claims and size), valid for an hour. */
export async function mintToken(key: BenchKey, issuer: string, clientId = benchClientId): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const sub = randomUUID();
  const header = { kid: key.kid, alg: "RS256" };
  const payload = {
    sub,
    "cognito:groups": ["users"],
    email_verified: true,
    iss: issuer,
    "cognito:username": sub,
    origin_jti: randomUUID(),
    aud: clientId,
    event_id: randomUUID(),
    token_use: "id",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    email: `user-${sub.slice(0, 8)}@example.com`,
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const signature = await signAsync("sha256", Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

/** `count` distinct tokens, signed a few at a time in parallel. */
export async function mintTokens(count: number, key: BenchKey, issuer: string, clientId = benchClientId): Promise<string[]> {
  const tokens: string[] = [];
  for (let start = 0; start < count; start += 64) {
    tokens.push(...(await Promise.all(Array.from({ length: Math.min(64, count - start) }, () => mintToken(key, issuer, clientId)))));
  }
  return tokens;
}
