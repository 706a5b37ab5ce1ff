/**
 * The user pool's JSON Web Key Set: its types, where Cognito publishes it, the check every copy
 * passes (fetched at deploy time, handed over as INITIAL_JWKS, fetched by the local stack), and the
 * fetch with retries used before a function runs.
 */

import { SettingError } from "./settings/errors.js";

/** A public RSA JSON Web Key as Cognito publishes it. */
export interface RsaPublicJwk {
  readonly kid: string;
  readonly kty: "RSA";
  readonly n: string;
  readonly e: string;
  readonly alg?: string;
  readonly use?: string;
}

export interface JsonWebKeySet {
  readonly keys: readonly RsaPublicJwk[];
}

/** Where a Cognito issuer publishes its keys. */
export const jwksUrl = (issuer: string): string => `${issuer}/.well-known/jwks.json`;

/** The part of `fetch` that fetching a JWKS needs (tests pass their own). */
export type JwksFetch = (url: string) => Promise<{ readonly status: number; json(): Promise<unknown> }>;

/**
 * The issuer's JWKS, checked by `parseJwks`: what infra (at deploy time) and the local stack (at
 * start) hand the authorizer as INITIAL_JWKS. Retries a few times (a pool created a moment ago),
 * then fails with a message naming the URL.
 */
export async function fetchIssuerJwks(
  issuer: string,
  { fetch: fetchJwks = (url) => globalThis.fetch(url, { signal: AbortSignal.timeout(10_000) }), attempts = 3, retryDelayMs = 1000 }: { fetch?: JwksFetch; attempts?: number; retryDelayMs?: number } = {},
): Promise<JsonWebKeySet> {
  const url = jwksUrl(issuer);
  let problem = "";
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    try {
      const response = await fetchJwks(url);
      if (response.status === 200) return parseJwks(await response.json(), url);
      problem = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof SettingError) throw error;
      problem = error instanceof Error ? error.message : String(error);
    }
  }
  throw new Error(`Could not fetch the user pool's JWKS from ${url} (${attempts} attempts, last: ${problem})`);
}

const base64url = /^[A-Za-z0-9_-]+$/;
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "k"];

/**
 * Checks that a JWKS (JSON text or parsed) is a non-empty set of public RSA signing keys with
 * distinct `kid`s, and returns only the members a verifier needs. `source` names the variable
 * (or URL) in the error message.
 */
export function parseJwks(value: unknown, source: string): JsonWebKeySet {
  const fail = (problem: string): never => {
    throw new SettingError(`${source} must be a JSON Web Key Set of public RSA keys ({"keys":[{"kid","kty":"RSA","n","e"}]}): ${problem}`);
  };
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      fail("not valid JSON");
    }
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== "object" || parsed === null || !Array.isArray(keys)) fail(`no "keys" array`);
  if ((keys as unknown[]).length === 0) fail(`"keys" is empty`);
  const seen = new Set<string>();
  return {
    keys: (keys as unknown[]).map((key, index) => {
      const jwk = (typeof key === "object" && key !== null ? key : fail(`keys[${index}] is not an object`)) as Record<string, unknown>;
      const { kid, kty, n, e, alg, use } = jwk;
      if (typeof kid !== "string" || kid === "") fail(`keys[${index}] has no "kid"`);
      if (seen.has(kid as string)) fail(`"kid" ${JSON.stringify(kid)} appears twice`);
      seen.add(kid as string);
      if (kty !== "RSA") fail(`keys[${index}] ("${String(kid)}") has "kty" ${JSON.stringify(kty)}, not "RSA"`);
      if (typeof n !== "string" || !base64url.test(n) || typeof e !== "string" || !base64url.test(e)) {
        fail(`keys[${index}] ("${String(kid)}") lacks a base64url "n" or "e"`);
      }
      if (privateMembers.some((member) => member in jwk)) fail(`keys[${index}] ("${String(kid)}") holds private key material`);
      if (alg !== undefined && alg !== "RS256") fail(`keys[${index}] ("${String(kid)}") has "alg" ${JSON.stringify(alg)}, not "RS256"`);
      if (use !== undefined && use !== "sig") fail(`keys[${index}] ("${String(kid)}") has "use" ${JSON.stringify(use)}, not "sig"`);
      return {
        kid: kid as string,
        kty: "RSA" as const,
        n: n as string,
        e: e as string,
        ...(alg === undefined ? {} : { alg: alg as string }),
        ...(use === undefined ? {} : { use: use as string }),
      };
    }),
  };
}
