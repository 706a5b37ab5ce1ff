import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FunctionName, RouteDefinition } from "../functions/routes.js";
import type { ExecutionLogLevel } from "./config.js";
import { authorizerSourceArn, routeSourceArn } from "./grants.js";
import type { ApiEndpoints } from "./route-functions.js";

/** A deployed function that API Gateway invokes for a route or as the authorizer. */
export interface InvokedFunction {
  readonly invokeArn: pulumi.Input<string>;
  readonly functionName: pulumi.Input<string>;
}

export interface WebSocketApiArgs {
  /** The route table's routes (functions/routes.ts), each answered by its function. */
  routes: readonly RouteDefinition[];
  /** The deployed functions by route-table name: every function a route names, and the authorizer's. */
  functions: Readonly<Partial<Record<FunctionName, InvokedFunction>>>;
  /** The REQUEST authorizer of `$connect`. */
  authorizer: {
    function: FunctionName;
    /** Request parts API Gateway requires before it calls the authorizer (ANDed); none: always called. */
    identitySources: readonly string[];
  };
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
  /**
   * Retention of the access log group, in days.
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
   * Serve the API at `wss://{domainName}`; the ACM certificate must be in the stack's region. With
   * `hostedZoneId`, the Route 53 alias record too; without, `customDomainTarget` says what to point DNS at.
   * @default the execute-api endpoint only
   */
  customDomain?: { domainName: string; certificateArn: string; hostedZoneId?: string };
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

/**
 * Why a regional custom domain cannot use this certificate, or undefined when it can: API Gateway
 * takes a regional domain's certificate from ACM in the API's own region.
 */
export function certificateRegionProblem(certificateArn: string, stackRegion: string): string | undefined {
  const certificateRegion = certificateArn.split(":")[3];
  if (certificateRegion === stackRegion) return undefined;
  return `certificateArn: the certificate is in ${certificateRegion}, but the stack deploys to ${stackRegion}; a regional custom domain needs an ACM certificate in ${stackRegion} (${certificateArn})`;
}

/**
 * Stops the program before it declares anything when the certificate is not in the region the
 * provider deploys to (a preview knows it too), rather than at API Gateway midway through `pulumi up`.
 */
export async function checkCertificateRegion(certificateArn: string): Promise<void> {
  const problem = certificateRegionProblem(certificateArn, (await aws.getRegion()).region);
  if (problem) throw new pulumi.RunError(problem);
}

/** A resource-name fragment for a route key: `$connect` → `connect`. */
export function routeSlug(routeKey: string): string {
  return routeKey.replace(/^\$/, "").replace(/[^A-Za-z0-9-]+/g, "-");
}

/**
 * The WebSocket API: a REQUEST authorizer on `$connect`, per route of the table an `AWS_PROXY`
 * integration, the route and an invoke permission for exactly that route of this stage, an
 * auto-deploying stage with JSON access logs and throttling, and an optional custom domain.
 */
export class WebSocketApi extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly authorizer: aws.apigatewayv2.Authorizer;
  readonly stage: aws.apigatewayv2.Stage;
  readonly stageName: string;
  /** `wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, or `wss://{customDomain}`. */
  readonly webSocketUrl: pulumi.Output<string>;
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where `@connections` calls go. */
  readonly managementApiUrl: pulumi.Output<string>;
  /** With a custom domain: where its DNS record must point (a CNAME, or an alias in that hosted zone). */
  readonly customDomainTarget?: pulumi.Output<{ targetDomainName: string; hostedZoneId: string }>;
  /** What the functions need of this API; derived from the API resource alone, so they may wait for it. */
  readonly endpoints: pulumi.Output<ApiEndpoints>;
  readonly region: pulumi.Output<string>;

  constructor(name: string, args: WebSocketApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:WebSocketApi", name, {}, opts);
    const parent = this;
    const stageName = (this.stageName = args.stageName ?? "dev");

    const api = (this.api = createApi());
    const executionArn = api.executionArn;
    const endpoint = api.apiEndpoint; // wss://{apiId}.execute-api.{region}.amazonaws.com
    this.managementApiUrl = pulumi.interpolate`${endpoint.apply((url) => url.replace(/^wss:/, "https:"))}/${stageName}`;
    this.endpoints = pulumi
      .all([executionArn, this.managementApiUrl])
      .apply(([arn, managementApiUrl]) => ({ executionArn: arn, stageName, managementApiUrl }));
    this.region = aws.getRegionOutput({}, { parent }).region;

    const authorizer = (this.authorizer = createAuthorizer());
    const routes = createRoutes();
    const stage = (this.stage = createStage());
    const domain = createDomain();
    this.customDomainTarget = domain?.domainNameConfiguration.apply(({ targetDomainName, hostedZoneId }) => ({ targetDomainName, hostedZoneId }));
    this.webSocketUrl = domain ? pulumi.interpolate`wss://${domain.domainName}` : pulumi.interpolate`${endpoint}/${stage.name}`;

    this.registerOutputs({
      apiId: api.id,
      customDomainTarget: this.customDomainTarget,
      webSocketUrl: this.webSocketUrl,
      managementApiUrl: this.managementApiUrl,
      region: this.region,
    });

    function deployed(fn: FunctionName): InvokedFunction {
      const target = args.functions[fn];
      if (!target) throw new Error(`Function "${fn}" is routed or authorizes, but it was not built`);
      return target;
    }

    function createApi() {
      return new aws.apigatewayv2.Api(
        `${name}-api`,
        {
          protocolType: "WEBSOCKET",
          routeSelectionExpression: args.routeSelectionExpression ?? "$request.body.action",
          description: "WebSocket API authenticated with Cognito tokens",
        },
        { parent },
      );
    }

    // No result TTL: WebSocket APIs reject `authorizerResultTtlInSeconds`.
    function createAuthorizer() {
      const target = deployed(args.authorizer.function);
      const { identitySources } = args.authorizer;
      const created = new aws.apigatewayv2.Authorizer(
        `${name}-authorizer`,
        {
          apiId: api.id,
          authorizerType: "REQUEST",
          authorizerUri: target.invokeArn,
          identitySources: identitySources.length > 0 ? [...identitySources] : undefined,
        },
        // An update to an empty list of identity sources can leave the old one in force, so a change
        // replaces the authorizer. The new one is created and the route moved to it before the old
        // one goes: API Gateway refuses to delete an authorizer a route still uses.
        { parent, replaceOnChanges: ["identitySources"], deleteBeforeReplace: false },
      );
      new aws.lambda.Permission(
        `${name}-authorizer-permission`,
        {
          action: "lambda:InvokeFunction",
          function: target.functionName,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.all([executionArn, created.id]).apply(([arn, id]) => authorizerSourceArn(arn, id)),
        },
        { parent },
      );
      return created;
    }

    // Per route: integration, route, and a permission for exactly that route of this stage.
    function createRoutes(): aws.apigatewayv2.Route[] {
      const slugs = new Set<string>();
      return args.routes.map((route) => {
        const slug = routeSlug(route.routeKey);
        if (slugs.has(slug)) throw new Error(`Route keys "${route.routeKey}" and another one share the resource name "${slug}"`);
        slugs.add(slug);
        if (route.authorized && route.routeKey !== "$connect") {
          throw new Error(`Route "${route.routeKey}": API Gateway runs authorizers on $connect only`);
        }
        const target = deployed(route.function);
        const integration = new aws.apigatewayv2.Integration(
          `${name}-${slug}-integration`,
          { apiId: api.id, integrationType: "AWS_PROXY", integrationMethod: "POST", integrationUri: target.invokeArn },
          { parent },
        );
        const created = new aws.apigatewayv2.Route(
          `${name}-${slug}-route`,
          {
            apiId: api.id,
            routeKey: route.routeKey,
            target: pulumi.interpolate`integrations/${integration.id}`,
            authorizationType: route.authorized ? "CUSTOM" : "NONE",
            authorizerId: route.authorized ? authorizer.id : undefined,
          },
          { parent },
        );
        new aws.lambda.Permission(
          `${name}-${slug}-permission`,
          {
            action: "lambda:InvokeFunction",
            function: target.functionName,
            principal: "apigateway.amazonaws.com",
            sourceArn: executionArn.apply((arn) => routeSourceArn(arn, stageName, route.routeKey)),
          },
          { parent },
        );
        return created;
      });
    }

    // Auto-deployed after the routes exist, access logs as JSON, no data tracing (it would copy
    // `$connect` requests, tokens included, into CloudWatch).
    function createStage() {
      const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionDays ?? 14 }, { parent });
      return new aws.apigatewayv2.Stage(
        `${name}-stage`,
        {
          apiId: api.id,
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
        { parent, dependsOn: [...(args.stageDependsOn ?? []), ...routes] },
      );
    }

    // The stage mapped at the domain's root, and the alias record where the zone is given.
    function createDomain(): aws.apigatewayv2.DomainName | undefined {
      const customDomain = args.customDomain;
      if (!customDomain) return undefined;
      const domain = new aws.apigatewayv2.DomainName(
        `${name}-domain`,
        {
          domainName: customDomain.domainName,
          domainNameConfiguration: { certificateArn: customDomain.certificateArn, endpointType: "REGIONAL", securityPolicy: "TLS_1_2" },
        },
        { parent },
      );
      new aws.apigatewayv2.ApiMapping(`${name}-mapping`, { apiId: api.id, domainName: domain.domainName, stage: stage.name }, { parent });
      if (customDomain.hostedZoneId) {
        new aws.route53.Record(
          `${name}-dns`,
          {
            zoneId: customDomain.hostedZoneId,
            name: domain.domainName,
            type: "A",
            aliases: [
              {
                name: domain.domainNameConfiguration.targetDomainName,
                zoneId: domain.domainNameConfiguration.hostedZoneId,
                evaluateTargetHealth: false,
              },
            ],
          },
          { parent },
        );
      }
      return domain;
    }
  }
}
