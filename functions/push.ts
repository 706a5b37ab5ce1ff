/**
 * Server-side delivery, for other services: to every connection of a Cognito user, or published
 * on a channel (not subject to the channel rules, no `from`), through the same stores, notifier
 * and fan-out as the routes. A fan-out larger than a shard runs here as the `deliver` workers run
 * it: in shards, checkpointed, and paced by the stack's `postRateLimit` together with them.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbPace, createDynamoDbShardLedger } from "./adapters/dynamodb-delivery-ledger.js";
import { createInProcessTaskQueue } from "./adapters/in-process-task-queue.js";
import { createManagementNotifier } from "./adapters/management-notifier.js";
import { channelNameRule, isChannelName } from "./core/channel-rules.js";
import { publishFromServer, type Published } from "./core/channels.js";
import { dispatch, runTask, type Dispatched, type FanOutSummary } from "./core/delivery.js";
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
  /** The stack's shard checkpoints and pace (`deliveriesTableName`, `postRateLimit` outputs); without them every fan-out is one unpaced batch. */
  readonly deliveries?: { readonly tableName: string; readonly postRateLimit: number };
}

export interface PushOptions {
  /** Told of each shard delivered and of the summary, for a fan-out larger than one shard. */
  readonly progress?: (line: string) => void;
  /** Recipients per shard. @default the `fanOutShardSize` default */
  readonly shardSize?: number;
}

/** Long enough for any fan-out: a process has no Lambda timeout. */
const processBudget = { remainingMs: () => 3_600_000 };

/** What a server-side delivery did: delivered inline (`report`), or by shards here (`job`, and their `summary`). */
export type Pushed = Dispatched & { readonly summary?: FanOutSummary };

export async function pushToUser(target: PushTarget, userId: string, data: string, options: PushOptions = {}): Promise<Pushed> {
  return withStack(target, options, ({ deliveryDependencies }) => dispatch({ kind: "user", userId }, data, deliveryDependencies));
}

/** Publishes `data` (JSON text: a string is `"…"`) on a channel with its next seq. */
export async function publishToChannel(target: PushTarget, channel: string, data: string, options: PushOptions = {}): Promise<Published & { readonly summary?: FanOutSummary }> {
  if (!isChannelName(channel)) throw new Error(`"${channel}" is not a channel name: ${channelNameRule}`);
  return withStack(target, options, ({ channelDependencies }) => publishFromServer(channel, data, channelDependencies));
}

async function withStack<T extends object>(
  target: PushTarget,
  { progress = () => undefined, shardSize = defaults.fanOutShardSize }: PushOptions,
  use: (messaging: Messaging) => Promise<T>,
): Promise<T & { readonly summary?: FanOutSummary }> {
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
  let summary: FanOutSummary | undefined;
  const queue = createInProcessTaskQueue(async (task) => {
    await runTask(task, messaging.deliveryDependencies, processBudget, messaging.endGone);
    if (task.kind === "shard") progress(`shard ${task.shard + 1}: ${task.connectionIds.length} recipients settled`);
  });
  const deliveries = target.deliveries && { client: dynamodb, tableName: target.deliveries.tableName };
  const messaging = createMessaging({
    dynamodb,
    notifier,
    tables: target,
    // Only the retention matters to a server-side publish: it is not subject to the rules.
    policy: { rules: [], historySeconds: target.channelHistorySeconds, replayLimit: defaults.channelReplayLimit, maxSubscriptionsPerConnection: 0 },
    concurrency: defaults.postConcurrency,
    shardSize,
    ...(deliveries && target.deliveries
      ? {
          workers: {
            queue,
            ledger: createDynamoDbShardLedger(deliveries),
            pace: createDynamoDbPace({ ...deliveries, ratePerSecond: target.deliveries.postRateLimit, claim: defaults.postConcurrency }),
            postRateLimit: target.deliveries.postRateLimit,
          },
        }
      : {}),
    summarize: (done) => {
      summary = done;
      progress(`delivered: ${JSON.stringify(done)}`);
    },
  });
  try {
    const result = await use(messaging);
    // A fan-out handed to the workers here ends when they do.
    await queue.drained();
    return summary === undefined ? result : { ...result, summary };
  } finally {
    dynamodb.destroy();
    notifier.destroy();
  }
}
