/**
 * cognito-local signs every token with one RSA key published in its npm package. Tests use it to
 * mint tokens the local stack must judge on their claims alone (short-lived, wrong audience...).
 */
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const keyFile = createRequire(import.meta.url).resolve("cognito-local/lib/keys/cognitoLocal.private.json");
const published = readFile(keyFile, "utf8").then((text) => JSON.parse(text) as { jwk: JWK; pem: string });
let key: Promise<CryptoKey> | undefined;

export const cognitoLocalKid = "CognitoLocal";

export async function cognitoLocalPrivateKey(): Promise<CryptoKey> {
  key ??= published.then(({ jwk }) => importJWK(jwk, "RS256") as Promise<CryptoKey>);
  return key;
}

/** The same key as PEM, for signing by hand with node:crypto (algorithms jose refuses to mix). */
export const cognitoLocalPrivatePem = async (): Promise<string> => (await published).pem;

/** Signs `claims` as cognito-local would (RS256, kid CognitoLocal); the header may be overridden. */
export async function signAsCognitoLocal(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader = Object.fromEntries(
    Object.entries({ alg: "RS256", typ: "JWT", kid: cognitoLocalKid, ...header }).filter(([, value]) => value !== undefined),
  );
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(await cognitoLocalPrivateKey());
}

/** The claims of a token, decoded without verification (tests only). */
export const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
