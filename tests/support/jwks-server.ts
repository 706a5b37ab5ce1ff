/**
 * A stand-in for a Cognito user pool's key endpoint: RSA keys generated in the test, a JWKS served
 * on 127.0.0.1 at `/{poolId}/.well-known/jwks.json`, and tokens minted with Cognito's claims.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export interface JwksServer {
  readonly issuer: string;
  readonly poolId: string;
  /** How many times the JWKS was fetched. */
  readonly fetches: number;
  /** Keys currently published. */
  keys: SigningKey[];
  /** When false, the endpoint answers 503. */
  up: boolean;
  close(): Promise<void>;
}

export async function startJwksServer(keys: SigningKey[], poolId = "us-east-1_TestPool"): Promise<JwksServer> {
  let fetches = 0;
  const state = { keys, up: true };
  const server: Server = createServer((request, response) => {
    if (request.url !== `/${poolId}/.well-known/jwks.json`) return void response.writeHead(404).end();
    fetches += 1;
    if (!state.up) return void response.writeHead(503).end();
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: state.keys.map((key) => key.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${poolId}`;
  return {
    issuer,
    poolId,
    get fetches() {
      return fetches;
    },
    get keys() {
      return state.keys;
    },
    set keys(value) {
      state.keys = value;
    },
    get up() {
      return state.up;
    },
    set up(value) {
      state.up = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface MintOptions {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly clientId: string;
  /** Claims to add or override; `undefined` removes a claim. */
  readonly claims?: Record<string, unknown>;
  /** Header fields to add or override; `undefined` removes one. */
  readonly header?: Record<string, unknown>;
}

/** An ID token shaped like Cognito's, valid for an hour. */
export async function mintIdToken({ key, issuer, clientId, claims = {}, header = {} }: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const sub = "0f4c1f3e-1111-4222-8333-444455556666";
  const payload = withoutUndefined({
    sub,
    "cognito:username": sub,
    email: "alice@example.com",
    email_verified: true,
    aud: clientId,
    iss: issuer,
    token_use: "id",
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: "2f1c8f5e-1e0a-4d33-9b2e-000000000001",
    ...claims,
  });
  const protectedHeader = withoutUndefined({ alg: "RS256", kid: key.kid, ...header });
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
