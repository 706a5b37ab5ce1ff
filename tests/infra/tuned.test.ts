/** Every tuning key set away from its default reaches the resource it changes. */
import { beforeAll, describe, expect, it } from "vitest";
import { functionNames } from "../../functions/routes.js";
import { apiId, executionArnOf, ofType, region, resource, rolePolicy, runProgram, type ProgramRun } from "./harness.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({
    "aws:region": region,
    stageName: "prod",
    routeSelectionExpression: "$request.body.type",
    throttlingBurstLimit: "20",
    throttlingRateLimit: "7.5",
    executionLogLevel: "ERROR",
    lambdaMemoryMb: "1024",
    lambdaTimeoutSeconds: "29",
    logLevel: "DEBUG",
    logRetentionDays: "90",
    connectionTtlSeconds: "3600",
    postConcurrency: "10",
    postRateLimit: "500",
    fanOutShardSize: "100",
    idTokenValidityMinutes: "15",
    accessTokenValidityMinutes: "30",
    refreshTokenValidityDays: "7",
    deletionProtection: "true",
    pointInTimeRecovery: "true",
    selfSignUp: "false",
  });
});

describe("with every tuning key set", () => {
  it("names the stage, and every URL, ARN and permission follows it", () => {
    expect(resource(run, "aws:apigatewayv2/stage:Stage", "websocket-stage").inputs.name).toBe("prod");
    expect(run.outputs.webSocketUrl).toBe(`wss://${apiId}.execute-api.${region}.amazonaws.com/prod`);
    expect(run.outputs.managementApiUrl).toBe(`https://${apiId}.execute-api.${region}.amazonaws.com/prod`);
    expect(rolePolicy(run, "websocket-whoami-policy").Statement).toContainEqual({
      Effect: "Allow",
      Action: ["execute-api:ManageConnections"],
      Resource: [`${executionArnOf(apiId)}/prod/POST/@connections/*`],
    });
    const routePermissions = ofType(run, "aws:lambda/permission:Permission").filter((p) => p.name.startsWith("websocket-") && p.name !== "websocket-authorizer-permission");
    expect(routePermissions.length).toBeGreaterThan(0);
    for (const permission of routePermissions) {
      expect(permission.inputs.sourceArn).toMatch(new RegExp(`^${executionArnOf(apiId).replace(/[$]/g, "\\$")}/prod/`));
    }
  });

  it("selects routes with the configured expression", () => {
    expect(resource(run, "aws:apigatewayv2/api:Api", "websocket-api").inputs.routeSelectionExpression).toBe("$request.body.type");
  });

  it("throttles and logs the stage as configured, still without data tracing", () => {
    expect(resource(run, "aws:apigatewayv2/stage:Stage", "websocket-stage").inputs.defaultRouteSettings).toEqual({
      dataTraceEnabled: false,
      detailedMetricsEnabled: false,
      loggingLevel: "ERROR",
      throttlingBurstLimit: 20,
      throttlingRateLimit: 7.5,
    });
  });

  it("sizes the functions and keeps their logs as configured", () => {
    for (const fn of functionNames) {
      const inputs = resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs;

      expect(inputs, fn).toMatchObject({ memorySize: 1024, timeout: 29 });
      expect(inputs.environment.variables.POWERTOOLS_LOG_LEVEL, fn).toBe("DEBUG");
      expect(resource(run, "aws:cloudwatch/logGroup:LogGroup", `websocket-${fn}-logs`).inputs.retentionInDays).toBe(90);
    }
    expect(resource(run, "aws:cloudwatch/logGroup:LogGroup", "websocket-access-logs").inputs.retentionInDays).toBe(90);
  });

  it("passes the connection TTL, fan-out concurrency, pace and shard size to the messaging functions, the worker among them", () => {
    for (const fn of ["sendmessage", "deliver"]) {
      expect(resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs.environment.variables, fn).toMatchObject({
        CONNECTION_TTL_SECONDS: "3600",
        POST_CONCURRENCY: "10",
        POST_RATE_LIMIT: "500",
        FANOUT_SHARD_SIZE: "100",
      });
    }
  });

  it("exports the pace, which a server-side publisher shares with the workers", () => {
    expect(run.outputs.postRateLimit).toBe(500);
  });

  it("sets the token lifetimes on the app client", () => {
    expect(resource(run, "aws:cognito/userPoolClient:UserPoolClient", "auth-client").inputs).toMatchObject({
      idTokenValidity: 15,
      accessTokenValidity: 30,
      refreshTokenValidity: 7,
    });
  });

  it("protects the pool and the table, and turns on point-in-time recovery", () => {
    expect(resource(run, "aws:cognito/userPool:UserPool", "auth-pool").inputs.deletionProtection).toBe("ACTIVE");
    expect(resource(run, "aws:dynamodb/table:Table", "connections-table").inputs).toMatchObject({
      deletionProtectionEnabled: true,
      pointInTimeRecovery: { enabled: true },
    });
  });
});

describe("with selfSignUp false", () => {
  it("lets only administrators create users: the pool refuses SignUp", () => {
    expect(resource(run, "aws:cognito/userPool:UserPool", "auth-pool").inputs.adminCreateUserConfig).toEqual({ allowAdminCreateUserOnly: true });
  });
});
