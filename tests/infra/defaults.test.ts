/** The whole stack with no config at all (every default), under the mocked Pulumi runtime. */
import { existsSync, readFileSync } from "node:fs";
import { defaultChannelRules } from "../../functions/core/channel-rules.js";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readSettings } from "../../functions/settings/environment.js";
import { bundleDirectory, bundleFile, deliverFunction, functionNames, functions, routes, type FunctionName } from "../../functions/routes.js";
import { accessLogFormat } from "../../infra/websocket-api.js";
import {
  accountId,
  answeredBefore,
  apiId,
  authorizerIdValue,
  ofType,
  optionsOf,
  poolJwks,
  region,
  resource,
  rolePolicy,
  runProgram,
  userPoolClientIdValue,
  userPoolIdValue,
  type ProgramRun,
} from "./harness.js";

let run: ProgramRun;
beforeAll(async () => {
  // Policies and the account setting answer late, so that the tests see what waits for them.
  run = await runProgram({}, { slowTypes: ["aws:iam/rolePolicy:RolePolicy", "aws:apigateway/account:Account"] });
});

const suffix = "-1a2b3c4"; // the harness's stand-in for Pulumi's random name suffix
const tableArn = `arn:aws:dynamodb:${region}:${accountId}:table/connections-table${suffix}`;
const executionArn = `arn:aws:execute-api:${region}:${accountId}:${apiId}`;
const functionResource = (fn: FunctionName) => resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`);
const functionPhysicalName = (fn: FunctionName) => `websocket-${fn}-function${suffix}`;
const invokeArnOf = (fn: FunctionName) =>
  `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${accountId}:function:${functionPhysicalName(fn)}/invocations`;
// Written out by hand, so that a wrong derivation cannot agree with itself.
const deliverArn = `arn:aws:lambda:${region}:${accountId}:function:websocket-deliver-function${suffix}`;
const deliveriesTableArn = `arn:aws:dynamodb:${region}:${accountId}:table/deliveries-table${suffix}`;
const failedDeliveriesArn = `arn:aws:sqs:${region}:${accountId}:deliveries-failed${suffix}`;

describe("outputs", () => {
  it("are exactly the public outputs' keys, with the cloud values", () => {
    expect(run.outputs).toEqual({
      webSocketUrl: `wss://${apiId}.execute-api.${region}.amazonaws.com/dev`,
      managementApiUrl: `https://${apiId}.execute-api.${region}.amazonaws.com/dev`,
      userPoolId: userPoolIdValue,
      userPoolClientId: userPoolClientIdValue,
      region,
      connectionsTableName: `connections-table${suffix}`,
      subscriptionsTableName: `channels-subscriptions${suffix}`,
      channelMessagesTableName: `channels-messages${suffix}`,
      channelHistorySeconds: 120,
      deliveriesTableName: `deliveries-table${suffix}`,
      postRateLimit: 2000,
    });
  });
});

describe("components", () => {
  it("are one per concern, typed websocket-cognito:aws:<Type>, and name their children after themselves", () => {
    const components = run.resources.filter((r) => r.type.startsWith("websocket-cognito:"));

    expect(components.map((c) => `${c.type} ${c.name}`).sort()).toEqual(
      [
        "websocket-cognito:aws:ApiGatewayAccount apigateway-account",
        "websocket-cognito:aws:ChannelTables channels",
        "websocket-cognito:aws:ConnectionsTable connections",
        "websocket-cognito:aws:RateLimitTable rate-limits",
        "websocket-cognito:aws:DeliveryWorkers deliveries",
        "websocket-cognito:aws:UserPool auth",
        "websocket-cognito:aws:WebSocketApi websocket",
        "websocket-cognito:aws:RouteFunctions websocket",
        "websocket-cognito:aws:ExpirySchedule expiry-sweep",
        ...functionNames.map((fn) => `websocket-cognito:aws:BundledFunction websocket-${fn}`),
      ].sort(),
    );
    const prefixes = ["auth-", "connections-", "channels-", "rate-limits-", "deliveries-", "apigateway-account-", "websocket-", "expiry-sweep-"];
    for (const child of run.resources.filter((r) => !r.type.startsWith("websocket-cognito:"))) {
      expect(prefixes.some((prefix) => child.name.startsWith(prefix)), `${child.type} ${child.name}`).toBe(true);
    }
  });

  it("keep the functions an existing stack has: each one aliased to the WebSocket API component that built it before", () => {
    for (const fn of functionNames) {
      expect(optionsOf(run, "websocket-cognito:aws:BundledFunction", `websocket-${fn}`).aliasParents, fn).toEqual([
        "urn:pulumi:dev::websocket-cognito::websocket-cognito:aws:WebSocketApi::websocket",
      ]);
    }
  });

  it("declare no VPC, security group or custom domain by default", () => {
    for (const type of ["awsx:ec2:Vpc", "aws:ec2/securityGroup:SecurityGroup", "aws:apigatewayv2/domainName:DomainName", "aws:apigatewayv2/apiMapping:ApiMapping"]) {
      expect(ofType(run, type), type).toEqual([]);
    }
  });
});

describe("Cognito", () => {
  it("creates a pool with email as username, auto-verified email, a password policy and no deletion protection", () => {
    const pool = resource(run, "aws:cognito/userPool:UserPool", "auth-pool");

    expect(pool.inputs).toMatchObject({
      usernameAttributes: ["email"],
      autoVerifiedAttributes: ["email"],
      passwordPolicy: { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true },
      deletionProtection: "INACTIVE",
    });
  });

  it("lets anyone sign up by default, as the seeds' walkthrough needs", () => {
    expect(resource(run, "aws:cognito/userPool:UserPool", "auth-pool").inputs.adminCreateUserConfig).toEqual({ allowAdminCreateUserOnly: false });
  });

  it("chooses the pool's price plan itself instead of leaving it to Cognito's default", () => {
    expect(resource(run, "aws:cognito/userPool:UserPool", "auth-pool").inputs.userPoolTier).toBe("ESSENTIALS");
  });

  it("creates a client without secret allowing USER_PASSWORD_AUTH, USER_SRP_AUTH and refresh, with the token lifetimes", () => {
    const client = resource(run, "aws:cognito/userPoolClient:UserPoolClient", "auth-client");

    expect(client.inputs.userPoolId).toBe(userPoolIdValue);
    expect(client.inputs.generateSecret).toBe(false);
    expect([...client.inputs.explicitAuthFlows].sort()).toEqual(["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]);
    expect(client.inputs).toMatchObject({
      idTokenValidity: 60,
      accessTokenValidity: 60,
      refreshTokenValidity: 30,
      tokenValidityUnits: { idToken: "minutes", accessToken: "minutes", refreshToken: "days" },
    });
  });
});

describe("DynamoDB", () => {
  it("keys connections by connectionId, indexes userId, expires records by TTL, bills on demand, has no fixed name", () => {
    const table = resource(run, "aws:dynamodb/table:Table", "connections-table");

    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "connectionId",
      attributes: [
        { name: "connectionId", type: "S" },
        { name: "userId", type: "S" },
      ],
      globalSecondaryIndexes: [{ name: "userId-index", keySchemas: [{ attributeName: "userId", keyType: "HASH" }], projectionType: "KEYS_ONLY" }],
      ttl: { attributeName: "ttl", enabled: true },
      pointInTimeRecovery: { enabled: false },
      deletionProtectionEnabled: false,
    });
    expect(table.inputs.name).toBeUndefined();
    expect(table.inputs.readCapacity).toBeUndefined();
  });

  it("keys subscriptions by channel and {userId}#{connectionId}, indexes connectionId with who, expires them by TTL", () => {
    const table = resource(run, "aws:dynamodb/table:Table", "channels-subscriptions");

    expect(table.inputs).toEqual({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "channel",
      rangeKey: "member",
      attributes: [
        { name: "channel", type: "S" },
        { name: "member", type: "S" },
        { name: "connectionId", type: "S" },
      ],
      globalSecondaryIndexes: [
        {
          name: "connectionId-index",
          keySchemas: [{ attributeName: "connectionId", keyType: "HASH" }],
          projectionType: "INCLUDE",
          nonKeyAttributes: ["userId", "username"],
        },
      ],
      ttl: { attributeName: "ttl", enabled: true },
      pointInTimeRecovery: { enabled: false },
      deletionProtectionEnabled: false,
    });
  });

  it("keys channel messages by channel and a numeric seq, expires them by TTL", () => {
    const table = resource(run, "aws:dynamodb/table:Table", "channels-messages");

    expect(table.inputs).toEqual({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "channel",
      rangeKey: "seq",
      attributes: [
        { name: "channel", type: "S" },
        { name: "seq", type: "N" },
      ],
      ttl: { attributeName: "ttl", enabled: true },
      pointInTimeRecovery: { enabled: false },
      deletionProtectionEnabled: false,
    });
    expect(ofType(run, "aws:dynamodb/table:Table").map((t) => t.name).sort()).toEqual([
      "channels-messages",
      "channels-subscriptions",
      "connections-table",
      "deliveries-table",
      "rate-limits-table",
    ]);
  });

  it("keys fan-out checkpoints by job and part, expires them by TTL, without backups", () => {
    expect(resource(run, "aws:dynamodb/table:Table", "deliveries-table").inputs).toEqual({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "job",
      rangeKey: "part",
      attributes: [
        { name: "job", type: "S" },
        { name: "part", type: "S" },
      ],
      ttl: { attributeName: "ttl", enabled: true },
      pointInTimeRecovery: { enabled: false },
      deletionProtectionEnabled: false,
    });
  });
});

describe("Lambda functions", () => {
  it("exist once per route-table function, on nodejs24.x arm64 with the default memory and timeout", () => {
    expect(ofType(run, "aws:lambda/function:Function")).toHaveLength(functionNames.length);
    for (const fn of functionNames) {
      expect(functionResource(fn).inputs, fn).toMatchObject({
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        handler: "index.handler",
        memorySize: 256,
        timeout: 10,
        description: functions[fn].description,
      });
      expect(functionResource(fn).inputs.vpcConfig, fn).toBeUndefined();
    }
  });

  it("upload the bundles `npm run build` wrote, each exporting `handler` from index.mjs", async () => {
    for (const fn of functionNames) {
      const code = functionResource(fn).inputs.code as pulumi.asset.FileArchive;

      expect(code).toBeInstanceOf(pulumi.asset.FileArchive);
      const path = await code.path;
      expect(path).toBe(bundleDirectory(fn));
      const file = join(path, bundleFile);
      expect(existsSync(file), `${file} exists (run npm run build)`).toBe(true);
      expect(readFileSync(file, "utf8")).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}|export\s+(async\s+)?(function|const)\s+handler\b/);
    }
  });

  it("log to their own log group, with retention", () => {
    for (const fn of functionNames) {
      const logGroup = resource(run, "aws:cloudwatch/logGroup:LogGroup", `websocket-${fn}-logs`);

      expect(logGroup.inputs.retentionInDays).toBe(14);
      expect(functionResource(fn).inputs.loggingConfig).toEqual({ logFormat: "Text", logGroup: logGroup.state.name });
    }
  });

  it("run as their own role, created (with its policy) before the function", () => {
    for (const fn of functionNames) {
      const role = resource(run, "aws:iam/role:Role", `websocket-${fn}-role`);

      expect(functionResource(fn).inputs.role).toBe(role.state.arn);
      expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      });
      expect(resource(run, "aws:iam/rolePolicy:RolePolicy", `websocket-${fn}-policy`).inputs.role).toBe(role.id);
      expect(answeredBefore(run, `aws:iam/rolePolicy:RolePolicy websocket-${fn}-policy`, `aws:lambda/function:Function websocket-${fn}-function`)).toBe(true);
    }
  });

  it("get the authorizer environment from the contract: issuer and client of the pool, id tokens, query parameter and subprotocol", () => {
    const variables = functionResource("authorizer").inputs.environment.variables as Record<string, string>;

    expect(variables).toEqual({
      TOKEN_ISSUER: `https://cognito-idp.${region}.amazonaws.com/${userPoolIdValue}`,
      APP_CLIENT_ID: userPoolClientIdValue,
      ALLOWED_TOKEN_USES: "id",
      REQUIRED_GROUPS: "",
      CLOCK_TOLERANCE_SECONDS: "5",
      TOKEN_QUERY_PARAMETER: "idToken",
      SUBPROTOCOL_TOKEN: "true",
      INITIAL_JWKS: expect.any(String),
      POWERTOOLS_SERVICE_NAME: "authorizer",
      POWERTOOLS_LOG_LEVEL: "INFO",
      NODE_OPTIONS: "--enable-source-maps",
    });
    expect(readSettings("authorizer", variables).issuer).toBe(`https://cognito-idp.eu-west-1.amazonaws.com/${userPoolIdValue}`);
    expect(JSON.parse(variables.INITIAL_JWKS!)).toEqual(poolJwks); // fetched at deploy time

  });

  it("get the messaging environment from the contract: tables, index, management URL of the stage, TTL, concurrency, pace, channels, the worker", () => {
    for (const fn of functionNames.filter((name) => functions[name].settings.includes("messaging") && !functions[name].settings.includes("authorizer"))) {
      const variables = functionResource(fn).inputs.environment.variables as Record<string, string>;

      expect(variables, fn).toEqual({
        // The worker knows itself from Lambda (AWS_LAMBDA_FUNCTION_NAME), so its environment does not wait for it.
        ...(fn === deliverFunction ? {} : { DELIVER_FUNCTION_NAME: functionPhysicalName(deliverFunction) }),
        DELIVERIES_TABLE_NAME: `deliveries-table${suffix}`,
        POST_RATE_LIMIT: "2000",
        FANOUT_SHARD_SIZE: "500",
        CONNECTIONS_TABLE_NAME: `connections-table${suffix}`,
        CONNECTIONS_USER_INDEX: "userId-index",
        MANAGEMENT_API_URL: `https://${apiId}.execute-api.${region}.amazonaws.com/dev`,
        SUBSCRIPTIONS_TABLE_NAME: `channels-subscriptions${suffix}`,
        CHANNEL_MESSAGES_TABLE_NAME: `channels-messages${suffix}`,
        CONNECTION_TTL_SECONDS: "7500",
        POST_CONCURRENCY: "50",
        CHANNEL_RULES: JSON.stringify(defaultChannelRules),
        CHANNEL_HISTORY_SECONDS: "120",
        CHANNEL_REPLAY_LIMIT: "100",
        MAX_SUBSCRIPTIONS_PER_CONNECTION: "50",
        RATE_LIMITS_TABLE_NAME: `rate-limits-table${suffix}`,
        USER_MESSAGE_RATE: "20",
        USER_MESSAGE_BURST: "40",
        MAX_CONNECTIONS_PER_USER: "10",
        POWERTOOLS_SERVICE_NAME: fn,
        POWERTOOLS_LOG_LEVEL: "INFO",
        NODE_OPTIONS: "--enable-source-maps",
      });
      expect(readSettings("messaging", variables).managementApiUrl).toBe(run.outputs.managementApiUrl);
    }
  });

  it("name the worker and the deliveries table in reauth's environment too, beside the authorizer block", () => {
    expect(functionResource("reauth").inputs.environment.variables).toMatchObject({
      DELIVER_FUNCTION_NAME: functionPhysicalName(deliverFunction),
      DELIVERIES_TABLE_NAME: `deliveries-table${suffix}`,
      TOKEN_ISSUER: `https://cognito-idp.${region}.amazonaws.com/${userPoolIdValue}`,
    });
  });
});

describe("IAM", () => {
  const connections = `${executionArn}/dev/POST/@connections/*`;
  const manage = { Effect: "Allow", Action: ["execute-api:ManageConnections"], Resource: [connections] };
  // Written out by hand from the route table, so that a wrong derivation cannot agree with itself.
  const subscriptions = `arn:aws:dynamodb:${region}:${accountId}:table/channels-subscriptions${suffix}`;
  const messages = `arn:aws:dynamodb:${region}:${accountId}:table/channels-messages${suffix}`;
  const allow = (Action: string[], resource: string) => ({ Effect: "Allow", Action, Resource: [resource] });
  const rateLimits = allow(["dynamodb:UpdateItem"], `arn:aws:dynamodb:${region}:${accountId}:table/rate-limits-table${suffix}`);
  // What ending a gone connection takes: its record, its subscriptions (found by connection), a `leave`
  // (a large fan-out of it handed to the worker).
  const dispatch = allow(["lambda:InvokeFunction"], deliverArn);
  const subscriptionsOfConnection = [
    allow(["dynamodb:Query"], `${subscriptions}/index/connectionId-index`),
    allow(["dynamodb:BatchWriteItem", "dynamodb:Query"], subscriptions),
  ];
  const forget = [manage, dispatch, allow(["dynamodb:DeleteItem"], tableArn), ...subscriptionsOfConnection];
  // Every function answering frames also counts them against their user's rate.
  const replies = [...forget, rateLimits];
  // Written out by hand from the route table, so that a wrong derivation cannot agree with itself.
  const expected: Record<FunctionName, object[]> = {
    authorizer: [],
    connect: [
      manage,
      dispatch,
      allow(["dynamodb:DeleteItem", "dynamodb:PutItem"], tableArn),
      ...subscriptionsOfConnection,
      allow(["dynamodb:Query"], `${tableArn}/index/userId-index`),
      allow(["execute-api:ManageConnections"], `${executionArn}/dev/GET/@connections/*`),
    ],
    disconnect: forget,
    default: replies,
    sendmessage: [manage, dispatch, allow(["dynamodb:DeleteItem", "dynamodb:Scan"], tableArn), ...subscriptionsOfConnection, rateLimits],
    sendtouser: [...replies, allow(["dynamodb:Query"], `${tableArn}/index/userId-index`)],
    whoami: replies,
    subscribe: [
      manage,
      dispatch,
      allow(["dynamodb:DeleteItem", "dynamodb:GetItem"], tableArn),
      allow(["dynamodb:Query"], `${subscriptions}/index/connectionId-index`),
      allow(["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query"], subscriptions),
      allow(["dynamodb:GetItem", "dynamodb:Query"], messages),
      rateLimits,
    ],
    unsubscribe: [
      manage,
      dispatch,
      allow(["dynamodb:DeleteItem"], tableArn),
      allow(["dynamodb:Query"], `${subscriptions}/index/connectionId-index`),
      allow(["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:Query"], subscriptions),
      rateLimits,
    ],
    publish: [
      manage,
      dispatch,
      allow(["dynamodb:DeleteItem", "dynamodb:GetItem"], tableArn),
      ...subscriptionsOfConnection,
      rateLimits,
      allow(["dynamodb:PutItem", "dynamodb:UpdateItem"], messages),
    ],
    presence: [manage, dispatch, allow(["dynamodb:DeleteItem", "dynamodb:GetItem"], tableArn), ...subscriptionsOfConnection, rateLimits],
    reauth: [manage, dispatch, allow(["dynamodb:DeleteItem", "dynamodb:UpdateItem"], tableArn), ...subscriptionsOfConnection, rateLimits],
    sweeper: [
      manage,
      dispatch,
      allow(["dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:UpdateItem"], tableArn),
      ...subscriptionsOfConnection,
      allow(["execute-api:ManageConnections"], `${executionArn}/dev/DELETE/@connections/*`),
    ],
    // Its grant on itself (`dispatch`) is a policy of its own, attached once it exists (below).
    deliver: [
      manage,
      allow(["dynamodb:DeleteItem", "dynamodb:Scan"], tableArn),
      ...subscriptionsOfConnection,
      allow(["dynamodb:Query"], `${tableArn}/index/userId-index`),
      allow(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"], deliveriesTableArn),
    ],
  };

  it.each(functionNames)("%s may write its own log streams and do exactly what the route table grants", (fn) => {
    const policy = rolePolicy(run, `websocket-${fn}-policy`);
    const byResource = (a: { Resource: string[] }, b: { Resource: string[] }) => a.Resource[0]!.localeCompare(b.Resource[0]!);

    expect(policy.Version).toBe("2012-10-17");
    expect([...policy.Statement].sort(byResource)).toEqual(
      [
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`arn:aws:logs:${region}:${accountId}:log-group:websocket-${fn}-logs${suffix}:*`] },
        ...expected[fn],
      ].sort(byResource as (a: object, b: object) => number),
    );
  });

  /**
   * The whole ARN, anchored: a `*` only where the resource is one stage's `@connections/*` or one log
   * group's streams (`:*`). The API Gateway account role's `log-group:*` is the one region-wide
   * resource (its own test pins it); nothing else may end in a bare wildcard. A function is named
   * unqualified (no version or alias), a queue by its whole name.
   */
  const scopedArn = (arn: string, policyName: string): boolean =>
    [
      new RegExp(`^arn:aws:dynamodb:${region}:${accountId}:table/[^*/]+(/index/[^*/]+)?$`),
      new RegExp(`^arn:aws:execute-api:${region}:${accountId}:${apiId}/[^*/]+/(POST|DELETE|GET)/@connections/\\*$`),
      new RegExp(`^arn:aws:logs:${region}:${accountId}:log-group:[^*:]+:\\*$`),
      new RegExp(`^arn:aws:lambda:${region}:${accountId}:function:[^*:]+$`),
      new RegExp(`^arn:aws:sqs:${region}:${accountId}:[^*:]+$`),
    ].some((shape) => shape.test(arn)) ||
    (policyName === "apigateway-account-policy" && arn === `arn:aws:logs:${region}:${accountId}:log-group:*`);

  it("tells a scoped ARN from an unscoped one", () => {
    expect(scopedArn(tableArn, "p")).toBe(true);
    expect(scopedArn(`${tableArn}/index/userId-index`, "p")).toBe(true);
    expect(scopedArn(`${executionArn}/dev/POST/@connections/*`, "p")).toBe(true);
    expect(scopedArn(deliverArn, "p")).toBe(true);
    expect(scopedArn(failedDeliveriesArn, "p")).toBe(true);
    for (const unscoped of [
      `arn:aws:dynamodb:${region}:${accountId}:table/*`,
      `${tableArn}/index/*`,
      `${executionArn}/*`,
      `${executionArn}/*/POST/@connections/*`,
      `arn:aws:logs:${region}:${accountId}:log-group:*`,
      `arn:aws:dynamodb:*:${accountId}:table/t`,
      `${deliverArn}:*`,
      `${deliverArn}*`,
      `arn:aws:lambda:${region}:${accountId}:function:*`,
      `arn:aws:sqs:${region}:${accountId}:*`,
      "*",
    ]) {
      expect(scopedArn(unscoped, "p"), unscoped).toBe(false);
    }
  });

  it("has no wildcard actions and no unscoped resources in any role policy", () => {
    const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy");

    // One per function, the worker's two more (invoking itself, recording failures), API Gateway's account role's.
    expect(policies).toHaveLength(functionNames.length + 3);
    for (const policy of policies) {
      for (const statement of JSON.parse(String(policy.inputs.policy)).Statement as { Action: string[]; Resource: string[]; Effect: string }[]) {
        expect(statement.Effect).toBe("Allow");
        for (const action of statement.Action) expect(action, policy.name).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        for (const arn of statement.Resource) expect(scopedArn(arn, policy.name), `${policy.name}: ${arn}`).toBe(true);
      }
    }
  });

  it("uses no managed policy attachments, whose contents a test cannot see", () => {
    expect(ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    for (const role of ofType(run, "aws:iam/role:Role")) expect(role.inputs.managedPolicyArns, role.name).toBeUndefined();
  });
});

describe("fan-out workers", () => {
  const deliverRole = () => resource(run, "aws:iam/role:Role", `websocket-${deliverFunction}-role`);

  it("record failed deliveries in a standard queue encrypted with SQS's keys, kept 14 days, auto-named", () => {
    expect(resource(run, "aws:sqs/queue:Queue", "deliveries-failed").inputs).toEqual({ sqsManagedSseEnabled: true, messageRetentionSeconds: 1_209_600 });
    expect(ofType(run, "aws:sqs/queue:Queue")).toHaveLength(1);
  });

  it("are invoked asynchronously with two retries, events given up after an hour to the failed-deliveries queue", () => {
    const config = resource(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "deliveries-invoke-config");

    // No qualifier: the configuration of the unqualified function, as the worker is invoked.
    expect(config.inputs).toEqual({
      functionName: functionPhysicalName(deliverFunction),
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 3600,
      destinationConfig: { onFailure: { destination: failedDeliveriesArn } },
    });
    expect(ofType(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")).toHaveLength(1);
  });

  it("configure the invocations only once the worker's role may send to the queue, which Lambda checks then", () => {
    expect(
      answeredBefore(run, "aws:iam/rolePolicy:RolePolicy deliveries-failed-policy", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig deliveries-invoke-config"),
    ).toBe(true);
  });

  it("run as a role that may do exactly its route-table grants, invoke itself, and send to the failed-deliveries queue", () => {
    const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.inputs.role === deliverRole().id);

    // websocket-deliver-policy holds its logs and route-table grants (pinned with every function's above).
    expect(policies.map((policy) => policy.name).sort()).toEqual(["deliveries-failed-policy", "websocket-deliver-invoke-self", "websocket-deliver-policy"]);
    expect(rolePolicy(run, "websocket-deliver-invoke-self").Statement).toEqual([{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [deliverArn] }]);
    expect(rolePolicy(run, "deliveries-failed-policy").Statement).toEqual([{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [failedDeliveriesArn] }]);
  });

  it("attach the worker's grant on itself once it exists (its ARN is known only then)", () => {
    expect(answeredBefore(run, "aws:lambda/function:Function websocket-deliver-function", "aws:iam/rolePolicy:RolePolicy websocket-deliver-invoke-self")).toBe(true);
  });

  it("may be invoked by every other function that ends gone connections, on exactly the worker's unqualified ARN; by nothing else", () => {
    const invokers = functionNames.filter((fn) => fn !== deliverFunction && functions[fn].grants.some((grant) => grant.resource === "deliverFunction"));

    expect(invokers.sort()).toEqual(functionNames.filter((fn) => fn !== "authorizer" && fn !== deliverFunction).sort());
    for (const fn of invokers) {
      const lambdaStatements = rolePolicy(run, `websocket-${fn}-policy`).Statement.filter((statement) => statement.Action.some((action) => action.startsWith("lambda:")));
      expect(lambdaStatements, fn).toEqual([{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [deliverArn] }]);
    }
    expect(rolePolicy(run, "websocket-authorizer-policy").Statement.flatMap((statement) => statement.Action)).not.toContain("lambda:InvokeFunction");
    // Lambda's resource policies admit API Gateway and EventBridge only: no principal outside the stack's roles invokes the worker.
    expect(ofType(run, "aws:lambda/permission:Permission").map((p) => p.inputs.function)).not.toContain(functionPhysicalName(deliverFunction));
  });
});

describe("API Gateway", () => {
  it("is a WebSocket API selecting routes by $request.body.action", () => {
    expect(resource(run, "aws:apigatewayv2/api:Api", "websocket-api").inputs).toMatchObject({
      protocolType: "WEBSOCKET",
      routeSelectionExpression: "$request.body.action",
    });
  });

  it("has a REQUEST authorizer on the authorizer function, with no identity source and no result TTL", () => {
    const authorizer = resource(run, "aws:apigatewayv2/authorizer:Authorizer", "websocket-authorizer");

    expect(authorizer.inputs).toMatchObject({ apiId, authorizerType: "REQUEST", authorizerUri: invokeArnOf("authorizer") });
    expect(authorizer.inputs.identitySources).toBeUndefined();
    expect(authorizer.inputs).not.toHaveProperty("authorizerResultTtlInSeconds");
    expect(authorizer.inputs).not.toHaveProperty("enableSimpleResponses");
    expect(authorizer.inputs).not.toHaveProperty("authorizerPayloadFormatVersion");
  });

  it("has every route of the route table, $connect behind the authorizer, each on an AWS_PROXY integration of its function", () => {
    expect(ofType(run, "aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey).sort()).toEqual(routes.map((r) => r.routeKey).sort());
    for (const route of routes) {
      const found = ofType(run, "aws:apigatewayv2/route:Route").find((r) => r.inputs.routeKey === route.routeKey)!;
      const integration = ofType(run, "aws:apigatewayv2/integration:Integration").find((i) => found.inputs.target === `integrations/${i.id}`);

      expect(integration, route.routeKey).toBeDefined();
      expect(integration!.inputs).toMatchObject({ apiId, integrationType: "AWS_PROXY", integrationMethod: "POST", integrationUri: invokeArnOf(route.function) });
      if (route.routeKey === "$connect") {
        expect(found.inputs).toMatchObject({ authorizationType: "CUSTOM", authorizerId: authorizerIdValue });
      } else {
        expect(found.inputs.authorizationType, route.routeKey).toBe("NONE");
        expect(found.inputs.authorizerId, route.routeKey).toBeUndefined();
      }
    }
  });

  it("lets API Gateway invoke each function only from its route of this stage, or as the authorizer", () => {
    const permissions = ofType(run, "aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "apigateway.amazonaws.com");
    const expected = [
      ...routes.map((r) => ({ function: functionPhysicalName(r.function), sourceArn: `${executionArn}/dev/${r.routeKey}` })),
      { function: functionPhysicalName("authorizer"), sourceArn: `${executionArn}/authorizers/${authorizerIdValue}` },
    ];

    expect(permissions.map((p) => ({ function: p.inputs.function, sourceArn: p.inputs.sourceArn }))).toEqual(expect.arrayContaining(expected));
    expect(permissions).toHaveLength(expected.length);
    for (const permission of permissions) {
      expect(permission.inputs).toMatchObject({ action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com" });
    }
  });

  it("lets EventBridge alone invoke the expiry sweeper, every minute", () => {
    const rule = resource(run, "aws:cloudwatch/eventRule:EventRule", "expiry-sweep-rule");
    const target = resource(run, "aws:cloudwatch/eventTarget:EventTarget", "expiry-sweep-target");
    const sweeper = resource(run, "aws:lambda/function:Function", "websocket-sweeper-function");
    const fromEvents = ofType(run, "aws:lambda/permission:Permission").filter((p) => p.inputs.principal !== "apigateway.amazonaws.com");

    expect(rule.inputs.scheduleExpression).toBe("rate(1 minute)");
    expect(target.inputs).toMatchObject({ rule: rule.state.name, arn: sweeper.state.arn });
    expect(fromEvents.map((p) => p.inputs)).toEqual([
      expect.objectContaining({ action: "lambda:InvokeFunction", function: functionPhysicalName("sweeper"), principal: "events.amazonaws.com", sourceArn: rule.state.arn }),
    ]);
  });

  it("deploys a `dev` stage automatically, with JSON access logs, throttling and no data tracing", () => {
    const stage = resource(run, "aws:apigatewayv2/stage:Stage", "websocket-stage");
    const accessLogs = resource(run, "aws:cloudwatch/logGroup:LogGroup", "websocket-access-logs");

    expect(stage.inputs).toMatchObject({
      apiId,
      name: "dev",
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.state.arn, format: accessLogFormat },
      defaultRouteSettings: { dataTraceEnabled: false, loggingLevel: "OFF", throttlingBurstLimit: 100, throttlingRateLimit: 50 },
    });
    expect(accessLogs.inputs.retentionInDays).toBe(14);
    expect(String(stage.inputs.accessLogSettings.format)).not.toMatch(/query/i);
  });

  it("deploys the stage after every route and after the account's CloudWatch role setting", () => {
    for (const route of ofType(run, "aws:apigatewayv2/route:Route")) {
      expect(answeredBefore(run, `aws:apigatewayv2/route:Route ${route.name}`, "aws:apigatewayv2/stage:Stage websocket-stage")).toBe(true);
    }
    expect(answeredBefore(run, "aws:apigateway/account:Account apigateway-account-account", "aws:apigatewayv2/stage:Stage websocket-stage")).toBe(true);
  });
});

describe("API Gateway account setting", () => {
  it("names a role that API Gateway can assume, allowed exactly the log actions it needs on this account's log groups", () => {
    const role = resource(run, "aws:iam/role:Role", "apigateway-account-role");
    const account = resource(run, "aws:apigateway/account:Account", "apigateway-account-account");

    expect(account.inputs.cloudwatchRoleArn).toBe(role.state.arn);
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ]);
    expect(rolePolicy(run, "apigateway-account-policy").Statement).toEqual([
      {
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:FilterLogEvents",
          "logs:GetLogEvents",
          "logs:PutLogEvents",
        ],
        Resource: [`arn:aws:logs:${region}:${accountId}:log-group:*`],
      },
    ]);
    expect(answeredBefore(run, "aws:iam/rolePolicy:RolePolicy apigateway-account-policy", "aws:apigateway/account:Account apigateway-account-account")).toBe(true);
  });

  it("is left in place by `pulumi destroy`, with its role: other APIs of the region log through them", () => {
    for (const [type, name] of [
      ["aws:apigateway/account:Account", "apigateway-account-account"],
      ["aws:iam/role:Role", "apigateway-account-role"],
      ["aws:iam/rolePolicy:RolePolicy", "apigateway-account-policy"],
    ] as const) {
      expect(optionsOf(run, type, name).retainOnDelete, name).toBe(true);
    }
    for (const fn of functionNames) expect(optionsOf(run, "aws:iam/role:Role", `websocket-${fn}-role`).retainOnDelete, fn).toBe(false);
  });
});
