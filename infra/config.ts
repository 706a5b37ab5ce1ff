/**
 * Stack configuration: the only module that reads `pulumi.Config`.
 *
 * `readConfig` is pure (it takes a key → value function), so every validation rule has a unit test
 * without a Pulumi runtime. It checks every key before any resource is declared and reports all
 * bad keys at once, each line naming the key and the values it accepts.
 */
import * as pulumi from "@pulumi/pulumi";
import { authorizerDefaults, messagingDefaults, type AuthorizerPolicySettings } from "../functions/environment.js";
import { functionDefaults } from "../functions/routes.js";

/** Reads one project config key (without the `websocket-cognito:` prefix); `undefined` when unset. */
export type ConfigSource = (key: string) => string | undefined;

export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL" | "SILENT";
export type ExecutionLogLevel = "OFF" | "ERROR" | "INFO";
export type NatGatewayStrategy = "Single" | "OnePerAz";

export interface UserPoolConfig {
  /** Use this pool and client instead of creating them. */
  readonly existing?: { readonly userPoolId: string; readonly userPoolClientId: string };
  /** Token lifetimes of the client the stack creates (not applied to an existing client). */
  readonly tokenValidity: {
    readonly idTokenMinutes: number;
    readonly accessTokenMinutes: number;
    readonly refreshTokenDays: number;
  };
}

export type NetworkConfig =
  | { readonly kind: "none" }
  | { readonly kind: "create"; readonly natGateways: NatGatewayStrategy }
  | {
      readonly kind: "existing";
      readonly vpcId: string;
      readonly subnetIds: readonly string[];
      /** Empty: the stack creates a security group in the VPC. */
      readonly securityGroupIds: readonly string[];
    };

export interface StackConfig {
  readonly auth: AuthorizerPolicySettings;
  readonly userPool: UserPoolConfig;
  /** Protects the user pool (when created here) and the connections table from deletion. */
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly api: {
    readonly routeSelectionExpression: string;
    readonly stageName: string;
    readonly throttlingBurstLimit: number;
    readonly throttlingRateLimit: number;
    readonly executionLogLevel: ExecutionLogLevel;
    readonly manageApiGatewayAccount: boolean;
    readonly customDomain?: { readonly domainName: string; readonly certificateArn: string; readonly hostedZoneId?: string };
  };
  readonly functions: {
    readonly memorySize: number;
    readonly timeout: number;
    readonly logLevel: LogLevel;
  };
  readonly logRetentionDays: number;
  readonly messaging: { readonly connectionTtlSeconds: number; readonly postConcurrency: number };
  /** When set, connections whose token has expired are closed on this EventBridge schedule. */
  readonly expirySweep?: { readonly schedule: string };
  readonly network: NetworkConfig;
  /** Host the web client (S3 + CloudFront) and export its `webClientUrl`. */
  readonly webClient: boolean;
}

/** Every project key, in README order. Unknown keys in the project namespace are an error. */
export const configKeys = [
  "tokenQueryParameter",
  "subprotocolToken",
  "allowAccessTokens",
  "requiredGroups",
  "clockToleranceSeconds",
  "existingUserPoolId",
  "existingUserPoolClientId",
  "idTokenValidityMinutes",
  "accessTokenValidityMinutes",
  "refreshTokenValidityDays",
  "deletionProtection",
  "pointInTimeRecovery",
  "routeSelectionExpression",
  "stageName",
  "throttlingBurstLimit",
  "throttlingRateLimit",
  "executionLogLevel",
  "manageApiGatewayAccount",
  "customDomainName",
  "certificateArn",
  "hostedZoneId",
  "lambdaMemoryMb",
  "lambdaTimeoutSeconds",
  "logLevel",
  "logRetentionDays",
  "connectionTtlSeconds",
  "postConcurrency",
  "closeExpiredConnections",
  "expirySweepSchedule",
  "vpc",
  "vpcNatGateways",
  "vpcSubnetIds",
  "vpcSecurityGroupIds",
  "webClient",
] as const;

export type ConfigKey = (typeof configKeys)[number];

/** Defaults of the keys that have one; the stack behaves the same whether they are unset or set to these. */
export const configDefaults = {
  tokenQueryParameter: authorizerDefaults.tokenQueryParameter,
  subprotocolToken: authorizerDefaults.subprotocolToken,
  allowAccessTokens: false,
  requiredGroups: authorizerDefaults.requiredGroups,
  clockToleranceSeconds: authorizerDefaults.clockToleranceSeconds,
  idTokenValidityMinutes: 60,
  accessTokenValidityMinutes: 60,
  refreshTokenValidityDays: 30,
  deletionProtection: false,
  pointInTimeRecovery: false,
  routeSelectionExpression: "$request.body.action",
  stageName: "dev",
  throttlingBurstLimit: 100,
  throttlingRateLimit: 50,
  executionLogLevel: "OFF",
  manageApiGatewayAccount: true,
  lambdaMemoryMb: functionDefaults.memorySizeMb,
  lambdaTimeoutSeconds: functionDefaults.timeoutSeconds,
  logLevel: "INFO",
  logRetentionDays: 14,
  connectionTtlSeconds: messagingDefaults.connectionTtlSeconds,
  postConcurrency: messagingDefaults.postConcurrency,
  closeExpiredConnections: true,
  expirySweepSchedule: "rate(1 minute)",
  vpc: "none",
  vpcNatGateways: "Single",
  webClient: false,
} as const satisfies Partial<Record<ConfigKey, unknown>>;

/** CloudWatch Logs accepts only these retention periods (0 = never expire). */
export const logRetentionValues = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const logLevels: readonly LogLevel[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"];
const executionLogLevels: readonly ExecutionLogLevel[] = ["OFF", "ERROR", "INFO"];
const natGatewayStrategies: readonly NatGatewayStrategy[] = ["Single", "OnePerAz"];

/** A bad stack configuration. A `RunError`, so `pulumi up` prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Validates the whole project configuration.
 * @param get reads one key; an empty string counts as unset (`pulumi config set key ""`).
 * @param presentKeys the project keys that are set, when known; unknown ones are reported (typos).
 * @throws ConfigError listing every bad key with the values it accepts.
 */
export function readConfig(get: ConfigSource, presentKeys: readonly string[] = []): StackConfig {
  const problems: string[] = [];
  const value = (key: ConfigKey): string | undefined => {
    const raw = get(key)?.trim();
    return raw === "" ? undefined : raw;
  };
  const fail = <T>(key: ConfigKey, accepted: string, fallback: T): T => {
    problems.push(`${key}: accepts ${accepted}; got "${get(key)}"`);
    return fallback;
  };

  const text = (key: ConfigKey & keyof typeof configDefaults, pattern: RegExp, accepted: string): string => {
    const fallback = String(configDefaults[key]);
    const raw = value(key);
    if (raw === undefined) return fallback;
    return pattern.test(raw) ? raw : fail(key, accepted, fallback);
  };
  const optionalText = (key: ConfigKey, pattern: RegExp, accepted: string): string | undefined => {
    const raw = value(key);
    if (raw === undefined) return undefined;
    return pattern.test(raw) ? raw : fail(key, accepted, undefined);
  };
  const oneOf = <T extends string>(key: ConfigKey & keyof typeof configDefaults, accepted: readonly T[]): T => {
    const fallback = configDefaults[key] as T;
    const raw = value(key);
    if (raw === undefined) return fallback;
    return (accepted as readonly string[]).includes(raw) ? (raw as T) : fail(key, accepted.map((a) => `"${a}"`).join(", "), fallback);
  };
  const boolean = (key: ConfigKey & keyof typeof configDefaults): boolean => {
    const fallback = configDefaults[key] as boolean;
    const raw = value(key);
    if (raw === undefined) return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    return fail(key, `true or false`, fallback);
  };
  const integer = (key: ConfigKey & keyof typeof configDefaults, min: number, max: number, unit = ""): number => {
    const fallback = configDefaults[key] as number;
    const raw = value(key);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (/^-?\d+$/.test(raw) && parsed >= min && parsed <= max) return parsed;
    return fail(key, `an integer from ${min} to ${max}${unit}`, fallback);
  };
  const positiveNumber = (key: ConfigKey & keyof typeof configDefaults, max: number): number => {
    const fallback = configDefaults[key] as number;
    const raw = value(key);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (/^\d+(\.\d+)?$/.test(raw) && parsed > 0 && parsed <= max) return parsed;
    return fail(key, `a number greater than 0 and at most ${max}`, fallback);
  };
  /** A list as a JSON array of strings (what `pulumi config set --path key[0]` stores) or comma-separated. */
  const list = (key: ConfigKey, item: RegExp, accepted: string): string[] => {
    const raw = value(key);
    if (raw === undefined) return [];
    let items: unknown;
    if (raw.startsWith("[")) {
      try {
        items = JSON.parse(raw);
      } catch {
        return fail(key, `a JSON array or a comma-separated list of ${accepted}`, []);
      }
    } else {
      items = raw.split(",").map((entry) => entry.trim()).filter(Boolean);
    }
    if (Array.isArray(items) && items.every((entry) => typeof entry === "string" && item.test(entry))) {
      return [...new Set(items as string[])];
    }
    return fail(key, `a JSON array or a comma-separated list of ${accepted}`, []);
  };

  for (const key of presentKeys) {
    if (!(configKeys as readonly string[]).includes(key)) {
      problems.push(`${key}: unknown key; known keys: ${configKeys.join(", ")}`);
    }
  }

  // Authentication: the same limits as the functions' own environment readers.
  const tokenQueryParameter = text("tokenQueryParameter", /^[A-Za-z0-9_.~-]{1,128}$/, "1-128 letters, digits, _ . ~ -");
  const subprotocolToken = boolean("subprotocolToken");
  const allowAccessTokens = boolean("allowAccessTokens");
  // Group names end up comma-joined in REQUIRED_GROUPS, so a comma inside one cannot be allowed.
  const requiredGroups = list("requiredGroups", /^[^,\s][^,]{0,127}$/, "Cognito group names (no commas)");
  const clockToleranceSeconds = integer("clockToleranceSeconds", 0, 300, " (seconds)");

  // User pool: create one, or use an existing pool and client (both ids or neither).
  const existingUserPoolId = optionalText("existingUserPoolId", /^[\w-]+_[0-9a-zA-Z]+$/, "a user pool id like eu-west-1_AbCdEf123");
  const existingUserPoolClientId = optionalText("existingUserPoolClientId", /^[\w+]{1,128}$/, "an app client id (letters and digits)");
  if ((value("existingUserPoolId") === undefined) !== (value("existingUserPoolClientId") === undefined)) {
    problems.push("existingUserPoolId and existingUserPoolClientId: accepts both set (use an existing pool) or both unset (create one)");
  }
  const idTokenValidityMinutes = integer("idTokenValidityMinutes", 5, 1440, " (minutes)");
  const accessTokenValidityMinutes = integer("accessTokenValidityMinutes", 5, 1440, " (minutes)");
  const refreshTokenValidityDays = integer("refreshTokenValidityDays", 1, 3650, " (days)");
  const userPool: UserPoolConfig = {
    ...(existingUserPoolId !== undefined && existingUserPoolClientId !== undefined
      ? { existing: { userPoolId: existingUserPoolId, userPoolClientId: existingUserPoolClientId } }
      : {}),
    tokenValidity: {
      idTokenMinutes: idTokenValidityMinutes,
      accessTokenMinutes: accessTokenValidityMinutes,
      refreshTokenDays: refreshTokenValidityDays,
    },
  };

  const deletionProtection = boolean("deletionProtection");
  const pointInTimeRecovery = boolean("pointInTimeRecovery");

  // API Gateway.
  const routeSelectionExpression = text(
    "routeSelectionExpression",
    /^[^\s]*\$\{?request\.body\.[A-Za-z0-9_.]+\}?[^\s]*$/,
    "an expression on the JSON body such as $request.body.action or ${request.body.service}/${request.body.action}",
  );
  // "$default" is not a valid stage for WebSocket APIs, hence no "$".
  const stageName = text("stageName", /^[A-Za-z0-9_-]{1,128}$/, "1-128 letters, digits, _ and -");
  const throttlingBurstLimit = integer("throttlingBurstLimit", 1, 5000, " (requests)");
  const throttlingRateLimit = positiveNumber("throttlingRateLimit", 10000);
  const executionLogLevel = oneOf("executionLogLevel", executionLogLevels);
  const manageApiGatewayAccount = boolean("manageApiGatewayAccount");
  const customDomainName = optionalText(
    "customDomainName",
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "a lower-case DNS name such as ws.example.com",
  );
  const certificateArn = optionalText(
    "certificateArn",
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
    "an ACM certificate ARN in the stack's region (arn:aws:acm:{region}:{account}:certificate/{id})",
  );
  if ((value("customDomainName") === undefined) !== (value("certificateArn") === undefined)) {
    problems.push("customDomainName and certificateArn: accepts both set (custom domain) or both unset");
  }
  const hostedZoneId = optionalText("hostedZoneId", /^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
  if (hostedZoneId !== undefined && customDomainName === undefined) {
    problems.push("hostedZoneId: accepts a value only with customDomainName (the zone gets its alias record)");
  }

  // Functions.
  const memorySize = integer("lambdaMemoryMb", 128, 10240, " (MB)");
  const timeout = integer("lambdaTimeoutSeconds", 1, 900, " (seconds)");
  const logLevel = oneOf("logLevel", logLevels);
  const logRetentionDays = ((): number => {
    const raw = value("logRetentionDays");
    if (raw === undefined) return configDefaults.logRetentionDays;
    const days = Number(raw);
    if (/^\d+$/.test(raw) && (logRetentionValues as readonly number[]).includes(days)) return days;
    return fail("logRetentionDays", `one of CloudWatch's retention periods in days: ${logRetentionValues.join(", ")} (0 = never expire)`, configDefaults.logRetentionDays);
  })();
  const connectionTtlSeconds = integer("connectionTtlSeconds", 60, 366 * 24 * 3600, " (seconds)");
  const postConcurrency = integer("postConcurrency", 1, 1000);
  const closeExpiredConnections = boolean("closeExpiredConnections");
  const expirySweepSchedule = text(
    "expirySweepSchedule",
    /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\([^()]+\))$/,
    "an EventBridge schedule such as rate(1 minute), rate(5 minutes) or cron(0/2 * * * ? *)",
  );

  // Network: no VPC, a new one, or an existing one with its subnets.
  const vpcRaw = value("vpc") ?? configDefaults.vpc;
  const vpcIsId = /^vpc-[0-9a-f]{8,17}$/.test(vpcRaw);
  if (!vpcIsId && vpcRaw !== "none" && vpcRaw !== "create") fail("vpc", `"none", "create" or an existing VPC id (vpc-…)`, undefined);
  const natGateways = oneOf("vpcNatGateways", natGatewayStrategies);
  const subnetIds = list("vpcSubnetIds", /^subnet-[0-9a-f]{8,17}$/, "subnet ids (subnet-…)");
  const securityGroupIds = list("vpcSecurityGroupIds", /^sg-[0-9a-f]{8,17}$/, "security group ids (sg-…)");
  if (vpcIsId && subnetIds.length === 0 && !problems.some((problem) => problem.startsWith("vpcSubnetIds:"))) {
    problems.push("vpcSubnetIds: accepts one or more private subnet ids of the VPC (with a NAT route); required when vpc is a VPC id");
  }
  if (!vpcIsId && value("vpcSubnetIds") !== undefined) {
    problems.push(`vpcSubnetIds: accepts a value only when vpc is an existing VPC id; vpc is "${vpcRaw}"`);
  }
  if (!vpcIsId && value("vpcSecurityGroupIds") !== undefined) {
    problems.push(`vpcSecurityGroupIds: accepts a value only when vpc is an existing VPC id; vpc is "${vpcRaw}"`);
  }
  const network: NetworkConfig = vpcIsId
    ? { kind: "existing", vpcId: vpcRaw, subnetIds, securityGroupIds }
    : vpcRaw === "create"
      ? { kind: "create", natGateways }
      : { kind: "none" };

  const webClient = boolean("webClient");

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    auth: {
      tokenQueryParameter,
      subprotocolToken,
      tokenUses: allowAccessTokens ? ["id", "access"] : [...authorizerDefaults.tokenUses],
      requiredGroups,
      clockToleranceSeconds,
    },
    userPool,
    deletionProtection,
    pointInTimeRecovery,
    api: {
      routeSelectionExpression,
      stageName,
      throttlingBurstLimit,
      throttlingRateLimit,
      executionLogLevel,
      manageApiGatewayAccount,
      ...(customDomainName !== undefined && certificateArn !== undefined
        ? { customDomain: { domainName: customDomainName, certificateArn, ...(hostedZoneId === undefined ? {} : { hostedZoneId }) } }
        : {}),
    },
    functions: { memorySize, timeout, logLevel },
    logRetentionDays,
    messaging: { connectionTtlSeconds, postConcurrency },
    ...(closeExpiredConnections ? { expirySweep: { schedule: expirySweepSchedule } } : {}),
    network,
    webClient,
  };
}

/** Reads and validates the current stack's project configuration. */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config();
  const prefix = `${config.name}:`;
  const presentKeys = Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
  return readConfig((key) => config.get(key), presentKeys);
}
