/**
 * Server-side delivery, for other services: to every connection of a Cognito user, or published
 * on a channel (not subject to the channel rules, no `from`), through the same stores, notifier
 * and fan-out as the routes.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createManagementNotifier } from "./adapters/management-notifier.js";
import { channelNameRule, isChannelName } from "./core/channel-rules.js";
import { publishFromServer, type Published } from "./core/channels.js";
import { fanOut, type FanOutReport } from "./core/fan-out.js";
import { defaults } from "./settings/schema.js";
import { createMessaging, type Messaging } from "./wiring.js";

export interface PushTarget {
  /** `managementApiUrl` of the stack outputs. */
  readonly managementApiUrl: string;
  readonly connectionsTableName: string;
  readonly userIndexName: string;
  readonly subscriptionsTableName: string;
  readonly channelMessagesTableName: string;
  /** How long the stack retains channel messages for resumes (its `channelHistorySeconds`). */
  readonly channelHistorySeconds: number;
  readonly region: string;
  /** The local stack's `dynamoDbEndpoint`; the AWS endpoint when unset. */
  readonly dynamoDbEndpoint?: string;
}

export async function pushToUser(target: PushTarget, userId: string, data: string): Promise<FanOutReport> {
  return withStack(target, ({ store, fanOutDependencies }) => fanOut(store.connectionIdsOfUser(userId), data, fanOutDependencies));
}

/** Publishes `data` (JSON text: a string is `"…"`) on a channel with its next seq. */
export async function publishToChannel(target: PushTarget, channel: string, data: string): Promise<Published> {
  if (!isChannelName(channel)) throw new Error(`"${channel}" is not a channel name: ${channelNameRule}`);
  return withStack(target, ({ channelDependencies }) => publishFromServer(channel, data, channelDependencies));
}

async function withStack<T>(target: PushTarget, use: (messaging: Messaging) => Promise<T>): Promise<T> {
  const local = target.dynamoDbEndpoint !== undefined;
  // The local stack accepts any signature; the cloud one needs the caller's own credentials.
  const credentials = local ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
  const dynamodb = new DynamoDBClient({ region: target.region, ...(local ? { endpoint: target.dynamoDbEndpoint, credentials } : {}) });
  const notifier = createManagementNotifier({
    endpoint: target.managementApiUrl,
    maxSockets: defaults.postConcurrency,
    region: target.region,
    ...(credentials ? { credentials } : {}),
  });
  try {
    return await use(
      createMessaging({
        dynamodb,
        notifier,
        tables: target,
        // Only the retention matters to a server-side publish: it is not subject to the rules.
        policy: { rules: [], historySeconds: target.channelHistorySeconds, replayLimit: defaults.channelReplayLimit, maxSubscriptionsPerConnection: 0 },
        concurrency: defaults.postConcurrency,
      }),
    );
  } finally {
    dynamodb.destroy();
    notifier.destroy();
  }
}
