import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fetchIssuerJwks, type JsonWebKeySet, type JwksFetch } from "../functions/jwks.js";
import { functionEnvironment } from "../functions/settings/environment.js";
import type { FunctionDefinition, FunctionName, RouteDefinition } from "../functions/routes.js";
import { BundledFunction } from "./bundled-function.js";
import type { AuthorizerPolicySettings, ExecutionLogLevel, LogLevel } from "./config.js";
import { authorizerSourceArn, connectionsArn, grantStatements, routeSourceArn } from "./grants.js";

/** The route table as the API needs it (functions/routes.ts). */
export interface RouteTable {
  readonly routes: readonly RouteDefinition[];
  readonly functions: Readonly<Record<FunctionName, FunctionDefinition>>;
  readonly authorizerFunction: FunctionName;
  /** Where `npm run build` wrote a function's bundle. */
  readonly bundleDirectory: (name: FunctionName) => string;
  /** The authorizer's identity sources for a token location (shared with the local gateway). */
  readonly identitySources: (token: { tokenQueryParameter: string; subprotocolToken: boolean }) => string[];
}

export interface WebSocketApiArgs {
  routeTable: RouteTable;
  /**
   * Functions of the route table not to deploy: no function, no role, no permissions (the expiry
   * sweeper when it is turned off). A routed function cannot be left out.
   * @default []
   */
  leaveOut?: readonly FunctionName[];
  /**
   * Route selection expression evaluated on every JSON frame.
   * @default "$request.body.action"
   */
  routeSelectionExpression?: pulumi.Input<string>;
  /**
   * Stage name: the last segment of the URLs.
   * @default "dev"
   */
  stageName?: string;
  /** What the authorizer checks tokens against, and where it finds them. */
  authorizer: AuthorizerPolicySettings & {
    issuer: pulumi.Input<string>;
    clientId: pulumi.Input<string>;
    /**
     * How `pulumi up` fetches the issuer's JWKS, which the authorizer gets as INITIAL_JWKS so that
     * a new instance verifies its first token without a network call (not during preview).
     * @default globalThis.fetch
     */
    jwksFetch?: JwksFetch;
  };
  /** The connections table the messaging functions use. */
  connections: {
    tableName: pulumi.Input<string>;
    tableArn: pulumi.Input<string>;
    userIndexName: string;
    userIndexArn: pulumi.Input<string>;
    ttlSeconds: number;
    postConcurrency: number;
  };
  /** Settings shared by every function. */
  functions?: {
    /** @default 256 */
    memorySize?: number;
    /** @default 10 */
    timeout?: number;
    /** @default "INFO" */
    logLevel?: LogLevel;
    /** @default not in a VPC */
    vpc?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<pulumi.Input<string>[]> };
  };
  /**
   * Retention of every log group (functions and access logs), in days.
   * @default 14
   */
  logRetentionDays?: number;
  /**
   * Default route throttling of the stage.
   * @default { burstLimit: 100, rateLimit: 50 }
   */
  throttling?: { burstLimit: number; rateLimit: number };
  /**
   * Execution logging of the stage. `INFO` logs every request in API Gateway's own log group.
   * @default "OFF"
   */
  executionLogLevel?: ExecutionLogLevel;
  /**
   * Serve the API at `wss://{domainName}`; the ACM certificate must be in the stack's region.
   * @default the execute-api endpoint only
   */
  customDomain?: { domainName: string; certificateArn: string };
  /**
   * What the stage must wait for: the account's API Gateway CloudWatch role setting, without
   * which access logging is refused.
   * @default []
   */
  stageDependsOn?: pulumi.Resource[];
}

/**
 * One JSON line per request. It never holds the query string (no `$context` variable carries it,
 * and none that could is listed), so a token in `?idToken=` stays out of CloudWatch.
 */
export const accessLogFormat = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  eventType: "$context.eventType",
  routeKey: "$context.routeKey",
  connectionId: "$context.connectionId",
  status: "$context.status",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  authorizerStatus: "$context.authorizer.status",
  authorizerLatency: "$context.authorizer.latency",
  authorizerError: "$context.authorizer.error",
  principalId: "$context.authorizer.principalId",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationError: "$context.integration.error",
  error: "$context.error.message",
});

/** A resource-name fragment for a route key: `$connect` → `connect`. */
export function routeSlug(routeKey: string): string {
  return routeKey.replace(/^\$/, "").replace(/[^A-Za-z0-9-]+/g, "-");
}

/**
 * The WebSocket API built from the route table: one function per route-table entry, a REQUEST
 * authorizer on `$connect`, an `AWS_PROXY` integration, route and scoped invoke permission per
 * route, an auto-deploying stage with JSON access logs and throttling, and an optional custom domain.
 */
export class WebSocketApi extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly authorizer: aws.apigatewayv2.Authorizer;
  readonly functions: Readonly<Partial<Record<FunctionName, BundledFunction>>>;
  readonly stageName: string;
  /** `wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, or `wss://{customDomain}`. */
  readonly webSocketUrl: pulumi.Output<string>;
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where `@connections` calls go. */
  readonly managementApiUrl: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;

  constructor(name: string, args: WebSocketApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:WebSocketApi", name, {}, opts);
    const { routeTable } = args;
    const stageName = (this.stageName = args.stageName ?? "dev");
    const logRetentionDays = args.logRetentionDays ?? 14;

    // 1. The API; everything else hangs off its id and execution ARN.
    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "WEBSOCKET",
        routeSelectionExpression: args.routeSelectionExpression ?? "$request.body.action",
        description: "WebSocket API authenticated with Cognito tokens",
      },
      { parent: this },
    );
    this.region = aws.getRegionOutput({}, { parent: this }).region;
    const executionArn = this.api.executionArn;
    const endpoint = this.api.apiEndpoint; // wss://{apiId}.execute-api.{region}.amazonaws.com
    this.managementApiUrl = pulumi.interpolate`${endpoint.apply((url) => url.replace(/^wss:/, "https:"))}/${stageName}`;

    // 2. The functions, each with the environment block and the grants its route-table entry names.
    // The pool's keys, fetched at deploy time (an existing pool's too) for the authorizer's first
    // verification. A preview fetches them too once the pool exists (its issuer is known), so that
    // an unchanged stack previews as unchanged; for a new pool they stay unknown until `pulumi up`.
    // Rotation: jose refetches on an unknown kid, and the next `pulumi up` refreshes the variable.
    const { jwksFetch, ...authorizerArgs } = args.authorizer;
    const initialJwks: pulumi.Output<JsonWebKeySet> = pulumi
      .output(args.authorizer.issuer)
      .apply((issuer) => fetchIssuerJwks(issuer, jwksFetch ? { fetch: jwksFetch } : {}));
    const authorizerSettings = pulumi
      .all([args.authorizer.issuer, args.authorizer.clientId, initialJwks])
      .apply(([issuer, clientId, jwks]) => ({ ...authorizerArgs, issuer, clientId, initialJwks: jwks }));
    const messagingSettings = pulumi
      .all([args.connections.tableName, this.managementApiUrl])
      .apply(([connectionsTableName, managementApiUrl]) => ({
        connectionsTableName,
        userIndexName: args.connections.userIndexName,
        managementApiUrl,
        connectionTtlSeconds: args.connections.ttlSeconds,
        postConcurrency: args.connections.postConcurrency,
      }));
    const grantResources = pulumi
      .all([args.connections.tableArn, args.connections.userIndexArn, executionArn])
      .apply(([connectionsTable, userIndex, apiExecutionArn]) => ({
        connectionsTable,
        userIndex,
        connections: connectionsArn(apiExecutionArn, stageName),
        closeConnections: connectionsArn(apiExecutionArn, stageName, "DELETE"),
      }));
    const logLevel = args.functions?.logLevel ?? "INFO";

    const functions: Partial<Record<FunctionName, BundledFunction>> = {};
    for (const [fn, definition] of Object.entries(routeTable.functions) as [FunctionName, FunctionDefinition][]) {
      if (args.leaveOut?.includes(fn)) continue;
      const environment =
        definition.settings === "authorizer"
          ? authorizerSettings.apply((settings) => functionEnvironment(fn, "authorizer", { ...settings, logLevel }))
          : messagingSettings.apply((settings) => functionEnvironment(fn, "messaging", { ...settings, logLevel }));
      functions[fn] = new BundledFunction(
        `${name}-${fn}`,
        {
          bundleDirectory: routeTable.bundleDirectory(fn),
          description: definition.description,
          environment,
          memorySize: args.functions?.memorySize,
          timeout: args.functions?.timeout,
          logRetentionDays,
          policyStatements: definition.grants.length === 0 ? [] : grantResources.apply((arns) => grantStatements(definition.grants, arns)),
          vpc: args.functions?.vpc,
        },
        { parent: this },
      );
    }
    this.functions = functions;
    const deployed = (fn: FunctionName): BundledFunction => {
      const deployedFunction = functions[fn];
      if (!deployedFunction) throw new Error(`Function "${fn}" is routed or authorizes, so it cannot be left out`);
      return deployedFunction;
    };

    // 3. The REQUEST authorizer. No result TTL: WebSocket APIs reject `authorizerResultTtlInSeconds`.
    const authorizerFunction = deployed(routeTable.authorizerFunction);
    // ANDed by API Gateway, so none when a token may also come as a subprotocol (routes.ts says why).
    const identitySources = routeTable.identitySources(args.authorizer);
    this.authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: this.api.id,
        authorizerType: "REQUEST",
        authorizerUri: authorizerFunction.invokeArn,
        identitySources: identitySources.length > 0 ? identitySources : undefined,
      },
      { parent: this },
    );
    new aws.lambda.Permission(
      `${name}-authorizer-permission`,
      {
        action: "lambda:InvokeFunction",
        function: authorizerFunction.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.all([executionArn, this.authorizer.id]).apply(([arn, id]) => authorizerSourceArn(arn, id)),
      },
      { parent: this },
    );

    // 4. Per route: integration, route, and a permission for exactly that route of this stage.
    const routes: aws.apigatewayv2.Route[] = [];
    const slugs = new Set<string>();
    for (const route of routeTable.routes) {
      const slug = routeSlug(route.routeKey);
      if (slugs.has(slug)) throw new Error(`Route keys "${route.routeKey}" and another one share the resource name "${slug}"`);
      slugs.add(slug);
      if (route.authorized && route.routeKey !== "$connect") {
        throw new Error(`Route "${route.routeKey}": API Gateway runs authorizers on $connect only`);
      }
      const target = deployed(route.function);
      const integration = new aws.apigatewayv2.Integration(
        `${name}-${slug}-integration`,
        {
          apiId: this.api.id,
          integrationType: "AWS_PROXY",
          integrationMethod: "POST",
          integrationUri: target.invokeArn,
        },
        { parent: this },
      );
      routes.push(
        new aws.apigatewayv2.Route(
          `${name}-${slug}-route`,
          {
            apiId: this.api.id,
            routeKey: route.routeKey,
            target: pulumi.interpolate`integrations/${integration.id}`,
            authorizationType: route.authorized ? "CUSTOM" : "NONE",
            authorizerId: route.authorized ? this.authorizer.id : undefined,
          },
          { parent: this },
        ),
      );
      new aws.lambda.Permission(
        `${name}-${slug}-permission`,
        {
          action: "lambda:InvokeFunction",
          function: target.functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: executionArn.apply((arn) => routeSourceArn(arn, stageName, route.routeKey)),
        },
        { parent: this },
      );
    }

    // 5. The stage: auto-deployed after the routes exist, access logs as JSON, no data tracing
    // (it would copy `$connect` requests, tokens included, into CloudWatch).
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: logRetentionDays }, { parent: this });
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: stageName,
        autoDeploy: true,
        accessLogSettings: { destinationArn: accessLogs.arn, format: accessLogFormat },
        defaultRouteSettings: {
          dataTraceEnabled: false,
          detailedMetricsEnabled: false,
          loggingLevel: args.executionLogLevel ?? "OFF",
          throttlingBurstLimit: args.throttling?.burstLimit ?? 100,
          throttlingRateLimit: args.throttling?.rateLimit ?? 50,
        },
      },
      { parent: this, dependsOn: [...(args.stageDependsOn ?? []), ...routes] },
    );

    // 6. Optional custom domain, mapped to the stage at the domain's root.
    if (args.customDomain) {
      const domain = new aws.apigatewayv2.DomainName(
        `${name}-domain`,
        {
          domainName: args.customDomain.domainName,
          domainNameConfiguration: {
            certificateArn: args.customDomain.certificateArn,
            endpointType: "REGIONAL",
            securityPolicy: "TLS_1_2",
          },
        },
        { parent: this },
      );
      new aws.apigatewayv2.ApiMapping(
        `${name}-mapping`,
        { apiId: this.api.id, domainName: domain.domainName, stage: this.stage.name },
        { parent: this },
      );
      this.webSocketUrl = pulumi.interpolate`wss://${domain.domainName}`;
    } else {
      this.webSocketUrl = pulumi.interpolate`${endpoint}/${this.stage.name}`;
    }

    this.registerOutputs({
      apiId: this.api.id,
      webSocketUrl: this.webSocketUrl,
      managementApiUrl: this.managementApiUrl,
      region: this.region,
    });
  }
}
