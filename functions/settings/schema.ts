/**
 * Every setting of the system, declared once: its type and range, its default, the environment
 * variable that carries it to the functions and which functions get it, and the README's words.
 *
 * The stack config reader (infra/config.ts), the functions' environment writer and reader
 * (./environment.ts), the local stack's options, the Pulumi.dev.yaml check and the README's
 * configuration table all derive from this table. A new setting is one entry here plus the code
 * that uses it.
 */
import { defaultChannelRules, parseChannelRules, type ChannelRule } from "../core/channel-rules.js";
import type { TokenUse } from "../core/claims.js";
import { parseJwks, type JsonWebKeySet } from "../jwks.js";
import { InvalidValue } from "./errors.js";
import { boolean, integer, list, numberIn, oneOf, positiveNumber, text, type ValueType } from "./value-types.js";

/** Which functions read a setting from their environment (each route-table entry names one). */
export type SettingsKind = "authorizer" | "messaging";

export interface Setting<T> {
  readonly type: ValueType<T>;
  /**
   * Unset (and not `optional`) means required. Settings with a `description` are stack config
   * keys of that name; the others come from the stack's own resources (a table's name, say).
   */
  readonly default?: T;
  /** May stay unset, with no default. */
  readonly optional?: boolean;
  /** The environment variable that carries it to the functions of `for`. */
  readonly env?: string;
  readonly for?: readonly SettingsKind[];
  /** The README's configuration table; present exactly on the stack config keys. */
  readonly description?: string;
  /** The README's default column, when the value alone would not say it. */
  readonly defaultText?: string;
}

/** Keeps each entry's exact shape (which fields it has) for the types derived below. */
const setting = <const D extends Setting<any>>(definition: D & Setting<TypeOf<D["type"]>>): D => definition;
type TypeOf<V> = V extends ValueType<infer T> ? T : never;

export type ExecutionLogLevel = "OFF" | "ERROR" | "INFO";
export type NatGatewayStrategy = "Single" | "OnePerAz";
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL" | "SILENT";

/** CloudWatch Logs accepts only these retention periods (0 = never expire). */
export const logRetentionValues = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const tokenUses: ValueType<readonly TokenUse[]> = {
  accepted: `a comma-separated list of "id" and "access"`,
  parse(value) {
    const uses = value.split(",").map((use) => use.trim()).filter(Boolean);
    const unknown = uses.find((use) => use !== "id" && use !== "access");
    if (unknown !== undefined) throw new InvalidValue(`accepts "id" and "access", got "${unknown}"`);
    if (uses.length === 0) throw new InvalidValue(`must name at least one of "id", "access"`);
    return uses as TokenUse[];
  },
  format: (value) => value.join(","),
};

const httpUrl: ValueType<string> = {
  accepted: "an http(s) URL",
  parse(value) {
    if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value;
    throw new InvalidValue();
  },
  format: (value) => value,
};

const issuerUrl: ValueType<string> = {
  ...text(/^https?:\/\/[^/]+\/[^/]+$/, "https://cognito-idp.{region}.amazonaws.com/{userPoolId}"),
  parse(value) {
    if (/^https?:\/\/[^/]+\/[^/]+$/.test(value)) return value;
    throw new InvalidValue(`must look like https://cognito-idp.{region}.amazonaws.com/{userPoolId}, got "${value}"`);
  },
};

const jwks: ValueType<JsonWebKeySet> = {
  accepted: "a JSON Web Key Set",
  parse: (value) => parseJwks(value, "INITIAL_JWKS"),
  format: (value) => JSON.stringify(value),
};

const channelRules: ValueType<readonly ChannelRule[]> = {
  accepted: `a JSON array of rules {"channel": PATTERN, "subscribe": [PRINCIPAL, ...], "publish": [PRINCIPAL, ...]}`,
  parse(value) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InvalidValue(`must be a JSON array of rules; this is not valid JSON`);
    }
    try {
      return parseChannelRules(parsed);
    } catch (error) {
      throw new InvalidValue((error as Error).message);
    }
  },
  format: (value) => JSON.stringify(value),
};

export const settings = {
  // Authentication.
  tokenQueryParameter: setting({
    type: text(/^[A-Za-z0-9_.~-]{1,128}$/, "1-128 letters, digits, _ . ~ -"),
    default: "idToken",
    env: "TOKEN_QUERY_PARAMETER",
    for: ["authorizer"],
    description: "Query string parameter carrying the token at `$connect` (`ID_Token` for the seed). Letters, digits, `_ . ~ -`.",
  }),
  subprotocolToken: setting({
    type: boolean,
    default: true,
    env: "SUBPROTOCOL_TOKEN",
    for: ["authorizer"],
    description:
      "Browsers may pass the token as a `Sec-WebSocket-Protocol` entry. When `true` the authorizer has **no** identity source (API Gateway ANDs them, so the query parameter as one would reject browsers); the authorizer itself answers 401 without a token. When `false`, `route.request.querystring.<tokenQueryParameter>` is the identity source and API Gateway answers 401 before invoking the authorizer.",
  }),
  allowAccessTokens: setting({
    type: boolean,
    default: false,
    description: "Also accept Cognito access tokens (their `client_id` is checked); otherwise ID tokens only.",
  }),
  requiredGroups: setting({
    // Group names travel comma-joined in REQUIRED_GROUPS, so a comma inside one cannot be allowed.
    type: list(/^[^,\s][^,]{0,127}$/, "Cognito group names (no commas)"),
    default: [],
    defaultText: "(none)",
    env: "REQUIRED_GROUPS",
    for: ["authorizer"],
    description: "Cognito groups a user must all belong to; a valid token without them gets 403.",
  }),
  clockToleranceSeconds: setting({
    type: integer(0, 300, "seconds"),
    default: 5,
    env: "CLOCK_TOLERANCE_SECONDS",
    for: ["authorizer"],
    description: "Clock skew allowed on `exp`/`iat`, 0–300.",
  }),

  // User pool: create one, or use an existing pool and client.
  existingUserPoolId: setting({
    type: text(/^[\w-]+_[0-9a-zA-Z]+$/, "a user pool id like eu-west-1_AbCdEf123"),
    optional: true,
    description:
      "With `existingUserPoolClientId`: use this pool and client instead of creating them (both or neither). The client must allow your sign-in flows; the issuer's region comes from the pool id.",
  }),
  existingUserPoolClientId: setting({
    type: text(/^[\w+]{1,128}$/, "an app client id (letters and digits)"),
    optional: true,
    description: "See above.",
  }),
  idTokenValidityMinutes: setting({
    type: integer(5, 1440, "minutes"),
    default: 60,
    description: "ID token lifetime, 5–1440 (created client only).",
  }),
  accessTokenValidityMinutes: setting({
    type: integer(5, 1440, "minutes"),
    default: 60,
    description: "Access token lifetime, 5–1440 (created client only).",
  }),
  refreshTokenValidityDays: setting({
    type: integer(1, 3650, "days"),
    default: 30,
    description: "Refresh token lifetime, 1–3650 (created client only).",
  }),
  deletionProtection: setting({
    type: boolean,
    default: false,
    description: "Protects the created user pool and the connections table from deletion; turn it off before `pulumi destroy`.",
  }),
  pointInTimeRecovery: setting({
    type: boolean,
    default: false,
    description: "Point-in-time recovery (continuous backups) of the connections table.",
  }),

  // API Gateway.
  routeSelectionExpression: setting({
    type: text(
      /^[^\s]*\$\{?request\.body\.[A-Za-z0-9_.]+\}?[^\s]*$/,
      "an expression on the JSON body such as $request.body.action or ${request.body.service}/${request.body.action}",
    ),
    default: "$request.body.action",
    description: "The API's route selection expression on the JSON body.",
  }),
  stageName: setting({
    // "$default" is not a valid stage for WebSocket APIs, hence no "$".
    type: text(/^[A-Za-z0-9_-]{1,128}$/, "1-128 letters, digits, _ and -"),
    default: "dev",
    description:
      "Stage name: the last segment of `webSocketUrl` and `managementApiUrl`, and part of every invoke permission and `@connections` ARN. Letters, digits, `_ -`.",
  }),
  throttlingBurstLimit: setting({
    type: integer(1, 5000, "requests"),
    default: 100,
    description: "Default route burst limit of the stage, 1–5000 (per route, all clients together).",
  }),
  throttlingRateLimit: setting({
    type: positiveNumber(10000),
    default: 50,
    description: "Default route steady rate of the stage in requests per second, up to 10000.",
  }),
  executionLogLevel: setting({
    type: oneOf<ExecutionLogLevel>(["OFF", "ERROR", "INFO"]),
    default: "OFF",
    description:
      "API Gateway execution logging: `OFF`, `ERROR` or `INFO`, into API Gateway's own `API-Gateway-Execution-Logs_{apiId}/{stage}` group, which this stack does not manage (no retention). Data tracing stays off whatever this says.",
  }),
  manageApiGatewayAccount: setting({
    type: boolean,
    default: true,
    description: "Set the region's API Gateway CloudWatch role (needed for access logs). `false` where the account already has one; see above.",
  }),
  customDomainName: setting({
    type: text(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case DNS name such as ws.example.com"),
    optional: true,
    description:
      "With `certificateArn`: serve the API at `wss://<domain>` (regional endpoint, TLS 1.2, stage mapped at the root); `webSocketUrl` becomes that URL. The `customDomainTarget` output (`targetDomainName`, `hostedZoneId`) is what a DNS record must point at: a CNAME to the target, or a Route 53 alias (`hostedZoneId` below creates it).",
  }),
  certificateArn: setting({
    type: text(
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
      "an ACM certificate ARN in the stack's region (arn:aws:acm:{region}:{account}:certificate/{id})",
    ),
    optional: true,
    description: "ACM certificate for `customDomainName`, in the stack's region: `pulumi preview` stops, naming both regions, when it is not.",
  }),
  hostedZoneId: setting({
    type: text(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
    optional: true,
    description: "With `customDomainName`: the Route 53 hosted zone of the domain, where the stack creates the `A` alias record to the API's domain.",
  }),

  // Functions.
  lambdaMemoryMb: setting({
    type: integer(128, 10240, "MB"),
    default: 256,
    description:
      "Memory of every function, 128–10240 MB. Lambda gives CPU in proportion (1 vCPU at 1,769 MB), and a broadcast is CPU-bound: about 0.3–0.5 ms of a whole vCPU per recipient (BENCHMARKS.md), so roughly 2–3.5 ms at 256 MB. For broadcasts to more than a couple of thousand connections within `lambdaTimeoutSeconds`, raise this.",
  }),
  lambdaTimeoutSeconds: setting({
    // Long enough for a broadcast to thousands of connections at 50 posts in flight.
    type: integer(1, 900, "seconds"),
    default: 10,
    description:
      "Timeout of the functions, 1–900 s. The ones API Gateway invokes (routes and the authorizer) are capped at 29 s, where API Gateway stops waiting; the scheduled sweeper and the asynchronously invoked `deliver` worker get the whole value.",
  }),
  logLevel: setting({
    type: oneOf<LogLevel>(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"]),
    default: "INFO",
    env: "POWERTOOLS_LOG_LEVEL",
    for: ["authorizer", "messaging"],
    description: "`POWERTOOLS_LOG_LEVEL` of every function: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `CRITICAL`, `SILENT`.",
  }),
  logRetentionDays: setting({
    type: numberIn(logRetentionValues, `one of CloudWatch's retention periods in days: ${logRetentionValues.join(", ")} (0 = never expire)`),
    default: 14,
    description: `Retention of every function's log group and of the access log group; one of CloudWatch's periods (0 = never expire, ${logRetentionValues.slice(1).join(", ")}).`,
  }),

  // Messaging.
  connectionTtlSeconds: setting({
    // API Gateway closes every connection after 2 h; 5 min more covers a late $disconnect.
    type: integer(60, 366 * 24 * 3600, "seconds"),
    default: 2 * 60 * 60 + 5 * 60,
    env: "CONNECTION_TTL_SECONDS",
    for: ["messaging"],
    description: "Seconds after connecting at which a connection record expires (DynamoDB TTL) if `$disconnect` never came; 60 s to 366 days.",
  }),
  postConcurrency: setting({
    // Matches the SDK's default of 50 sockets per host.
    type: integer(1, 1000),
    default: 50,
    env: "POST_CONCURRENCY",
    for: ["messaging"],
    description: "`PostToConnection` calls a fan-out keeps in flight, 1–1000.",
  }),

  postRateLimit: setting({
    // Well under API Gateway's default account quota of 10,000/s, which other stacks share.
    type: integer(1, 100_000),
    default: 2000,
    env: "POST_RATE_LIMIT",
    for: ["messaging"],
    description:
      "`@connections` requests per second that the `deliver` workers make together, at most; keep it under the account's quota (10,000/s by default, shared by every API of the account and region).",
  }),
  fanOutShardSize: setting({
    type: integer(1, 10_000),
    default: 500,
    env: "FANOUT_SHARD_SIZE",
    for: ["messaging"],
    description:
      "Recipients per fan-out shard. A fan-out to at most this many connections is delivered by the function that received the frame; a larger one by `deliver` worker invocations, this many recipients each, paced by `postRateLimit`.",
  }),

  // Channels.
  channelRules: setting({
    type: channelRules,
    default: defaultChannelRules,
    defaultText: "open rooms `public/*`, inboxes `users/{sub}`",
    env: "CHANNEL_RULES",
    for: ["messaging"],
    description:
      'Who may subscribe to and publish on which channels: a JSON array of `{"channel","subscribe","publish"}`, first match wins, no match → `Forbidden` (see "Channels"). The default lets any user subscribe and publish under `public/` (one segment), and subscribe to `users/<own sub>`, where only the server publishes.',
  }),
  channelHistorySeconds: setting({
    type: integer(0, 86400, "seconds"),
    default: 120,
    env: "CHANNEL_HISTORY_SECONDS",
    for: ["messaging"],
    description: "How long a channel's messages are kept for a resume (`subscribe` with `since`), 0–86400; 0 keeps none (every resume answers `resumed:false`).",
  }),
  channelReplayLimit: setting({
    type: integer(1, 1000),
    default: 100,
    env: "CHANNEL_REPLAY_LIMIT",
    for: ["messaging"],
    description: "The most messages one resume replays, 1–1000; a longer gap answers `resumed:false`.",
  }),
  maxSubscriptionsPerConnection: setting({
    type: integer(1, 1000),
    default: 50,
    env: "MAX_SUBSCRIPTIONS_PER_CONNECTION",
    for: ["messaging"],
    description: "Channels one connection may be subscribed to at once, 1–1000; one more `subscribe` answers `LimitExceeded`.",
  }),

  // Limits and sessions.
  userMessageRate: setting({
    type: integer(0, 10000, "frames per second"),
    default: 20,
    env: "USER_MESSAGE_RATE",
    for: ["messaging"],
    description:
      "Frames per second one user may average over all their connections, `$default` included, 0–10000; over it, the frame is dropped and the sender gets `TooManyRequests` with `retryAfterMs`. 0 turns the limit off. Protects every other user (and the bill) from one client's flood: each `sendmessage` is a fan-out to everyone.",
  }),
  userMessageBurst: setting({
    type: integer(1, 10000, "frames"),
    default: 40,
    env: "USER_MESSAGE_BURST",
    for: ["messaging"],
    description: "Frames one user may send at once before `userMessageRate` applies, 1–10000.",
  }),
  maxConnectionsPerUser: setting({
    type: integer(0, 1000, "connections"),
    default: 10,
    env: "MAX_CONNECTIONS_PER_USER",
    for: ["messaging"],
    description:
      "Open connections one user may hold, 0–1000; one more `$connect` is refused with 429. 0 turns the cap off. Protects against one account opening thousands of sockets (each one a recipient of every broadcast). Records of connections that are gone do not count.",
  }),
  selfSignUp: setting({
    type: boolean,
    default: true,
    description:
      "Anyone may create an account with the app client (the seeds' walkthrough needs it). `false`: only administrators create users (`aws cognito-idp admin-create-user`), and the web client offers sign-in only. Not applied to an existing pool.",
  }),

  closeExpiredConnections: setting({
    type: boolean,
    default: true,
    description:
      "Close connections whose token has expired (the `sweeper` function on a schedule). `false`: the sweeper is not deployed, and sockets live on until API Gateway's 2 h limit, as with API Gateway alone.",
  }),
  expirySweepSchedule: setting({
    type: text(
      /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\([^()]+\))$/,
      "an EventBridge schedule such as rate(1 minute), rate(5 minutes) or cron(0/2 * * * ? *)",
    ),
    default: "rate(1 minute)",
    description:
      "How often the sweeper runs: an EventBridge `rate(...)` or `cron(...)` expression. A socket is closed within about one period after its token expires.",
  }),

  // Network.
  vpc: setting({
    type: text(/^(none|create|vpc-[0-9a-f]{8,17})$/, `"none", "create" or an existing VPC id (vpc-…)`),
    default: "none",
    description:
      "`none`: functions outside any VPC. `create`: a new VPC (2 zones, private subnets behind NAT) for the functions. `vpc-…`: private subnets of your VPC (`vpcSubnetIds`). Functions in a VPC need a route to the internet (NAT) for DynamoDB, the `@connections` API and Cognito's JWKS.",
  }),
  vpcNatGateways: setting({
    type: oneOf<NatGatewayStrategy>(["Single", "OnePerAz"]),
    default: "Single",
    description: "With `vpc: create`: `Single` NAT gateway, or `OnePerAz` (survives a zone outage, costs more).",
  }),
  vpcSubnetIds: setting({
    type: list(/^subnet-[0-9a-f]{8,17}$/, "subnet ids (subnet-…)"),
    optional: true,
    description: "With `vpc: vpc-…` (required then): the private subnets the functions run in.",
  }),
  vpcSecurityGroupIds: setting({
    type: list(/^sg-[0-9a-f]{8,17}$/, "security group ids (sg-…)"),
    optional: true,
    description: "With `vpc: vpc-…`: security groups for the functions; unset, the stack creates one allowing outbound HTTPS only.",
  }),

  webClient: setting({
    type: boolean,
    default: false,
    description: "Host the web client on S3 + CloudFront (`npm run build` writes it) and export its address as `webClientUrl`.",
  }),

  // From the stack's resources (infra/ on AWS, local/ offline): no config key.
  /** `https://cognito-idp.{region}.amazonaws.com/{userPoolId}` (or cognito-local's). */
  issuer: setting({ type: issuerUrl, env: "TOKEN_ISSUER", for: ["authorizer"] }),
  clientId: setting({ type: text(/^.+$/, "an app client id"), env: "APP_CLIENT_ID", for: ["authorizer"] }),
  tokenUses: setting({ type: tokenUses, default: ["id"], env: "ALLOWED_TOKEN_USES", for: ["authorizer"] }),
  /**
   * The pool's JWKS as fetched at deploy time: the verifier starts with these keys and fetches the
   * JWKS only for a `kid` they lack. Absent: fetched on first use.
   */
  initialJwks: setting({ type: jwks, optional: true, env: "INITIAL_JWKS", for: ["authorizer"] }),
  connectionsTableName: setting({ type: text(/^.+$/, "a table name"), env: "CONNECTIONS_TABLE_NAME", for: ["messaging"] }),
  /** Name of the global secondary index on `userId`. */
  userIndexName: setting({ type: text(/^.+$/, "an index name"), env: "CONNECTIONS_USER_INDEX", for: ["messaging"] }),
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where replies are posted. */
  managementApiUrl: setting({ type: httpUrl, env: "MANAGEMENT_API_URL", for: ["messaging"] }),
  subscriptionsTableName: setting({ type: text(/^.+$/, "a table name"), env: "SUBSCRIPTIONS_TABLE_NAME", for: ["messaging"] }),
  channelMessagesTableName: setting({ type: text(/^.+$/, "a table name"), env: "CHANNEL_MESSAGES_TABLE_NAME", for: ["messaging"] }),
  /** API Gateway closes every connection after 2 hours; the local gateway's may be shorter (tests). */
  connectionLimitMs: setting({ type: integer(100, 7_200_000, "ms"), default: 7_200_000, env: "CONNECTION_LIMIT_MS", for: ["messaging"] }),
  rateLimitsTableName: setting({ type: text(/^.+$/, "a table name"), env: "RATE_LIMITS_TABLE_NAME", for: ["messaging"] }),
  /** Fan-out shards' checkpoints, fan-out totals, and the pace counter of `postRateLimit`. */
  deliveriesTableName: setting({ type: text(/^.+$/, "a table name"), env: "DELIVERIES_TABLE_NAME", for: ["messaging"] }),
  /** The `deliver` worker function; unset in that function itself, which invokes itself by its own name. */
  deliverFunctionName: setting({ type: text(/^.+$/, "a function name"), optional: true, env: "DELIVER_FUNCTION_NAME", for: ["messaging"] }),
} as const;

export type SettingName = keyof typeof settings;
type Schema = typeof settings;
type ValueOf<S> = S extends { readonly type: ValueType<infer T> } ? T : never;

/** The stack config keys, in README order. */
export type ConfigKey = { [N in SettingName]: Schema[N] extends { readonly description: string } ? N : never }[SettingName];
export const configKeys = (Object.keys(settings) as SettingName[]).filter(
  (name) => (settings[name] as Setting<unknown>).description !== undefined,
) as ConfigKey[];

type IsOptional<S> = S extends { readonly optional: true } ? true : false;

/** What the functions of one kind read: the settings whose `for` names it. */
export type SettingsOf<K extends SettingsKind> = {
  readonly [N in SettingName as K extends ForOf<Schema[N]> ? (IsOptional<Schema[N]> extends true ? never : N) : never]: ValueOf<Schema[N]>;
} & {
  readonly [N in SettingName as K extends ForOf<Schema[N]> ? (IsOptional<Schema[N]> extends true ? N : never) : never]?: ValueOf<Schema[N]>;
};
type ForOf<S> = S extends { readonly for: readonly (infer K)[] } ? K : never;

/** What a writer of that kind's environment must supply: settings with a default may be left out. */
export type SettingsInput<K extends SettingsKind> = {
  readonly [N in SettingName as K extends ForOf<Schema[N]> ? (HasDefaultOrOptional<Schema[N]> extends true ? never : N) : never]: ValueOf<Schema[N]>;
} & {
  readonly [N in SettingName as K extends ForOf<Schema[N]> ? (HasDefaultOrOptional<Schema[N]> extends true ? N : never) : never]?: ValueOf<Schema[N]>;
};
type HasDefaultOrOptional<S> = S extends { readonly default: unknown } ? true : IsOptional<S>;

export type AuthorizerSettings = SettingsOf<"authorizer">;
export type MessagingSettings = SettingsOf<"messaging">;

/** Every stack config value, defaults filled in (optional keys may stay undefined). */
export type ConfigValues = {
  readonly [N in ConfigKey as IsOptional<Schema[N]> extends true ? never : N]: ValueOf<Schema[N]>;
} & {
  readonly [N in ConfigKey as IsOptional<Schema[N]> extends true ? N : never]?: ValueOf<Schema[N]>;
};

/** The stack config keys that travel to the functions of one kind, as environment variables. */
export type ConfigOf<K extends SettingsKind> = Pick<ConfigValues, ConfigKey & keyof SettingsOf<K>>;

export function configOf<K extends SettingsKind>(kind: K, values: ConfigValues): ConfigOf<K> {
  return Object.fromEntries(
    configKeys.filter((key) => (settings[key] as Setting<unknown>).for?.includes(kind)).map((key) => [key, (values as Record<string, unknown>)[key]]),
  ) as ConfigOf<K>;
}

/** Each setting's default, for those that have one. */
export const defaults = Object.fromEntries(
  Object.entries(settings).flatMap(([name, definition]) => ("default" in definition ? [[name, definition.default]] : [])),
) as unknown as { readonly [N in SettingName as Schema[N] extends { readonly default: unknown } ? N : never]: ValueOf<Schema[N]> };
