import * as pulumi from "@pulumi/pulumi";
import { fetchIssuerJwks, type JsonWebKeySet, type JwksFetch } from "../functions/jwks.js";
import type { FunctionDefinition, FunctionName, Grant, RouteDefinition } from "../functions/routes.js";
import { functionEnvironment, type SettingsBlocks } from "../functions/settings/environment.js";
import { BundledFunction } from "./bundled-function.js";
import type { ConfigOf, SettingsInput, SettingsKind } from "../functions/settings/schema.js";
import type { AuthorizerPolicySettings } from "./config.js";
import { connectionsArn, grantStatements, type GrantResources } from "./grants.js";

/** What the functions must know of the API they answer for: where replies go, and what they may manage. */
export interface ApiEndpoints {
  /** `arn:aws:execute-api:{region}:{account}:{apiId}` */
  readonly executionArn: string;
  readonly stageName: string;
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`: where `@connections` calls go. */
  readonly managementApiUrl: string;
}

/**
 * Node's fetch fails with "fetch failed" and keeps the reason (DNS, refused, TLS, timeout) in
 * `cause`: this one puts the reason in the message, which is all a deployment warning shows.
 */
const fetchNamingCause: JwksFetch = (url) =>
  globalThis.fetch(url, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => {
    const reasons: string[] = [];
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) reasons.push(cause.message);
    throw new Error(reasons.length > 0 ? reasons.join(": ") : String(error));
  });

/** API Gateway stops waiting for an integration or an authorizer after this many seconds. */
export const apiGatewayTimeoutSeconds = 29;

/** A function API Gateway invokes gains nothing from running longer than API Gateway waits. */
const cappedTimeout = (seconds: number | undefined): number | undefined =>
  seconds === undefined ? undefined : Math.min(seconds, apiGatewayTimeoutSeconds);

export interface RouteFunctionsArgs {
  /** The route table (functions/routes.ts): every function a route names, and the authorizer, is built. */
  routeTable: {
    readonly routes: readonly RouteDefinition[];
    readonly functions: Readonly<Record<FunctionName, FunctionDefinition>>;
    readonly authorizerFunction: FunctionName;
    /** The fan-out worker, invoked asynchronously, not routed; always built, and first. */
    readonly deliverFunction: FunctionName;
    /** Bundles a function's handler from source and resolves to the bundle's directory. */
    readonly build: (name: FunctionName) => Promise<string>;
  };
  /** The API the functions answer for; known only once the API exists, hence an input. */
  api: pulumi.Input<ApiEndpoints>;
  /** What the authorizer checks tokens against, and where it finds them. */
  authorizer: AuthorizerPolicySettings & { issuer: pulumi.Input<string>; clientId: pulumi.Input<string> };
  /** The messaging functions' settings from the stack config. */
  messaging: ConfigOf<"messaging">;
  /** The connections table the messaging functions use. */
  connections: {
    tableName: pulumi.Input<string>;
    tableArn: pulumi.Input<string>;
    userIndexName: string;
    userIndexArn: pulumi.Input<string>;
  };
  /** The channels' tables. */
  channels: {
    subscriptionsTableName: pulumi.Input<string>;
    subscriptionsTableArn: pulumi.Input<string>;
    connectionIndexArn: pulumi.Input<string>;
    messagesTableName: pulumi.Input<string>;
    messagesTableArn: pulumi.Input<string>;
  };
  /** The rate limiter's counters. */
  rateLimits: { tableName: pulumi.Input<string>; tableArn: pulumi.Input<string> };
  /** The fan-out workers' totals, checkpoints and pace counter. */
  deliveries: { tableName: pulumi.Input<string>; tableArn: pulumi.Input<string> };
  /** Settings shared by every function. */
  functions?: {
    /** @default 256 */
    memorySize?: number;
    /** Seconds; at most `apiGatewayTimeoutSeconds` for the functions API Gateway invokes. @default 10 */
    timeout?: number;
    /** @default not in a VPC */
    vpc?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<pulumi.Input<string>[]> };
  };
  /**
   * Retention of every function's log group, in days.
   * @default 14
   */
  logRetentionDays?: number;
}

/** Each settings block, as it resolves once the resources it names exist. */
type SettingsOutputs = { readonly [K in SettingsKind]: pulumi.Output<SettingsInput<K>> };

/**
 * The route table's functions, each with the environment block and the grants its entry names.
 * The constructor builds the fan-out worker and what the routes and the authorizer need; `add`
 * builds a function no route uses (the expiry sweeper), only where it is wanted.
 */
export class RouteFunctions extends pulumi.ComponentResource {
  /** The functions built so far, by route-table name. */
  readonly functions: Partial<Record<FunctionName, BundledFunction>> = {};
  /** The fan-out worker (the route table's `deliverFunction`). */
  readonly deliverWorker: BundledFunction;
  private readonly create: (fn: FunctionName) => BundledFunction;

  constructor(name: string, args: RouteFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:RouteFunctions", name, {}, opts);
    const parent = this;
    const { routeTable } = args;
    const api = pulumi.output(args.api);

    const initialJwks = fetchInitialJwks();
    const blocks = createSettingsBlocks();
    const grantResources = resolveGrantResources();
    const invokedByApi = new Set([routeTable.authorizerFunction, ...routeTable.routes.map((route) => route.function)]);
    // The worker first: every other messaging function's environment and grants name it. Its own
    // do not: it knows its name from Lambda (AWS_LAMBDA_FUNCTION_NAME), and its grant on itself is
    // attached once it exists.
    this.deliverWorker = this.functions[routeTable.deliverFunction] = createFunction(routeTable.deliverFunction, blocks, grantResources);
    const namingTheWorker = nameTheWorker(this.deliverWorker);
    this.create = (fn) => createFunction(fn, namingTheWorker.blocks, namingTheWorker.grantResources);
    for (const fn of invokedByApi) this.add(fn);

    this.registerOutputs({});

    // The pool's keys, fetched at deploy time (an existing pool's too) for the authorizer's first
    // verification. A preview fetches them too once the pool exists (its issuer is known), so that
    // an unchanged stack previews as unchanged; for a new pool they stay unknown until `pulumi up`.
    // Rotation: jose refetches on an unknown kid, and the next `pulumi up` refreshes the variable.
    // Only an optimisation: where the keys cannot be had (no egress, a proxy Node's fetch ignores),
    // the deployment goes on without them, saying why once.
    function fetchInitialJwks(): pulumi.Output<JsonWebKeySet | undefined> {
      return pulumi.output(args.authorizer.issuer).apply((issuer) =>
        fetchIssuerJwks(issuer, { fetch: fetchNamingCause }).catch((error: unknown) => {
          const cause = error instanceof Error ? error.message : String(error);
          void pulumi.log.warn(
            `Deploying the authorizer without INITIAL_JWKS, so it will fetch the keys at its first cold start: ${cause}`,
          );
          return undefined;
        }),
      );
    }

    function createSettingsBlocks(): SettingsOutputs {
      const { issuer, clientId, ...policy } = args.authorizer;
      const { channels } = args;
      const authorizer = pulumi
        .all([issuer, clientId, initialJwks])
        .apply(([issuerUrl, client, jwks]) => ({ ...policy, issuer: issuerUrl, clientId: client, ...(jwks && { initialJwks: jwks }) }));
      const messaging = pulumi
        .all([
          args.connections.tableName,
          channels.subscriptionsTableName,
          channels.messagesTableName,
          args.rateLimits.tableName,
          args.deliveries.tableName,
          api,
        ])
        .apply(([connectionsTableName, subscriptionsTableName, channelMessagesTableName, rateLimitsTableName, deliveriesTableName, endpoints]) => ({
          ...args.messaging,
          connectionsTableName,
          userIndexName: args.connections.userIndexName,
          subscriptionsTableName,
          channelMessagesTableName,
          rateLimitsTableName,
          deliveriesTableName,
          managementApiUrl: endpoints.managementApiUrl,
        }));
      return { authorizer, messaging };
    }

    // Each function waits only for the blocks it reads: the authorizer's does not wait for the API.
    function environmentOf(fn: FunctionName, definition: FunctionDefinition, blocks: SettingsOutputs) {
      return pulumi
        .all(Object.fromEntries(definition.settings.map((kind) => [kind, blocks[kind] as pulumi.Output<unknown>])))
        .apply((read) => functionEnvironment(fn, read as SettingsBlocks));
    }

    /** Every resource but the worker, which is built after these resolve. */
    function resolveGrantResources(): pulumi.Output<Omit<GrantResources, "deliverFunction">> {
      const { channels } = args;
      return pulumi
        .all([
          args.connections.tableArn,
          args.connections.userIndexArn,
          channels.subscriptionsTableArn,
          channels.connectionIndexArn,
          channels.messagesTableArn,
          args.rateLimits.tableArn,
          args.deliveries.tableArn,
          api,
        ])
        .apply(([connectionsTable, userIndex, subscriptionsTable, connectionIndex, channelMessagesTable, rateLimitsTable, deliveriesTable, endpoints]) => ({
          connectionsTable,
          userIndex,
          subscriptionsTable,
          connectionIndex,
          channelMessagesTable,
          rateLimitsTable,
          deliveriesTable,
          connections: connectionsArn(endpoints.executionArn, endpoints.stageName),
          inspectConnections: connectionsArn(endpoints.executionArn, endpoints.stageName, "GET"),
          closeConnections: connectionsArn(endpoints.executionArn, endpoints.stageName, "DELETE"),
        }));
    }

    /** The settings and the grant resources the other functions see: with the worker's name and ARN. */
    function nameTheWorker(worker: BundledFunction) {
      return {
        blocks: {
          ...blocks,
          messaging: pulumi.all([blocks.messaging, worker.functionName]).apply(([messaging, deliverFunctionName]) => ({ ...messaging, deliverFunctionName })),
        },
        grantResources: pulumi.all([grantResources, worker.arn]).apply(([resources, deliverFunction]) => ({ ...resources, deliverFunction })),
      };
    }

    function createFunction(fn: FunctionName, settings: SettingsOutputs, resources: pulumi.Output<Partial<GrantResources>>): BundledFunction {
      const definition = routeTable.functions[fn];
      const onItself = (grant: Grant) => fn === routeTable.deliverFunction && grant.resource === "deliverFunction";
      const grants = definition.grants.filter((grant) => !onItself(grant));
      return new BundledFunction(
        `${name}-${fn}`,
        {
          // Bundled as the program runs, so the upload is always the source, never a stale build.
          bundleDirectory: routeTable.build(fn),
          description: definition.description,
          environment: environmentOf(fn, definition, settings),
          memorySize: args.functions?.memorySize,
          timeout: invokedByApi.has(fn) ? cappedTimeout(args.functions?.timeout) : args.functions?.timeout,
          logRetentionDays: args.logRetentionDays,
          policyStatements: grants.length === 0 ? [] : resources.apply((arns) => grantStatements(grants, arns)),
          invokesItself: definition.grants.some(onItself),
          vpc: args.functions?.vpc,
        },
        // The WebSocket API component built these functions before this one existed: the alias keeps
        // an existing stack's functions, roles and log groups instead of replacing them.
        { parent, aliases: [{ parent: pulumi.createUrn(name, "websocket-cognito:aws:WebSocketApi") }] },
      );
    }
  }

  /** Builds one more function of the route table (once), e.g. the expiry sweeper, which no route uses. */
  add(fn: FunctionName): BundledFunction {
    return (this.functions[fn] ??= this.create(fn));
  }
}
