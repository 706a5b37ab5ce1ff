/**
 * The whole system offline: cognito-local, dynalite, the function bundles Pulumi deploys, and the
 * API Gateway emulator dispatching by the same route table, with the same environment variables.
 */
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fetchIssuerJwks } from "../functions/jwks.js";
import {
  authorizerFunction,
  bundleDirectory,
  bundleFile,
  deliverFunction,
  expirySweeperFunction,
  functionNames,
  functions,
  identitySources,
  routes,
} from "../functions/routes.js";
import { blocksFor, functionEnvironment } from "../functions/settings/environment.js";
import { readConfigValues } from "../functions/settings/config-values.js";
import { configKeys, defaults, settings as schema, type ConfigKey, type ConfigOf, type ConfigValues, type Setting } from "../functions/settings/schema.js";
import { buildFunctions, bundlesAreStale } from "../build/functions.js";
import { startCognitoGate } from "./cognito-gate.js";
import { ensureUserPool, startCognitoLocal } from "./cognito.js";
import { startDynalite } from "./dynamodb.js";
import { createFunctionHost, defaultLogSink, type FunctionHost, type LogSink } from "./function-host.js";
import { apiGatewayLimits, startGateway, type GatewayFaults, type GatewayLimits } from "./gateway/index.js";
import { localRetryDelaysMs, startLambdaEndpoint, type LambdaEndpoint } from "./lambda-endpoint.js";
import { writeOutputs, type StackOutputs } from "./outputs.js";
import { freePort } from "./ports.js";
import { ensureTables, localTableNames, tableKeys } from "./tables.js";
import { startTtlSweeper } from "./ttl-sweeper.js";
import { startLocalWebClient } from "./web-server.js";

/**
 * The stack config settings the local stack honours, as `pulumi config` sets them on AWS: every
 * setting the functions read, how tokens are accepted, the route selection expression, and the
 * functions' memory and timeout.
 */
export type LocalSettings = ConfigOf<"authorizer"> & ConfigOf<"messaging"> & Pick<ConfigValues, (typeof deploymentKeys)[number]>;
const deploymentKeys = ["allowAccessTokens", "routeSelectionExpression", "lambdaMemoryMb", "lambdaTimeoutSeconds", "selfSignUp"] as const;

/** The stack config keys the local stack honours. */
export const localSettingKeys: readonly ConfigKey[] = configKeys.filter(
  (key) => (schema[key] as Setting<unknown>).for !== undefined || (deploymentKeys as readonly string[]).includes(key),
);

/**
 * Local settings from `KEY=VALUE` texts (`npm start -- --set KEY=VALUE`), read exactly as
 * `pulumi config` values are; throws naming every bad or unknown key.
 */
export function parseLocalSettings(pairs: readonly string[]): Partial<LocalSettings> {
  const given = new Map<string, string>();
  const problems: string[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1) problems.push(`--set ${pair}: expected KEY=VALUE`);
    else given.set(pair.slice(0, at), pair.slice(at + 1));
  }
  for (const key of given.keys()) {
    if (!(localSettingKeys as readonly string[]).includes(key)) problems.push(`${key}: not a setting of the local stack; its settings are ${localSettingKeys.join(", ")}`);
  }
  const reading = readConfigValues((key) => given.get(key));
  problems.push(...reading.problems);
  if (problems.length > 0) throw new Error(`Invalid local settings:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  return Object.fromEntries([...given.keys()].map((key) => [key, (reading.values as Record<string, unknown>)[key]])) as Partial<LocalSettings>;
}

export interface LocalStackOptions {
  /** Where cognito-local and dynalite keep their data, and where outputs.json goes. */
  readonly dataDirectory: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly ports: { readonly gateway: number; readonly cognito: number; readonly dynamodb: number; readonly web?: number };
  readonly stage: string;
  readonly region: string;
  /** Stack config settings; the first seed's frames need `routeSelectionExpression: "$request.body.message"`. */
  readonly settings: Partial<LocalSettings>;
  /** API Gateway's limits, shortened by tests. */
  readonly limits: Partial<GatewayLimits>;
  /** Tests only: faults injected into the gateway (see `GatewayFaults`). */
  readonly faults: GatewayFaults;
  /** The waits before the retries of a failed asynchronous invocation (Lambda's: 1 and 2 minutes). */
  readonly asyncRetryDelaysMs: readonly number[];
  readonly ttlSweepIntervalMs: number;
  /**
   * Concurrent instances per function (each runs one invocation at a time, as on Lambda). Lambda
   * scales out much further, but each instance here is a worker thread sharing this machine's cores:
   * on 2 cores, 10 instances per function starved each other into timeouts under `npm run load`,
   * while 2 delivered everything (BENCHMARKS.md).
   */
  readonly functionInstances: number;
  /** How often the expiry sweeper function runs (EventBridge's schedule on AWS); 0 turns it off. */
  readonly expirySweepIntervalMs: number;
  /** One line per service as it comes up. */
  readonly progress: (line: string) => void;
  /** Where function and gateway log lines go. */
  readonly log: LogSink;
}

export const localDefaults: LocalStackOptions = {
  dataDirectory: ".local",
  host: "127.0.0.1",
  ports: { gateway: 3001, cognito: 9229, dynamodb: 8000, web: 3000 },
  stage: "local",
  region: "us-east-1",
  settings: {},
  limits: {},
  faults: {},
  asyncRetryDelaysMs: localRetryDelaysMs,
  ttlSweepIntervalMs: 5_000,
  expirySweepIntervalMs: 60_000,
  functionInstances: Number(process.env.LOCAL_FUNCTION_INSTANCES) || 2,
  progress: (line) => console.log(line),
  log: defaultLogSink,
};

export interface LocalStack {
  readonly outputs: StackOutputs;
  readonly outputsFile: string;
  /** The backing services, for fault injection in tests (stopping one mid-run). */
  readonly services: { readonly dynamoDb: { close(): Promise<void> }; readonly cognito: { stop(): Promise<void> } };
  /** Stops every service and child process; safe to call twice. */
  stop(): Promise<void>;
}

const names = { userPool: "websocket-cognito", appClient: "web" };
// Any value works offline; the SDK only needs something to sign with. (The function host gives
// its workers the same.)
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export async function startLocalStack(overrides: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  const options = { ...localDefaults, ...overrides };
  const { host, progress } = options;
  const settings: LocalSettings = { ...defaults, ...options.settings };
  const dataDirectory = resolve(options.dataDirectory);
  await mkdir(dataDirectory, { recursive: true });
  // outputs.json names live endpoints only: a previous run's is gone before anything starts.
  const outputsFile = join(dataDirectory, "outputs.json");
  await rm(outputsFile, { force: true });
  const cleanups: (() => Promise<void> | void)[] = [() => rm(outputsFile, { force: true })];
  // Every cleanup runs even when one fails, so that no child process or port is left behind.
  const stop = async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve().then(cleanup).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "the local stack did not stop cleanly");
  };

  try {
    if (await bundlesAreStale()) {
      await buildFunctions();
      progress("✓ functions   bundles rebuilt (dist/functions)");
    } else {
      progress("✓ functions   bundles up to date (dist/functions)");
    }

    const dynalite = await startDynalite({ host, port: options.ports.dynamodb, directory: join(dataDirectory, "dynamodb") });
    cleanups.push(() => dynalite.close());
    const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: options.region, credentials });
    cleanups.push(() => dynamodb.destroy());
    const tables = localTableNames;
    await ensureTables(dynamodb, tables);
    const sweeper = startTtlSweeper(dynamodb, tableKeys(tables), options.ttlSweepIntervalMs, (error) =>
      progress(`! ttl sweep failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    cleanups.push(() => sweeper.stop());
    progress(`✓ dynamodb    ${dynalite.endpoint} (dynalite, tables "${tables.connectionsTableName}", "${tables.subscriptionsTableName}", "${tables.channelMessagesTableName}")`);

    const cognitoPort = options.ports.cognito || (await freePort(host));
    // Without self sign-up, clients reach cognito-local through a gate that refuses SignUp, as
    // Cognito does; its tokens then name the gate's address as their issuer.
    const gated = !settings.selfSignUp;
    const cognito = await startCognitoLocal({
      directory: join(dataDirectory, "cognito"),
      host,
      port: gated ? await freePort(host) : cognitoPort,
      warn: progress,
      ...(gated ? { issuerDomain: `http://${host}:${cognitoPort}` } : {}),
    });
    cleanups.push(() => cognito.stop());
    const gate = gated ? await startCognitoGate({ host, port: cognitoPort, upstream: cognito.endpoint }) : undefined;
    if (gate) cleanups.push(() => gate.close());
    const cognitoEndpoint = gate?.endpoint ?? cognito.endpoint;
    const cognitoClient = new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, region: options.region, credentials });
    const pool = await ensureUserPool(cognitoClient, names.userPool, names.appClient).finally(() => cognitoClient.destroy());
    await cognito.backup();
    cleanups.push(() => cognito.backup());
    progress(`✓ cognito     ${cognitoEndpoint} (cognito-local, pool ${pool.userPoolId}${gate ? "; sign-up by administrators only" : ""})`);

    // The functions need the management URL and the Lambda endpoint, which need their ports: start
    // both first, and let them reach the function host once that exists.
    let functionHost: FunctionHost | undefined;
    let lambda: LambdaEndpoint | undefined;
    const gateway = await startGateway({
      routes,
      authorizer: authorizerFunction,
      identitySources: identitySources(settings),
      routeSelectionExpression: settings.routeSelectionExpression,
      stage: options.stage,
      region: options.region,
      host,
      port: options.ports.gateway,
      limits: options.limits,
      faults: options.faults,
      log: options.log,
      invoke: (name, event) => functionHost!.invoke(name, event),
    });
    // The gateway closes first, running $disconnect for every open connection; then Lambda's
    // asynchronous retries are cancelled, and the functions stop.
    cleanups.push(async () => {
      await gateway.close();
      await lambda?.close();
      await functionHost?.close();
    });
    lambda = await startLambdaEndpoint({
      host,
      region: options.region,
      functions: functionNames,
      retryDelaysMs: options.asyncRetryDelaysMs,
      log: options.log,
      invoke: (name, event, requestId) => functionHost!.invoke(name, event, requestId),
    });

    // cognito-local's JWKS handed over the way `pulumi up` hands over the pool's: the authorizer's
    // first verification makes no network call.
    const issuer = `${cognitoEndpoint}/${pool.userPoolId}`;
    const initialJwks = await fetchIssuerJwks(issuer);
    const authorizer = {
      ...settings,
      tokenUses: settings.allowAccessTokens ? (["id", "access"] as const) : defaults.tokenUses,
      issuer,
      clientId: pool.userPoolClientId,
      initialJwks,
    };
    const messaging = {
      ...settings,
      // The sweeper tells connections to reconnect ahead of the gateway's limit, shortened or not.
      connectionLimitMs: options.limits.maxConnectionMs ?? apiGatewayLimits.maxConnectionMs,
      ...tables,
      managementApiUrl: gateway.managementApiUrl,
      deliverFunctionName: deliverFunction,
    };
    functionHost = createFunctionHost({
      region: options.region,
      log: options.log,
      functions: Object.fromEntries(
        functionNames.map((name) => [
          name,
          {
            bundle: resolve(bundleDirectory(name), bundleFile),
            timeoutMs: settings.lambdaTimeoutSeconds * 1000,
            memoryMb: settings.lambdaMemoryMb,
            maxInstances: options.functionInstances,
            environment: {
              ...functionEnvironment(name, blocksFor(functions[name].settings, { authorizer, messaging })),
              AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
              AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
            },
          },
        ]),
      ),
    });
    if (options.expirySweepIntervalMs > 0) {
      const timer = setInterval(() => {
        void functionHost!.invoke(expirySweeperFunction, scheduledEvent(options.region)).then((result) => {
          if (!result.ok) progress(`! expiry sweep failed: ${result.errorType}: ${result.errorMessage}`);
        });
      }, options.expirySweepIntervalMs);
      timer.unref();
      cleanups.push(() => clearInterval(timer));
    }
    progress(`✓ gateway     ${gateway.webSocketUrl} (API Gateway WebSocket emulator, ${routes.length} routes)`);
    progress(`✓ lambda      ${lambda.endpoint} (Invoke API of ${functionNames.length} functions; asynchronous invocations retried twice)`);

    const web = { webSocketUrl: gateway.webSocketUrl, ...pool, region: options.region, cognitoEndpoint, selfSignUp: settings.selfSignUp };
    const webClient = await startLocalWebClient({ host, port: options.ports.web ?? 0, outputs: web, progress });
    cleanups.push(() => webClient.close());
    const outputs: StackOutputs = {
      webSocketUrl: gateway.webSocketUrl,
      managementApiUrl: gateway.managementApiUrl,
      userPoolId: pool.userPoolId,
      userPoolClientId: pool.userPoolClientId,
      region: options.region,
      connectionsTableName: tables.connectionsTableName,
      subscriptionsTableName: tables.subscriptionsTableName,
      channelMessagesTableName: tables.channelMessagesTableName,
      channelHistorySeconds: settings.channelHistorySeconds,
      deliveriesTableName: tables.deliveriesTableName,
      postRateLimit: settings.postRateLimit,
      cognitoEndpoint,
      dynamoDbEndpoint: dynalite.endpoint,
      lambdaEndpoint: lambda.endpoint,
      webClientUrl: webClient.url,
    };
    await writeOutputs(outputsFile, outputs);
    return { outputs, outputsFile, services: { dynamoDb: dynalite, cognito }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What EventBridge hands a scheduled function. */
function scheduledEvent(region: string) {
  return {
    version: "0",
    id: crypto.randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/expiry-sweep`],
    detail: {},
  };
}
