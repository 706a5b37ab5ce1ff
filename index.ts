/**
 * Composition root of the AWS stack: read the config, build the components, export the outputs
 * (the README lists them). Every decision lives in infra/.
 */
import * as pulumi from "@pulumi/pulumi";
import { authorizerFunction, deliverFunction, expirySweeperFunction, functions, identitySources, routes } from "./functions/routes.js";
import { ApiGatewayAccount } from "./infra/apigateway-account.js";
import { loadStackConfig } from "./infra/config.js";
import { ChannelTables } from "./infra/channel-tables.js";
import { ConnectionsTable } from "./infra/connections-table.js";
import { DeliveryWorkers, type DeliverWorker } from "./infra/delivery-workers.js";
import { ExpirySchedule } from "./infra/expiry-schedule.js";
import { Network } from "./infra/network.js";
import { RateLimitTable } from "./infra/rate-limit-table.js";
import { RouteFunctions, type ApiEndpoints } from "./infra/route-functions.js";
import { StaticSite } from "./infra/static-site.js";
import { UserPool } from "./infra/user-pool.js";
import { checkCertificateRegion, WebSocketApi } from "./infra/websocket-api.js";
import { buildFunction } from "./build/functions.js";
import { webClientDirectory } from "./web/site.js";

const config = loadStackConfig();
if (config.api.customDomain) await checkCertificateRegion(config.api.customDomain.certificateArn);

const userPool = new UserPool("auth", {
  existing: config.userPool.existing,
  tokenValidity: config.userPool.tokenValidity,
  selfSignUp: config.userPool.selfSignUp,
  deletionProtection: config.deletionProtection,
});

const connections = new ConnectionsTable("connections", {
  pointInTimeRecovery: config.pointInTimeRecovery,
  deletionProtection: config.deletionProtection,
});

const channels = new ChannelTables("channels", {
  pointInTimeRecovery: config.pointInTimeRecovery,
  deletionProtection: config.deletionProtection,
});

const rateLimits = new RateLimitTable("rate-limits");

// Every messaging function (the worker too) needs the deliveries table, and the worker's invocation
// settings need the worker: they get it as a deferred output, resolved once the functions are declared.
const [deliverWorker, resolveDeliverWorker] = pulumi.deferredOutput<DeliverWorker>();
const deliveries = new DeliveryWorkers("deliveries", { worker: deliverWorker });

const network = config.network.kind === "none" ? undefined : new Network("network", { vpc: config.network });

const apiGatewayAccount = config.api.manageApiGatewayAccount ? new ApiGatewayAccount("apigateway-account") : undefined;

// The functions need the API's ARN and management URL, and the API needs the functions: the
// functions get the API's endpoints as a deferred output, resolved once the API is declared.
const [apiEndpoints, resolveApiEndpoints] = pulumi.deferredOutput<ApiEndpoints>();

const routeFunctions = new RouteFunctions("websocket", {
  routeTable: { routes, functions, authorizerFunction, deliverFunction, build: buildFunction },
  api: apiEndpoints,
  authorizer: { ...config.auth, issuer: userPool.issuer, clientId: userPool.userPoolClientId },
  messaging: config.messaging,
  connections: {
    tableName: connections.tableName,
    tableArn: connections.tableArn,
    userIndexName: connections.userIndexName,
    userIndexArn: connections.userIndexArn,
  },
  channels,
  rateLimits,
  deliveries,
  functions: {
    ...config.functions,
    vpc: network && { subnetIds: network.subnetIds, securityGroupIds: network.securityGroupIds },
  },
  logRetentionDays: config.logRetentionDays,
});

resolveDeliverWorker(pulumi.output({ functionName: routeFunctions.deliverWorker.functionName, roleName: routeFunctions.deliverWorker.role.name }));

const api = new WebSocketApi("websocket", {
  routes,
  functions: routeFunctions.functions,
  authorizer: { function: authorizerFunction, identitySources: identitySources(config.auth) },
  routeSelectionExpression: config.api.routeSelectionExpression,
  stageName: config.api.stageName,
  logRetentionDays: config.logRetentionDays,
  throttling: { burstLimit: config.api.throttlingBurstLimit, rateLimit: config.api.throttlingRateLimit },
  executionLogLevel: config.api.executionLogLevel,
  customDomain: config.api.customDomain,
  stageDependsOn: apiGatewayAccount ? [apiGatewayAccount] : [],
});
resolveApiEndpoints(api.endpoints);

// Turned off, the sweeper is not deployed at all: no idle function holding DELETE permissions.
if (config.expirySweep) {
  new ExpirySchedule("expiry-sweep", { sweeper: routeFunctions.add(expirySweeperFunction), schedule: config.expirySweep.schedule });
}

const webClient = config.webClient
  ? new StaticSite("web-client", {
      directory: webClientDirectory,
      client: {
        webSocketUrl: api.webSocketUrl,
        userPoolId: userPool.userPoolId,
        userPoolClientId: userPool.userPoolClientId,
        // An existing pool decides for itself; the page then offers sign-up, which the pool may refuse.
        selfSignUp: config.userPool.existing ? true : config.userPool.selfSignUp,
      },
    })
  : undefined;

export const webSocketUrl = api.webSocketUrl;
export const managementApiUrl = api.managementApiUrl;
export const userPoolId = userPool.userPoolId;
export const userPoolClientId = userPool.userPoolClientId;
export const region = api.region;
export const connectionsTableName = connections.tableName;
/** What a server-side channel publish needs (`npm run notify -- --channel`). */
export const subscriptionsTableName = channels.subscriptionsTableName;
export const channelMessagesTableName = channels.messagesTableName;
export const channelHistorySeconds = config.messaging.channelHistorySeconds;
/** What a server-side publisher paces its `@connections` calls with, together with the workers. */
export const deliveriesTableName = deliveries.tableName;
export const postRateLimit = config.messaging.postRateLimit;
/** Only with a custom domain: what its DNS record points at (`hostedZoneId` makes the alias record). */
export const customDomainTarget = api.customDomainTarget;
/** Only with the `webClient` config key. */
export const webClientUrl = webClient?.url;
