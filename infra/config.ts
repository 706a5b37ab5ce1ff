/**
 * Stack configuration: the only module that reads `pulumi.Config`.
 *
 * Each key's type, range and default come from the settings schema; this module adds what spans
 * several keys (both-or-neither pairs, the VPC's options) and shapes the result for the components.
 * `readConfig` is pure (it takes a key → value function), so every rule has a unit test without a
 * Pulumi runtime. It checks every key before any resource is declared and reports all bad keys at
 * once, each line naming the key and the values it accepts.
 */
import * as pulumi from "@pulumi/pulumi";
import { isSet, readConfigValues, type ConfigSource } from "../functions/settings/config-values.js";
import {
  configKeys,
  configOf,
  defaults,
  type ConfigKey,
  type ConfigOf,
  type ExecutionLogLevel,
  type LogLevel,
  type NatGatewayStrategy,
} from "../functions/settings/schema.js";
import type { TokenUse } from "../functions/core/claims.js";

export { configKeys, type ConfigKey, type ConfigSource, type ExecutionLogLevel, type LogLevel, type NatGatewayStrategy };

/** The authorizer settings a stack's configuration decides; the user pool supplies the rest. */
export type AuthorizerPolicySettings = ConfigOf<"authorizer"> & { readonly tokenUses: readonly TokenUse[] };

export interface UserPoolConfig {
  /** Use this pool and client instead of creating them. */
  readonly existing?: { readonly userPoolId: string; readonly userPoolClientId: string };
  /** Whether anyone may sign up (not applied to an existing pool). */
  readonly selfSignUp: boolean;
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
  };
  readonly logRetentionDays: number;
  /** The messaging functions' settings (connection records, fan-out, channels, log level). */
  readonly messaging: ConfigOf<"messaging">;
  /** When set, connections whose token has expired are closed on this EventBridge schedule. */
  readonly expirySweep?: { readonly schedule: string };
  readonly network: NetworkConfig;
  /** Host the web client (S3 + CloudFront) and export its `webClientUrl`. */
  readonly webClient: boolean;
}

/** Defaults of the keys that have one; the stack behaves the same whether they are unset or set to these. */
export const configDefaults = Object.fromEntries(configKeys.flatMap((key) => (key in defaults ? [[key, defaults[key as keyof typeof defaults]]] : []))) as Partial<
  Record<ConfigKey, unknown>
>;

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
  const { values, problems: keyProblems } = readConfigValues(get, presentKeys);
  const problems = [...keyProblems];
  const bad = (key: ConfigKey) => problems.some((problem) => problem.startsWith(`${key}:`));
  const bothOrNeither = (a: ConfigKey, b: ConfigKey, accepted: string) => {
    if (isSet(get, a) !== isSet(get, b)) problems.push(`${a} and ${b}: accepts ${accepted}`);
  };
  bothOrNeither("existingUserPoolId", "existingUserPoolClientId", "both set (use an existing pool) or both unset (create one)");
  bothOrNeither("customDomainName", "certificateArn", "both set (custom domain) or both unset");
  if (isSet(get, "hostedZoneId") && !isSet(get, "customDomainName")) {
    problems.push("hostedZoneId: accepts a value only with customDomainName (the zone gets its alias record)");
  }

  // Network: no VPC, a new one, or an existing one with its subnets.
  const vpcIsId = values.vpc.startsWith("vpc-");
  if (vpcIsId && values.vpcSubnetIds === undefined && !bad("vpcSubnetIds")) {
    problems.push("vpcSubnetIds: accepts one or more private subnet ids of the VPC (with a NAT route); required when vpc is a VPC id");
  }
  for (const key of ["vpcSubnetIds", "vpcSecurityGroupIds"] as const) {
    if (!vpcIsId && isSet(get, key)) problems.push(`${key}: accepts a value only when vpc is an existing VPC id; vpc is "${values.vpc}"`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const { existingUserPoolId, existingUserPoolClientId, customDomainName, certificateArn, hostedZoneId } = values;
  const network: NetworkConfig = vpcIsId
    ? { kind: "existing", vpcId: values.vpc, subnetIds: values.vpcSubnetIds ?? [], securityGroupIds: values.vpcSecurityGroupIds ?? [] }
    : values.vpc === "create"
      ? { kind: "create", natGateways: values.vpcNatGateways }
      : { kind: "none" };
  return {
    auth: { ...configOf("authorizer", values), tokenUses: values.allowAccessTokens ? ["id", "access"] : defaults.tokenUses },
    userPool: {
      ...(existingUserPoolId !== undefined && existingUserPoolClientId !== undefined
        ? { existing: { userPoolId: existingUserPoolId, userPoolClientId: existingUserPoolClientId } }
        : {}),
      selfSignUp: values.selfSignUp,
      tokenValidity: {
        idTokenMinutes: values.idTokenValidityMinutes,
        accessTokenMinutes: values.accessTokenValidityMinutes,
        refreshTokenDays: values.refreshTokenValidityDays,
      },
    },
    deletionProtection: values.deletionProtection,
    pointInTimeRecovery: values.pointInTimeRecovery,
    api: {
      routeSelectionExpression: values.routeSelectionExpression,
      stageName: values.stageName,
      throttlingBurstLimit: values.throttlingBurstLimit,
      throttlingRateLimit: values.throttlingRateLimit,
      executionLogLevel: values.executionLogLevel,
      manageApiGatewayAccount: values.manageApiGatewayAccount,
      ...(customDomainName !== undefined && certificateArn !== undefined
        ? { customDomain: { domainName: customDomainName, certificateArn, ...(hostedZoneId === undefined ? {} : { hostedZoneId }) } }
        : {}),
    },
    functions: { memorySize: values.lambdaMemoryMb, timeout: values.lambdaTimeoutSeconds },
    logRetentionDays: values.logRetentionDays,
    messaging: configOf("messaging", values),
    ...(values.closeExpiredConnections ? { expirySweep: { schedule: values.expirySweepSchedule } } : {}),
    network,
    webClient: values.webClient,
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
