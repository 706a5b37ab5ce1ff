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
