/**
 * Runs the Pulumi program (index.ts) under `pulumi.runtime.setMocks` and records every resource it
 * declares, with the inputs the engine would receive. Mocks invent the computed outputs
 * (ids, ARNs, endpoints) in the shapes AWS gives them, so the ARNs the program derives can be
 * asserted character for character.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";

export const project = "websocket-cognito";
export const region = "eu-west-1";
export const accountId = "123456789012";
export const apiId = "a1b2c3d4e5";
export const userPoolIdValue = `${region}_AbCdEf123`;
export const userPoolClientIdValue = "4example5client6id7890abcd";
export const authorizerIdValue = "auth01";
export const executionArnOf = (id: string): string => `arn:aws:execute-api:${region}:${accountId}:${id}`;
export const createdVpcId = "vpc-0123456789abcdef0";
export const createdPrivateSubnetIds = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"];
export const createdSecurityGroupId = "sg-0bbbbbbbbbbbbbbb1";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // Mocked inputs are plain JSON-like data with assets; tests narrow them where they read them.
  readonly inputs: Record<string, any>;
  readonly id: string;
  readonly state: Record<string, any>;
}

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly calls: string[];
  /** `start <type> <name>` when the engine is asked to register a resource, `done …` when it answered. */
  readonly events: string[];
  /** The stack outputs, resolved (none in a preview, where they stay unknown). */
  readonly outputs: Record<string, unknown>;
  /** Every URL the program fetched (the pool's JWKS at deploy time). */
  readonly fetches: string[];
  /** What the program said with `pulumi.log.warn` (the mocked runtime prints it, having no engine). */
  readonly warnings: string[];
  /** The resource options the engine received, by `<type> <name>` (the mocks' own arguments leave them out). */
  readonly options: Map<string, ResourceOptionsSeen>;
}

/** The options of a registration that change what the engine does on update and delete. */
export interface ResourceOptionsSeen {
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  readonly replaceOnChanges: string[];
  /** The parent URNs of the resource's aliases. */
  readonly aliasParents: string[];
}

/**
 * Records the options of every registration the mocked engine receives: Pulumi's mocks drop them
 * before `newResource`, so they are read from the registration request itself.
 */
export function recordResourceOptions(): Map<string, ResourceOptionsSeen> {
  const seen = new Map<string, ResourceOptionsSeen>();
  // The mock monitor is internal to Pulumi's runtime; its request type is the engine's protobuf message.
  const monitor = (pulumi.runtime as unknown as { getMonitor(): { registerResource: (request: any, callback: unknown) => unknown } }).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    seen.set(`${request.getType()} ${request.getName()}`, {
      retainOnDelete: request.getRetainondelete(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
      replaceOnChanges: request.getReplaceonchangesList(),
      aliasParents: request.getAliasesList().map((alias: any) => alias.getSpec()?.getParenturn()).filter(Boolean),
    });
    return register(request, callback);
  };
  return seen;
}

/** The JWKS the stand-in for Cognito serves for every pool: two RSA keys, Cognito's shape and size. */
export const poolJwks = JSON.parse(readFileSync(new URL("./fixtures/cognito-jwks.json", import.meta.url), "utf8")) as {
  keys: Record<string, string>[];
};

/** The physical name Pulumi's auto-naming would give: logical name plus a random suffix. */
const physicalName = (name: string): string => `${name}-1a2b3c4`;

function mockState(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
  const physical = physicalName(name);
  switch (type) {
    case "aws:apigatewayv2/api:Api":
      return {
        id: apiId,
        state: {
          ...inputs,
          name: physical,
          apiEndpoint: `wss://${apiId}.execute-api.${region}.amazonaws.com`,
          arn: `arn:aws:apigateway:${region}::/apis/${apiId}`,
          executionArn: executionArnOf(apiId),
        },
      };
    case "aws:apigatewayv2/authorizer:Authorizer":
      return { id: authorizerIdValue, state: { ...inputs, name: physical } };
    case "aws:apigatewayv2/integration:Integration":
      return { id: `int-${name}`, state: inputs };
    case "aws:apigatewayv2/route:Route":
      return { id: `route-${name}`, state: inputs };
    case "aws:apigatewayv2/stage:Stage":
      return {
        id: String(inputs.name),
        state: {
          ...inputs,
          executionArn: `arn:aws:execute-api:${region}:${accountId}:${apiId}/${String(inputs.name)}`,
          invokeUrl: `wss://${apiId}.execute-api.${region}.amazonaws.com/${String(inputs.name)}`,
        },
      };
    case "aws:apigatewayv2/domainName:DomainName":
      return {
        id: String(inputs.domainName),
        state: {
          ...inputs,
          domainNameConfiguration: { ...(inputs.domainNameConfiguration as object), targetDomainName: "d-abc123.execute-api.eu-west-1.amazonaws.com", hostedZoneId: "Z2IFOLAFXWLO4F" },
        },
      };
    case "aws:lambda/function:Function": {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${physical}`;
      return {
        id: physical,
        state: {
          ...inputs,
          name: physical,
          arn,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        },
      };
    }
    case "aws:cloudwatch/eventRule:EventRule":
      return { id: physical, state: { ...inputs, name: physical, arn: `arn:aws:events:${region}:${accountId}:rule/${physical}` } };
    case "aws:iam/role:Role":
      return { id: physical, state: { ...inputs, name: physical, arn: `arn:aws:iam::${accountId}:role/${physical}` } };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: physical, state: { ...inputs, name: physical, arn: `arn:aws:logs:${region}:${accountId}:log-group:${physical}` } };
    case "aws:dynamodb/table:Table":
      return { id: physical, state: { ...inputs, name: physical, arn: `arn:aws:dynamodb:${region}:${accountId}:table/${physical}` } };
    case "aws:sqs/queue:Queue":
      return {
        id: `https://sqs.${region}.amazonaws.com/${accountId}/${physical}`,
        state: { ...inputs, name: physical, arn: `arn:aws:sqs:${region}:${accountId}:${physical}`, url: `https://sqs.${region}.amazonaws.com/${accountId}/${physical}` },
      };
    case "aws:cognito/userPool:UserPool":
      return { id: userPoolIdValue, state: { ...inputs, arn: `arn:aws:cognito-idp:${region}:${accountId}:userpool/${userPoolIdValue}` } };
    case "aws:cognito/userPoolClient:UserPoolClient":
      return { id: userPoolClientIdValue, state: inputs };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { id: createdSecurityGroupId, state: inputs };
    case "awsx:ec2:Vpc":
      return {
        id: "",
        state: { ...inputs, vpcId: createdVpcId, privateSubnetIds: createdPrivateSubnetIds, publicSubnetIds: ["subnet-0ccccccccccccccc1"] },
      };
    default:
      return { id: `${name}-id`, state: inputs };
  }
}

function mockCall(token: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      // Without the deprecated `name`: a program still reading it gets undefined, and its tests fail.
      return { region, id: region, description: "Europe (Ireland)", endpoint: `ec2.${region}.amazonaws.com` };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId, id: accountId, arn: `arn:aws:iam::${accountId}:user/deployer`, userId: "AIDAEXAMPLE" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", id: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    default:
      throw new Error(`unexpected invoke ${token}`);
  }
}

/** Mocks that answer like AWS would and record every registration and invoke. */
export function createMocks(
  record: { resources: RecordedResource[]; calls: string[]; events: string[] },
  options: Pick<RunOptions, "slowTypes"> = {},
): pulumi.runtime.Mocks {
  return {
    async newResource({ type, name, inputs }) {
      record.events.push(`start ${type} ${name}`);
      const { id, state } = mockState(type, name, inputs as Record<string, unknown>);
      record.resources.push({ type, name, inputs, id, state });
      if (options.slowTypes?.includes(type)) await new Promise((resolve) => setTimeout(resolve, 250));
      record.events.push(`done ${type} ${name}`);
      return { id, state };
    },
    call({ token }) {
      record.calls.push(token);
      return mockCall(token);
    },
  };
}

/** Reads an Output's value (mocks resolve every value, also in this non-preview run). */
export const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

export interface RunOptions {
  /** Resource types whose registration the engine answers late: shows what waits for them (dependsOn). */
  readonly slowTypes?: readonly string[];
  /** Where to record resources; lets a caller see what was declared before the program failed. */
  readonly resources?: RecordedResource[];
  /** Run as `pulumi preview` does (unknown outputs, nothing fetched). @default false */
  readonly preview?: boolean;
  /** What Cognito's JWKS endpoint answers, or the network error fetching it meets. @default 200 with `poolJwks` */
  readonly jwksResponse?: { status: number; body: unknown } | { networkError: string };
}

/**
 * The program's `fetch` while it runs: Cognito's JWKS URLs answer `jwksResponse`; any other URL
 * fails the run (the program must not reach anything else).
 */
export function stubFetch(fetches: string[], jwksResponse?: RunOptions["jwksResponse"]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input);
    fetches.push(url);
    if (!/^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[\w-]+_[0-9a-zA-Z]+\/\.well-known\/jwks\.json$/.test(url)) {
      throw new Error(`unexpected fetch of ${url}`);
    }
    const answer = jwksResponse ?? { status: 200, body: poolJwks };
    if ("networkError" in answer) throw new TypeError("fetch failed", { cause: new Error(answer.networkError) });
    const { status, body } = answer;
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}

/**
 * Sets the stack config (project keys without prefix, plus `aws:*` keys as given), installs the
 * mocks, imports the program and waits until every resource is registered.
 */
export async function runProgram(config: Record<string, string> = {}, options: RunOptions = {}): Promise<ProgramRun> {
  const resources: RecordedResource[] = options.resources ?? [];
  const calls: string[] = [];
  const events: string[] = [];
  const fetches: string[] = [];
  await pulumi.runtime.setMocks(createMocks({ resources, calls, events }, options), project, "dev", options.preview ?? false);
  const registrationOptions = recordResourceOptions();
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([key, value]) => [key.includes(":") ? key : `${project}:${key}`, value])),
  );

  const restoreFetch = stubFetch(fetches, options.jwksResponse);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...parts: unknown[]) => {
    const line = parts.map(String).join(" ");
    if (line.startsWith("warning: [runtime] ")) warnings.push(line.slice("warning: [runtime] ".length));
    else warn(...parts);
  };
  try {
    const program = (await import("../../index.js")) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
      if (options.preview && pulumi.Output.isInstance(value)) continue;
      outputs[key] = pulumi.Output.isInstance(value) ? await valueOf(value) : value;
    }
    await settled(events);
    return { resources, calls, events, outputs, fetches, warnings, options: registrationOptions };
  } finally {
    restoreFetch();
    console.warn = warn;
  }
}

/**
 * Resolves once every registration has been answered and nothing new started for a few turns of the
 * event loop. Pulumi's own count of outstanding calls comes first: it includes registrations still
 * waiting for their inputs (a function waits for its bundle), which no event shows yet.
 */
export async function settled(events: readonly string[]): Promise<void> {
  // Internal to Pulumi's runtime (what it awaits before it disconnects), so not in its type declarations.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  let quietTurns = 0;
  let seen = -1;
  while (quietTurns < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pending = events.filter((e) => e.startsWith("start ")).length - events.filter((e) => e.startsWith("done ")).length;
    quietTurns = events.length === seen && pending === 0 ? quietTurns + 1 : 0;
    seen = events.length;
  }
}

/** Whether `first` was answered before `second` was asked for. */
export const answeredBefore = (run: ProgramRun, first: string, second: string): boolean => {
  const done = run.events.indexOf(`done ${first}`);
  const start = run.events.indexOf(`start ${second}`);
  if (done < 0 || start < 0) throw new Error(`no events for ${first} / ${second}`);
  return done < start;
};

/** The one resource of a type and logical name; fails loudly when absent or ambiguous. */
export function resource(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} named ${name}, found ${found.length}; have: ${run.resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
  }
  return found[0]!;
}

/** The options the engine received for one resource; fails loudly when it was not registered. */
export function optionsOf(run: ProgramRun, type: string, name: string): ResourceOptionsSeen {
  const found = run.options.get(`${type} ${name}`);
  if (!found) throw new Error(`no registration of ${type} ${name}`);
  return found;
}

export const ofType = (run: ProgramRun, type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);

/** A role's inline policy document, parsed. */
export function rolePolicy(run: ProgramRun, policyName: string): { Version: string; Statement: { Effect: string; Action: string[]; Resource: string[] }[] } {
  return JSON.parse(String(resource(run, "aws:iam/rolePolicy:RolePolicy", policyName).inputs.policy));
}
