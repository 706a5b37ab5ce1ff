/**
 * The environment contract between the functions and whoever runs them (infra/ on AWS, local/
 * offline). Writers and readers live together so that variable names cannot drift apart.
 * Readers run at a function's cold start and name the variable at fault.
 */

export type TokenUse = "id" | "access";

export interface AuthorizerSettings {
  /** Token issuer: `https://cognito-idp.{region}.amazonaws.com/{userPoolId}` (or cognito-local's). */
  readonly issuer: string;
  /** The app client the tokens must be issued to (`aud` of ID tokens, `client_id` of access tokens). */
  readonly clientId: string;
  /** Token kinds accepted; `id` unless access tokens are explicitly allowed. */
  readonly tokenUses: readonly TokenUse[];
  /** Cognito groups a user must belong to (all of them); empty: no group required. */
  readonly requiredGroups: readonly string[];
  /** Allowed clock skew when checking `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSeconds: number;
  /** Query string parameter that carries the token at `$connect`. */
  readonly tokenQueryParameter: string;
  /** Whether the token may instead be offered as a `Sec-WebSocket-Protocol` entry. */
  readonly subprotocolToken: boolean;
  /**
   * The pool's JWKS as fetched at deploy time: the verifier starts with these keys and fetches
   * the JWKS only for a `kid` they lack. Absent: fetched on first use.
   */
  readonly initialJwks?: JsonWebKeySet;
}

/** The authorizer settings a stack's configuration decides; the user pool supplies the rest. */
export type AuthorizerPolicySettings = Omit<AuthorizerSettings, "issuer" | "clientId" | "initialJwks">;

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
      if (error instanceof EnvironmentError) throw error;
      problem = error instanceof Error ? error.message : String(error);
    }
  }
  throw new Error(`Could not fetch the user pool's JWKS from ${url} (${attempts} attempts, last: ${problem})`);
}

export interface MessagingSettings {
  readonly connectionsTableName: string;
  /** Name of the global secondary index on `userId`. */
  readonly userIndexName: string;
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where replies are posted. */
  readonly managementApiUrl: string;
  /** Seconds after `connectedAt` at which a record expires if `$disconnect` never came. */
  readonly connectionTtlSeconds: number;
  /** How many `PostToConnection` calls a fan-out keeps in flight. */
  readonly postConcurrency: number;
}

export type Environment = Record<string, string>;

export const authorizerDefaults = {
  tokenUses: ["id"],
  requiredGroups: [],
  clockToleranceSeconds: 5,
  tokenQueryParameter: "idToken",
  subprotocolToken: true,
} as const satisfies Partial<AuthorizerSettings>;

export const messagingDefaults = {
  // API Gateway closes every connection after 2 h; 5 min more covers a late $disconnect.
  connectionTtlSeconds: 2 * 60 * 60 + 5 * 60,
  // Matches the SDK's default of 50 sockets per host.
  postConcurrency: 50,
} as const satisfies Partial<MessagingSettings>;

export function authorizerEnvironment(settings: AuthorizerSettings): Environment {
  return {
    TOKEN_ISSUER: settings.issuer,
    APP_CLIENT_ID: settings.clientId,
    ALLOWED_TOKEN_USES: settings.tokenUses.join(","),
    REQUIRED_GROUPS: settings.requiredGroups.join(","),
    CLOCK_TOLERANCE_SECONDS: String(settings.clockToleranceSeconds),
    TOKEN_QUERY_PARAMETER: settings.tokenQueryParameter,
    SUBPROTOCOL_TOKEN: String(settings.subprotocolToken),
    ...(settings.initialJwks === undefined ? {} : { INITIAL_JWKS: JSON.stringify(settings.initialJwks) }),
  };
}

export function messagingEnvironment(settings: MessagingSettings): Environment {
  return {
    CONNECTIONS_TABLE_NAME: settings.connectionsTableName,
    CONNECTIONS_USER_INDEX: settings.userIndexName,
    MANAGEMENT_API_URL: settings.managementApiUrl,
    CONNECTION_TTL_SECONDS: String(settings.connectionTtlSeconds),
    POST_CONCURRENCY: String(settings.postConcurrency),
  };
}

export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

type Source = Readonly<Record<string, string | undefined>>;

export function readAuthorizerSettings(env: Source): AuthorizerSettings {
  const issuer = required(env, "TOKEN_ISSUER");
  if (!/^https?:\/\/[^/]+\/[^/]+$/.test(issuer)) {
    throw new EnvironmentError(`TOKEN_ISSUER must look like https://cognito-idp.{region}.amazonaws.com/{userPoolId}, got "${issuer}"`);
  }
  const tokenUses = list(env, "ALLOWED_TOKEN_USES", authorizerDefaults.tokenUses);
  for (const use of tokenUses) {
    if (use !== "id" && use !== "access") {
      throw new EnvironmentError(`ALLOWED_TOKEN_USES accepts "id" and "access", got "${use}"`);
    }
  }
  if (tokenUses.length === 0) throw new EnvironmentError(`ALLOWED_TOKEN_USES must name at least one of "id", "access"`);
  return {
    issuer,
    clientId: required(env, "APP_CLIENT_ID"),
    tokenUses: tokenUses as TokenUse[],
    requiredGroups: list(env, "REQUIRED_GROUPS", authorizerDefaults.requiredGroups),
    clockToleranceSeconds: integer(env, "CLOCK_TOLERANCE_SECONDS", authorizerDefaults.clockToleranceSeconds, 0, 300),
    tokenQueryParameter: env.TOKEN_QUERY_PARAMETER || authorizerDefaults.tokenQueryParameter,
    subprotocolToken: boolean(env, "SUBPROTOCOL_TOKEN", authorizerDefaults.subprotocolToken),
    ...(env.INITIAL_JWKS ? { initialJwks: parseJwks(env.INITIAL_JWKS, "INITIAL_JWKS") } : {}),
  };
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
    throw new EnvironmentError(`${source} must be a JSON Web Key Set of public RSA keys ({"keys":[{"kid","kty":"RSA","n","e"}]}): ${problem}`);
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

export function readMessagingSettings(env: Source): MessagingSettings {
  const managementApiUrl = required(env, "MANAGEMENT_API_URL");
  if (!URL.canParse(managementApiUrl) || !/^https?:$/.test(new URL(managementApiUrl).protocol)) {
    throw new EnvironmentError(`MANAGEMENT_API_URL must be an http(s) URL, got "${managementApiUrl}"`);
  }
  return {
    connectionsTableName: required(env, "CONNECTIONS_TABLE_NAME"),
    userIndexName: required(env, "CONNECTIONS_USER_INDEX"),
    managementApiUrl,
    connectionTtlSeconds: integer(env, "CONNECTION_TTL_SECONDS", messagingDefaults.connectionTtlSeconds, 60, 366 * 24 * 3600),
    postConcurrency: integer(env, "POST_CONCURRENCY", messagingDefaults.postConcurrency, 1, 1000),
  };
}

function required(env: Source, key: string): string {
  const value = env[key];
  if (!value) throw new EnvironmentError(`${key} is not set`);
  return value;
}

function list(env: Source, key: string, fallback: readonly string[]): string[] {
  const value = env[key];
  if (value === undefined) return [...fallback];
  return value.split(",").map((item) => item.trim()).filter(Boolean);
}

function integer(env: Source, key: string, fallback: number, min: number, max: number): number {
  const value = env[key];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new EnvironmentError(`${key} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

function boolean(env: Source, key: string, fallback: boolean): boolean {
  const value = env[key];
  if (value === undefined || value === "") return fallback;
  if (value !== "true" && value !== "false") throw new EnvironmentError(`${key} must be "true" or "false", got "${value}"`);
  return value === "true";
}
