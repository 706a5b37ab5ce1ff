import { describe, expect, it } from "vitest";
import { readSettings } from "../../functions/settings/environment.js";
import { defaultChannelRules } from "../../functions/core/channel-rules.js";
import { defaults } from "../../functions/settings/schema.js";
import { ConfigError, configDefaults, configKeys, readConfig, type StackConfig } from "../../infra/config.js";

/** A config source backed by a plain object, as `pulumi.Config#get` would answer. */
const source = (values: Record<string, string>) => (key: string) => values[key];

/** The ConfigError readConfig throws for these values (fails the test when it does not throw). */
function errorFor(values: Record<string, string>, presentKeys: string[] = []): ConfigError {
  try {
    readConfig(source(values), presentKeys);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(values)}`);
}

describe("readConfig with nothing set", () => {
  it("gives the documented defaults, taken from the functions' own defaults where they exist", () => {
    // Prepare / Act
    const config = readConfig(source({}));

    // Assess
    expect(config).toEqual<StackConfig>({
      auth: {
        tokenQueryParameter: "idToken",
        subprotocolToken: true,
        tokenUses: ["id"],
        requiredGroups: [],
        clockToleranceSeconds: 5,
        logLevel: "INFO",
      },
      userPool: { selfSignUp: true, tokenValidity: { idTokenMinutes: 60, accessTokenMinutes: 60, refreshTokenDays: 30 } },
      deletionProtection: false,
      pointInTimeRecovery: false,
      api: {
        routeSelectionExpression: "$request.body.action",
        stageName: "dev",
        throttlingBurstLimit: 100,
        throttlingRateLimit: 50,
        executionLogLevel: "OFF",
        manageApiGatewayAccount: true,
      },
      functions: { memorySize: 256, timeout: 10 },
      logRetentionDays: 14,
      messaging: {
        connectionTtlSeconds: 7500,
        postConcurrency: 50,
        postRateLimit: 2000,
        fanOutShardSize: 500,
        logLevel: "INFO",
        channelRules: defaultChannelRules,
        channelHistorySeconds: 120,
        channelReplayLimit: 100,
        maxSubscriptionsPerConnection: 50,
        userMessageRate: 20,
        userMessageBurst: 40,
        maxConnectionsPerUser: 10,
      },
      expirySweep: { schedule: "rate(1 minute)" },
      network: { kind: "none" },
      webClient: false,
    });
    expect(config.auth.tokenQueryParameter).toBe(defaults.tokenQueryParameter);
    expect(config.messaging.connectionTtlSeconds).toBe(defaults.connectionTtlSeconds);
    expect(config.messaging.postConcurrency).toBe(defaults.postConcurrency);
  });

  it("turns the expiry sweep off, or runs it on another schedule", () => {
    expect(readConfig(source({ closeExpiredConnections: "false" })).expirySweep).toBeUndefined();
    expect(readConfig(source({ expirySweepSchedule: "rate(5 minutes)" })).expirySweep).toEqual({ schedule: "rate(5 minutes)" });
    expect(readConfig(source({ expirySweepSchedule: "cron(0/2 * * * ? *)" })).expirySweep).toEqual({ schedule: "cron(0/2 * * * ? *)" });
  });

  it("treats empty strings as unset, as `pulumi config set key \"\"` leaves them", () => {
    const empty = Object.fromEntries(configKeys.map((key) => [key, ""]));

    expect(readConfig(source(empty))).toEqual(readConfig(source({})));
  });

  it("has a default or a documented unset meaning for every key", () => {
    const withoutDefault = configKeys.filter((key) => !(key in configDefaults));

    expect(withoutDefault).toEqual([
      "existingUserPoolId",
      "existingUserPoolClientId",
      "customDomainName",
      "certificateArn",
      "hostedZoneId",
      "vpcSubnetIds",
      "vpcSecurityGroupIds",
    ]);
  });
});

describe("readConfig with values set", () => {
  it("reads the seed's query parameter, access tokens, groups and the query-string-only mode", () => {
    const config = readConfig(
      source({
        tokenQueryParameter: "ID_Token",
        subprotocolToken: "false",
        allowAccessTokens: "true",
        requiredGroups: "admins, ops",
        clockToleranceSeconds: "0",
      }),
    );

    expect(config.auth).toEqual({
      tokenQueryParameter: "ID_Token",
      subprotocolToken: false,
      tokenUses: ["id", "access"],
      requiredGroups: ["admins", "ops"],
      clockToleranceSeconds: 0,
      logLevel: "INFO",
    });
  });

  it("accepts lists as JSON arrays too (what `pulumi config set --path key[0]` stores)", () => {
    const config = readConfig(
      source({ requiredGroups: '["admins","ops"]', vpc: "vpc-0123abcd", vpcSubnetIds: '["subnet-0123abcd","subnet-4567ef01"]' }),
    );

    expect(config.auth.requiredGroups).toEqual(["admins", "ops"]);
    expect(config.network).toEqual({ kind: "existing", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd", "subnet-4567ef01"], securityGroupIds: [] });
  });

  it("uses an existing pool when both ids are given", () => {
    const config = readConfig(source({ existingUserPoolId: "us-east-1_Abc123", existingUserPoolClientId: "client123abc" }));

    expect(config.userPool.existing).toEqual({ userPoolId: "us-east-1_Abc123", userPoolClientId: "client123abc" });
  });

  it("reads a custom domain, a created VPC and every tuning knob", () => {
    const config = readConfig(
      source({
        customDomainName: "ws.example.com",
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        hostedZoneId: "Z0123456789ABCDEFGHIJ",
        vpc: "create",
        vpcNatGateways: "OnePerAz",
        lambdaMemoryMb: "512",
        lambdaTimeoutSeconds: "29",
        logRetentionDays: "0",
        logLevel: "DEBUG",
        throttlingBurstLimit: "10",
        throttlingRateLimit: "2.5",
        executionLogLevel: "ERROR",
        manageApiGatewayAccount: "false",
        stageName: "prod",
        routeSelectionExpression: "${request.body.service}/${request.body.action}",
        deletionProtection: "true",
        pointInTimeRecovery: "true",
        connectionTtlSeconds: "60",
        postConcurrency: "1000",
        idTokenValidityMinutes: "5",
        accessTokenValidityMinutes: "1440",
        refreshTokenValidityDays: "3650",
      }),
    );

    expect(config.api).toEqual({
      routeSelectionExpression: "${request.body.service}/${request.body.action}",
      stageName: "prod",
      throttlingBurstLimit: 10,
      throttlingRateLimit: 2.5,
      executionLogLevel: "ERROR",
      manageApiGatewayAccount: false,
      customDomain: {
        domainName: "ws.example.com",
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        hostedZoneId: "Z0123456789ABCDEFGHIJ",
      },
    });
    expect(config.network).toEqual({ kind: "create", natGateways: "OnePerAz" });
    expect(config.functions).toEqual({ memorySize: 512, timeout: 29 });
    expect(config.auth.logLevel).toBe("DEBUG");
    expect(config.logRetentionDays).toBe(0);
    expect(config.deletionProtection).toBe(true);
    expect(config.pointInTimeRecovery).toBe(true);
    expect(config.messaging).toMatchObject({ connectionTtlSeconds: 60, postConcurrency: 1000, logLevel: "DEBUG" });
    expect(config.userPool).toEqual({ selfSignUp: true, tokenValidity: { idTokenMinutes: 5, accessTokenMinutes: 1440, refreshTokenDays: 3650 } });
  });

  it("produces settings the functions' environment readers accept at their limits", () => {
    const config = readConfig(
      source({ clockToleranceSeconds: "300", connectionTtlSeconds: String(366 * 24 * 3600), postConcurrency: "1", postRateLimit: "100000", fanOutShardSize: "10000" }),
    );

    const authorizer = readSettings("authorizer", {
      TOKEN_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc",
      APP_CLIENT_ID: "c",
      CLOCK_TOLERANCE_SECONDS: String(config.auth.clockToleranceSeconds),
    });
    const messaging = readSettings("messaging", {
      SUBSCRIPTIONS_TABLE_NAME: "s",
      CHANNEL_MESSAGES_TABLE_NAME: "m",
      RATE_LIMITS_TABLE_NAME: "r",
      DELIVERIES_TABLE_NAME: "d",
      CONNECTIONS_TABLE_NAME: "t",
      CONNECTIONS_USER_INDEX: "i",
      MANAGEMENT_API_URL: "https://a.execute-api.eu-west-1.amazonaws.com/dev",
      CONNECTION_TTL_SECONDS: String(config.messaging.connectionTtlSeconds),
      POST_CONCURRENCY: String(config.messaging.postConcurrency),
      POST_RATE_LIMIT: String(config.messaging.postRateLimit),
      FANOUT_SHARD_SIZE: String(config.messaging.fanOutShardSize),
    });

    expect(authorizer.clockToleranceSeconds).toBe(300);
    expect(messaging.connectionTtlSeconds).toBe(366 * 24 * 3600);
    expect(messaging.postConcurrency).toBe(1);
    expect(messaging).toMatchObject({ postRateLimit: 100_000, fanOutShardSize: 10_000 });
  });
});

describe("readConfig rejects bad values, naming the key and what it accepts", () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ["tokenQueryParameter", { tokenQueryParameter: "id token" }, /tokenQueryParameter: accepts 1-128 letters, digits, _ \. ~ -; got "id token"/],
    ["subprotocolToken", { subprotocolToken: "yes" }, /subprotocolToken: accepts true or false; got "yes"/],
    ["allowAccessTokens", { allowAccessTokens: "1" }, /allowAccessTokens: accepts true or false/],
    ["requiredGroups", { requiredGroups: '["a,b"]' }, /requiredGroups: accepts a JSON array or a comma-separated list of Cognito group names \(no commas\)/],
    ["requiredGroups (bad JSON)", { requiredGroups: "[admins" }, /requiredGroups: accepts a JSON array/],
    ["clockToleranceSeconds", { clockToleranceSeconds: "301" }, /clockToleranceSeconds: accepts an integer from 0 to 300 \(seconds\); got "301"/],
    ["clockToleranceSeconds (fraction)", { clockToleranceSeconds: "1.5" }, /clockToleranceSeconds: accepts an integer from 0 to 300/],
    ["existingUserPoolId", { existingUserPoolId: "pool", existingUserPoolClientId: "abc" }, /existingUserPoolId: accepts a user pool id like eu-west-1_AbCdEf123; got "pool"/],
    ["existingUserPoolClientId", { existingUserPoolId: "eu-west-1_Abc", existingUserPoolClientId: "a b" }, /existingUserPoolClientId: accepts an app client id/],
    ["existing pool without client", { existingUserPoolId: "eu-west-1_Abc" }, /existingUserPoolId and existingUserPoolClientId: accepts both set \(use an existing pool\) or both unset \(create one\)/],
    ["existing client without pool", { existingUserPoolClientId: "abc" }, /existingUserPoolId and existingUserPoolClientId: accepts both set/],
    ["idTokenValidityMinutes", { idTokenValidityMinutes: "4" }, /idTokenValidityMinutes: accepts an integer from 5 to 1440 \(minutes\)/],
    ["accessTokenValidityMinutes", { accessTokenValidityMinutes: "1441" }, /accessTokenValidityMinutes: accepts an integer from 5 to 1440 \(minutes\)/],
    ["refreshTokenValidityDays", { refreshTokenValidityDays: "0" }, /refreshTokenValidityDays: accepts an integer from 1 to 3650 \(days\)/],
    ["deletionProtection", { deletionProtection: "on" }, /deletionProtection: accepts true or false; got "on"/],
    ["pointInTimeRecovery", { pointInTimeRecovery: "TRUE" }, /pointInTimeRecovery: accepts true or false; got "TRUE"/],
    ["routeSelectionExpression", { routeSelectionExpression: "$request.header.action" }, /routeSelectionExpression: accepts an expression on the JSON body such as \$request\.body\.action/],
    ["stageName", { stageName: "$default" }, /stageName: accepts 1-128 letters, digits, _ and -; got "\$default"/],
    ["throttlingBurstLimit", { throttlingBurstLimit: "0" }, /throttlingBurstLimit: accepts an integer from 1 to 5000 \(requests\)/],
    ["throttlingRateLimit", { throttlingRateLimit: "-1" }, /throttlingRateLimit: accepts a number greater than 0 and at most 10000; got "-1"/],
    ["executionLogLevel", { executionLogLevel: "DEBUG" }, /executionLogLevel: accepts "OFF", "ERROR", "INFO"; got "DEBUG"/],
    ["manageApiGatewayAccount", { manageApiGatewayAccount: "no" }, /manageApiGatewayAccount: accepts true or false/],
    ["customDomainName", { customDomainName: "WS.Example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b" }, /customDomainName: accepts a lower-case DNS name such as ws\.example\.com/],
    ["certificateArn", { customDomainName: "ws.example.com", certificateArn: "arn:aws:iam::123456789012:server-certificate/x" }, /certificateArn: accepts an ACM certificate ARN/],
    ["hostedZoneId", { customDomainName: "ws.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b", hostedZoneId: "example.com" }, /hostedZoneId: accepts a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ; got "example.com"/],
    ["hostedZoneId without a custom domain", { hostedZoneId: "Z0123456789ABCDEFGHIJ" }, /hostedZoneId: accepts a value only with customDomainName/],
    ["custom domain without certificate", { customDomainName: "ws.example.com" }, /customDomainName and certificateArn: accepts both set \(custom domain\) or both unset/],
    ["lambdaMemoryMb", { lambdaMemoryMb: "64" }, /lambdaMemoryMb: accepts an integer from 128 to 10240 \(MB\); got "64"/],
    ["lambdaTimeoutSeconds", { lambdaTimeoutSeconds: "901" }, /lambdaTimeoutSeconds: accepts an integer from 1 to 900 \(seconds\)/],
    ["logLevel", { logLevel: "info" }, /logLevel: accepts "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"; got "info"/],
    ["logRetentionDays", { logRetentionDays: "10" }, /logRetentionDays: accepts one of CloudWatch's retention periods in days: 0, 1, 3, 5, 7, 14, 30, .*3653 \(0 = never expire\); got "10"/],
    ["connectionTtlSeconds", { connectionTtlSeconds: "59" }, /connectionTtlSeconds: accepts an integer from 60 to 31622400 \(seconds\)/],
    ["postConcurrency", { postConcurrency: "1001" }, /postConcurrency: accepts an integer from 1 to 1000; got "1001"/],
    ["closeExpiredConnections", { closeExpiredConnections: "off" }, /closeExpiredConnections: accepts true or false; got "off"/],
    ["expirySweepSchedule", { expirySweepSchedule: "every minute" }, /expirySweepSchedule: accepts an EventBridge schedule such as rate\(1 minute\)/],
    ["expirySweepSchedule plural", { expirySweepSchedule: "rate(1 minutes)" }, /expirySweepSchedule: accepts an EventBridge schedule/],
    ["vpc", { vpc: "default" }, /vpc: accepts "none", "create" or an existing VPC id \(vpc-…\); got "default"/],
    ["vpcNatGateways", { vpc: "create", vpcNatGateways: "Two" }, /vpcNatGateways: accepts "Single", "OnePerAz"; got "Two"/],
    ["vpcSubnetIds missing", { vpc: "vpc-0123abcd" }, /vpcSubnetIds: accepts one or more private subnet ids of the VPC \(with a NAT route\); required when vpc is a VPC id/],
    ["vpcSubnetIds malformed", { vpc: "vpc-0123abcd", vpcSubnetIds: "subnet-1, sg-0123abcd" }, /vpcSubnetIds: accepts a JSON array or a comma-separated list of subnet ids \(subnet-…\)/],
    ["vpcSubnetIds without a VPC id", { vpc: "create", vpcSubnetIds: "subnet-0123abcd" }, /vpcSubnetIds: accepts a value only when vpc is an existing VPC id; vpc is "create"/],
    ["vpcSecurityGroupIds malformed", { vpc: "vpc-0123abcd", vpcSubnetIds: "subnet-0123abcd", vpcSecurityGroupIds: "group" }, /vpcSecurityGroupIds: accepts a JSON array or a comma-separated list of security group ids \(sg-…\)/],
    ["vpcSecurityGroupIds without a VPC id", { vpcSecurityGroupIds: "sg-0123abcd" }, /vpcSecurityGroupIds: accepts a value only when vpc is an existing VPC id; vpc is "none"/],
  ])("%s", (_case, values, message) => {
    // Act
    const error = errorFor(values);

    // Assess
    expect(error.message).toMatch(message);
    expect(error.problems).toHaveLength(1);
  });

  it("reports every bad key at once", () => {
    const error = errorFor({ stageName: "a b", logLevel: "loud", vpc: "maybe" });

    expect(error.problems.map((problem) => problem.split(":")[0])).toEqual(["stageName", "logLevel", "vpc"]);
    expect(error.message).toMatch(/^Invalid stack configuration:\n {2}- stageName: /);
  });

  it("rejects unknown project keys (typos) and lists the known ones", () => {
    const error = errorFor({}, ["stagename", "stageName"]);

    expect(error.problems).toEqual([`stagename: unknown key; known keys: ${configKeys.join(", ")}`]);
  });

  it("is a Pulumi RunError, which `pulumi up` prints without a stack trace", async () => {
    const pulumi = await import("@pulumi/pulumi");

    expect(pulumi.RunError.isInstance(errorFor({ vpc: "x" }))).toBe(true);
  });
});
