/** The pure derivations infra/ builds resources from: IAM from grants, ARNs, identity sources, environments, log format. */
import { describe, expect, it } from "vitest";
import { functionEnvironment, readSettings } from "../../functions/settings/environment.js";
import { defaultChannelRules } from "../../functions/core/channel-rules.js";
import { functions, identitySources, type Grant } from "../../functions/routes.js";
import { authorizerSourceArn, connectionsArn, grantStatements, indexArn, routeSourceArn, type GrantResources } from "../../infra/grants.js";
import { accessLogFormat, routeSlug } from "../../infra/websocket-api.js";

const tableArn = "arn:aws:dynamodb:eu-west-1:123456789012:table/connections-1a2b";
const executionArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5";
const resources: GrantResources = {
  connectionsTable: tableArn,
  userIndex: `${tableArn}/index/userId-index`,
  connections: `${executionArn}/dev/POST/@connections/*`,
  closeConnections: `${executionArn}/dev/DELETE/@connections/*`,
  subscriptionsTable: "arn:aws:dynamodb:eu-west-1:123456789012:table/subscriptions-3c4d",
  connectionIndex: "arn:aws:dynamodb:eu-west-1:123456789012:table/subscriptions-3c4d/index/connectionId-index",
  channelMessagesTable: "arn:aws:dynamodb:eu-west-1:123456789012:table/channel-messages-5e6f",
  rateLimitsTable: "arn:aws:dynamodb:eu-west-1:123456789012:table/rate-limits-7a8b",
  inspectConnections: `${executionArn}/dev/GET/@connections/*`,
  deliveriesTable: "arn:aws:dynamodb:eu-west-1:123456789012:table/deliveries-9c0d",
  deliverFunction: "arn:aws:lambda:eu-west-1:123456789012:function:deliver-1e2f",
};

describe("grantStatements", () => {
  it("turns each grant into its exact actions on its exact resource", () => {
    // Prepare
    const grants: Grant[] = [
      { resource: "userIndex", actions: ["dynamodb:Query"] },
      { resource: "connectionsTable", actions: ["dynamodb:DeleteItem"] },
      { resource: "connections", actions: ["execute-api:ManageConnections"] },
    ];

    // Act
    const statements = grantStatements(grants, resources);

    // Assess
    expect(statements).toEqual([
      { Effect: "Allow", Action: ["dynamodb:Query"], Resource: [`${tableArn}/index/userId-index`] },
      { Effect: "Allow", Action: ["dynamodb:DeleteItem"], Resource: [tableArn] },
      { Effect: "Allow", Action: ["execute-api:ManageConnections"], Resource: [`${executionArn}/dev/POST/@connections/*`] },
    ]);
  });

  it("merges grants on the same resource, sorted and without duplicates", () => {
    const statements = grantStatements(
      [
        { resource: "connectionsTable", actions: ["dynamodb:Scan", "dynamodb:DeleteItem"] },
        { resource: "connectionsTable", actions: ["dynamodb:DeleteItem"] },
      ],
      resources,
    );

    expect(statements).toEqual([{ Effect: "Allow", Action: ["dynamodb:DeleteItem", "dynamodb:Scan"], Resource: [tableArn] }]);
  });

  it("grants nothing for a function without grants (the authorizer)", () => {
    expect(grantStatements(functions.authorizer.grants, resources)).toEqual([]);
  });

  it("lets the fan-out worker be invoked on exactly its unqualified ARN, and its ledger updated", () => {
    const statements = grantStatements(
      [
        { resource: "deliverFunction", actions: ["lambda:InvokeFunction"] },
        { resource: "deliveriesTable", actions: ["dynamodb:UpdateItem"] },
      ],
      resources,
    );

    expect(statements).toEqual([
      { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: ["arn:aws:lambda:eu-west-1:123456789012:function:deliver-1e2f"] },
      { Effect: "Allow", Action: ["dynamodb:UpdateItem"], Resource: ["arn:aws:dynamodb:eu-west-1:123456789012:table/deliveries-9c0d"] },
    ]);
  });

  it("refuses a grant on a resource it has no ARN for, naming it, rather than writing a policy without it", () => {
    const { deliverFunction: _, ...withoutWorker } = resources;

    expect(() => grantStatements(functions.sendmessage.grants, withoutWorker)).toThrow('No ARN for the granted resource "deliverFunction"');
    expect(grantStatements(functions.sendmessage.grants.filter((grant) => grant.resource !== "deliverFunction"), withoutWorker)).toHaveLength(5);
  });
});

describe("ARN forms", () => {
  it("builds the exact forms API Gateway and DynamoDB authorize against", () => {
    expect(connectionsArn(executionArn, "dev")).toBe("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/POST/@connections/*");
    expect(connectionsArn(executionArn, "dev", "DELETE")).toBe("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/DELETE/@connections/*");
    expect(indexArn(tableArn, "userId-index")).toBe(`${tableArn}/index/userId-index`);
    expect(routeSourceArn(executionArn, "prod", "$connect")).toBe("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/$connect");
    expect(authorizerSourceArn(executionArn, "abc123")).toBe("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/abc123");
  });
});

describe("identitySources (route table), as the authorizer gets them", () => {
  it("lists none when subprotocol tokens are allowed, since API Gateway ANDs them and would 401 browsers", () => {
    expect(identitySources({ subprotocolToken: true, tokenQueryParameter: "idToken" })).toEqual([]);
  });

  it("lists the query parameter alone otherwise", () => {
    expect(identitySources({ subprotocolToken: false, tokenQueryParameter: "ID_Token" })).toEqual([
      "route.request.querystring.ID_Token",
    ]);
  });
});

describe("functionEnvironment", () => {
  it("writes the authorizer block with the contract's writer, plus logger settings", () => {
    const environment = functionEnvironment("authorizer", { authorizer: {
      issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc",
      clientId: "client1",
      tokenUses: ["id"],
      requiredGroups: [],
      clockToleranceSeconds: 5,
      tokenQueryParameter: "idToken",
      subprotocolToken: true,
      logLevel: "WARN",
    } });

    expect(readSettings("authorizer", environment)).toMatchObject({ clientId: "client1", issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc" });
    expect(environment).toMatchObject({ POWERTOOLS_SERVICE_NAME: "authorizer", POWERTOOLS_LOG_LEVEL: "WARN" });
    expect(environment).not.toHaveProperty("CONNECTIONS_TABLE_NAME");
  });

  it("writes the messaging block for messaging functions", () => {
    const environment = functionEnvironment("sendmessage", { messaging: {
      connectionsTableName: "t-1",
      userIndexName: "userId-index",
      subscriptionsTableName: "s-1",
      channelMessagesTableName: "m-1",
      rateLimitsTableName: "r-1",
      deliveriesTableName: "d-1",
      deliverFunctionName: "deliver-1",
      managementApiUrl: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev",
      connectionTtlSeconds: 600,
      postConcurrency: 8,
      logLevel: "INFO",
    } });

    expect(readSettings("messaging", environment)).toEqual({
      connectionsTableName: "t-1",
      userIndexName: "userId-index",
      subscriptionsTableName: "s-1",
      channelMessagesTableName: "m-1",
      managementApiUrl: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev",
      connectionTtlSeconds: 600,
      postConcurrency: 8,
      logLevel: "INFO",
      channelRules: defaultChannelRules,
      channelHistorySeconds: 120,
      channelReplayLimit: 100,
      maxSubscriptionsPerConnection: 50,
      rateLimitsTableName: "r-1",
      deliveriesTableName: "d-1",
      deliverFunctionName: "deliver-1",
      postRateLimit: 2000,
      fanOutShardSize: 500,
      userMessageRate: 20,
      userMessageBurst: 40,
      maxConnectionsPerUser: 10,
      connectionLimitMs: 7_200_000,
    });
    expect(environment).toMatchObject({ POWERTOOLS_SERVICE_NAME: "sendmessage", POWERTOOLS_LOG_LEVEL: "INFO" });
    expect(environment).not.toHaveProperty("TOKEN_ISSUER");
  });
});

describe("accessLogFormat", () => {
  it("is one JSON object of $context variables, under API Gateway's 3 KB limit", () => {
    const parsed = JSON.parse(accessLogFormat) as Record<string, string>;

    expect(accessLogFormat).not.toContain("\n");
    expect(accessLogFormat.length).toBeLessThan(3 * 1024);
    for (const value of Object.values(parsed)) expect(value).toMatch(/^\$context\.[A-Za-z.]+$/);
    expect(parsed).toMatchObject({ requestId: "$context.requestId", routeKey: "$context.routeKey", connectionId: "$context.connectionId", status: "$context.status" });
  });

  it("never carries the query string or raw request data", () => {
    expect(accessLogFormat).not.toMatch(/query|querystring|request\.|path|body|header/i);
  });
});

describe("routeSlug", () => {
  it("names resources after route keys without the $", () => {
    expect(["$connect", "$disconnect", "$default", "sendmessage", "chat/join"].map(routeSlug)).toEqual([
      "connect",
      "disconnect",
      "default",
      "sendmessage",
      "chat-join",
    ]);
  });
});
