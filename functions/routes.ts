/**
 * The route table: the one description of the WebSocket API that both runtimes read.
 * infra/ builds API Gateway routes, integrations, functions and IAM from it; local/ dispatches
 * frames from it. Data only: no AWS SDK, no Pulumi.
 */
import type { SettingsKind } from "./settings/schema.js";

/** Every Lambda function of the system; each has an esbuild entry `functions/handlers/<name>.ts`. */
export type FunctionName =
  | "authorizer"
  | "connect"
  | "disconnect"
  | "default"
  | "sendmessage"
  | "sendtouser"
  | "whoami"
  | "subscribe"
  | "unsubscribe"
  | "publish"
  | "presence"
  | "reauth"
  | "sweeper"
  | "deliver";


/**
 * One permission of a function, as exact actions on a named resource. infra/ resolves the resource
 * to an ARN: `connectionsTable` → the table, `userIndex` → `{table}/index/{userIndex}`,
 * `subscriptionsTable` and `channelMessagesTable` → the channel tables,
 * `connectionIndex` → `{subscriptionsTable}/index/{connectionIndex}`,
 * `connections` → `{executionArn}/{stage}/POST/@connections/*` (send),
 * `closeConnections` → `{executionArn}/{stage}/DELETE/@connections/*` (disconnect),
 * `inspectConnections` → `{executionArn}/{stage}/GET/@connections/*` (is it still open?),
 * `rateLimitsTable` → the rate limiter's counters, `deliveriesTable` → fan-out checkpoints and pace,
 * `deliverFunction` → the `deliver` worker function (asynchronous invocations of large fan-outs).
 */
export type Grant =
  | {
      readonly resource: "connectionsTable" | "subscriptionsTable" | "channelMessagesTable" | "rateLimitsTable" | "deliveriesTable";
      readonly actions: readonly TableAction[];
    }
  | { readonly resource: "userIndex" | "connectionIndex"; readonly actions: readonly ["dynamodb:Query"] }
  | { readonly resource: "connections"; readonly actions: readonly ["execute-api:ManageConnections"] }
  | { readonly resource: "closeConnections"; readonly actions: readonly ["execute-api:ManageConnections"] }
  | { readonly resource: "inspectConnections"; readonly actions: readonly ["execute-api:ManageConnections"] }
  | { readonly resource: "deliverFunction"; readonly actions: readonly ["lambda:InvokeFunction"] };

export type TableAction =
  | "dynamodb:PutItem"
  | "dynamodb:DeleteItem"
  | "dynamodb:Scan"
  | "dynamodb:Query"
  | "dynamodb:GetItem"
  | "dynamodb:UpdateItem"
  | "dynamodb:BatchWriteItem";

export interface FunctionDefinition {
  readonly description: string;
  /** Which settings (the schema's `for`) the function reads from its environment. */
  readonly settings: readonly SettingsKind[];
  readonly grants: readonly Grant[];
}

export interface RouteDefinition {
  /** API Gateway route key: `$connect`, `$disconnect`, `$default` or a custom action name. */
  readonly routeKey: string;
  readonly function: FunctionName;
  /** Whether the REQUEST authorizer guards this route (API Gateway allows it on `$connect` only). */
  readonly authorized: boolean;
}

const manageConnections: Grant = { resource: "connections", actions: ["execute-api:ManageConnections"] };
/** Hands a fan-out larger than one shard to the `deliver` workers. */
const dispatch: Grant = { resource: "deliverFunction", actions: ["lambda:InvokeFunction"] };
/**
 * What ending a gone connection needs (core/channels.ts `forgetConnections`): delete its record,
 * find and delete its subscriptions, and tell each channel it left.
 */
const forgetGone: readonly Grant[] = [
  manageConnections,
  dispatch,
  { resource: "connectionsTable", actions: ["dynamodb:DeleteItem"] },
  { resource: "connectionIndex", actions: ["dynamodb:Query"] },
  { resource: "subscriptionsTable", actions: ["dynamodb:Query", "dynamodb:BatchWriteItem"] },
];
/**
 * What every function answering frames needs (handlers/shared/message-route.ts): count the frame
 * against its user's rate, post the reply, and forget the connection when the reply (or any
 * fan-out) meets 410 GoneException.
 */
const replies: readonly Grant[] = [...forgetGone, { resource: "rateLimitsTable", actions: ["dynamodb:UpdateItem"] }];
/** A fan-out's recipients: every connection (a broadcast), or one user's (a channel's are `forgetGone`'s Query). */
const everyConnection: Grant = { resource: "connectionsTable", actions: ["dynamodb:Scan"] };
const connectionsOfUser: Grant = { resource: "userIndex", actions: ["dynamodb:Query"] };
/** Channel rules that name a group read the connection's current groups (a `reauth` replaces them). */
const readGroups: Grant = { resource: "connectionsTable", actions: ["dynamodb:GetItem"] };

export const functions: Readonly<Record<FunctionName, FunctionDefinition>> = {
  authorizer: {
    description: "REQUEST authorizer: verifies the Cognito token offered at $connect",
    settings: ["authorizer"],
    grants: [],
  },
  connect: {
    description: "Holds each user to maxConnectionsPerUser, records the new connection and its Cognito user",
    settings: ["messaging"],
    grants: [
      ...forgetGone,
      { resource: "connectionsTable", actions: ["dynamodb:PutItem"] },
      connectionsOfUser,
      { resource: "inspectConnections", actions: ["execute-api:ManageConnections"] },
    ],
  },
  disconnect: {
    description: "Deletes the connection record and its subscriptions",
    settings: ["messaging"],
    grants: forgetGone,
  },
  default: {
    description: "Echoes any unrouted frame back to its sender",
    settings: ["messaging"],
    grants: replies,
  },
  sendmessage: {
    description: "Broadcasts data to every open connection",
    settings: ["messaging"],
    grants: [...replies, everyConnection],
  },
  sendtouser: {
    description: "Sends data to every connection of one Cognito user",
    settings: ["messaging"],
    grants: [...replies, connectionsOfUser],
  },
  whoami: {
    description: "Tells the sender its connection id and Cognito identity",
    settings: ["messaging"],
    grants: replies,
  },
  subscribe: {
    description: "Subscribes the sender to a channel, replaying what it missed",
    settings: ["messaging"],
    grants: [
      ...replies,
      { resource: "subscriptionsTable", actions: ["dynamodb:PutItem"] },
      { resource: "channelMessagesTable", actions: ["dynamodb:GetItem", "dynamodb:Query"] },
      readGroups,
    ],
  },
  unsubscribe: {
    description: "Ends the sender's subscription to a channel",
    settings: ["messaging"],
    grants: [...replies, { resource: "subscriptionsTable", actions: ["dynamodb:DeleteItem"] }],
  },
  publish: {
    description: "Publishes data to a channel's subscribers, with the next seq",
    settings: ["messaging"],
    grants: [...replies, { resource: "channelMessagesTable", actions: ["dynamodb:UpdateItem", "dynamodb:PutItem"] }, readGroups],
  },
  presence: {
    description: "Tells the sender who is subscribed to a channel",
    settings: ["messaging"],
    grants: [...replies, readGroups],
  },
  reauth: {
    description: "Replaces an open connection's token (its expiry and groups) with a fresh one of the same user",
    settings: ["authorizer", "messaging"],
    grants: [...replies, { resource: "connectionsTable", actions: ["dynamodb:UpdateItem"] }],
  },
  sweeper: {
    description: "Closes connections whose token has expired, tells those near API Gateway's 2 h limit to reconnect (scheduled, not routed)",
    settings: ["messaging"],
    grants: [
      ...forgetGone,
      // Scan for expired and long-lived connections; UpdateItem marks those told to reconnect.
      { resource: "connectionsTable", actions: ["dynamodb:Scan", "dynamodb:UpdateItem"] },
      { resource: "closeConnections", actions: ["execute-api:ManageConnections"] },
    ],
  },
  deliver: {
    description: "Delivers one shard of a large fan-out, paced by postRateLimit, or reads its recipients into shards (invoked asynchronously, not routed)",
    settings: ["messaging"],
    grants: [
      ...forgetGone,
      everyConnection,
      connectionsOfUser,
      // Leases, checkpoints and totals of shards (a busy lease is told from a done shard by a read; totals sum the shards), and the pace counter.
      { resource: "deliveriesTable", actions: ["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"] },
    ],
  },
};

export const functionNames = Object.keys(functions) as FunctionName[];

/** The function API Gateway calls as the REQUEST authorizer of `$connect`. */
export const authorizerFunction: FunctionName = "authorizer";

/**
 * API Gateway checks the token only at `$connect`, so a socket could outlive its token by up to
 * two hours. This function, run on a schedule (EventBridge on AWS, a timer locally), closes them.
 */
export const expirySweeperFunction: FunctionName = "sweeper";

/** Invoked asynchronously (Lambda's `Event` invocations) with the shards of fan-outs too large for one invocation. */
export const deliverFunction: FunctionName = "deliver";

export const routes: readonly RouteDefinition[] = [
  { routeKey: "$connect", function: "connect", authorized: true },
  { routeKey: "$disconnect", function: "disconnect", authorized: false },
  { routeKey: "$default", function: "default", authorized: false },
  { routeKey: "sendmessage", function: "sendmessage", authorized: false },
  { routeKey: "sendtouser", function: "sendtouser", authorized: false },
  { routeKey: "whoami", function: "whoami", authorized: false },
  { routeKey: "subscribe", function: "subscribe", authorized: false },
  { routeKey: "unsubscribe", function: "unsubscribe", authorized: false },
  { routeKey: "publish", function: "publish", authorized: false },
  { routeKey: "presence", function: "presence", authorized: false },
  { routeKey: "reauth", function: "reauth", authorized: false },
];

/** Where `npm run build` writes a function's bundle; what Pulumi uploads and the local gateway runs. */
export const bundleDirectory = (name: FunctionName): string => `dist/functions/${name}`;
/** The bundle's file name inside its directory; the Lambda handler is `index.handler`. */
export const bundleFile = "index.mjs";

/**
 * The authorizer's identity sources. API Gateway answers 401 without calling the authorizer when
 * one is missing, and it ANDs them: so the query parameter when that is the only way in, and none
 * when a token may also come as a subprotocol (the authorizer then refuses a request without one).
 */
export function identitySources(token: { readonly tokenQueryParameter: string; readonly subprotocolToken: boolean }): string[] {
  return token.subprotocolToken ? [] : [`route.request.querystring.${token.tokenQueryParameter}`];
}
