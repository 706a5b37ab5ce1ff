/**
 * The messaging system assembled from its parts: the DynamoDB stores, the `@connections`
 * notifier, and the fan-out and channel dependencies that tie them together. The functions build
 * it once per cold start; server-side delivery (push.ts) builds it per call.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbChannelStore } from "./adapters/dynamodb-channel-store.js";
import { createDynamoDbRecipients } from "./adapters/dynamodb-recipients.js";
import { createDynamoDbStore } from "./adapters/dynamodb-store.js";
import type { ManagementNotifier } from "./adapters/management-notifier.js";
import pMap from "p-map";
import { forgetConnections, type ChannelDependencies, type ChannelPolicy } from "./core/channels.js";
import type { DeliveryDependencies, FanOutSummary, Workers } from "./core/delivery.js";
import type { FanOutDependencies } from "./core/fan-out.js";
import type { ConnectionStore } from "./core/ports.js";

export interface MessagingOptions {
  readonly dynamodb: DynamoDBClient;
  readonly notifier: ManagementNotifier;
  readonly tables: {
    readonly connectionsTableName: string;
    readonly userIndexName: string;
    readonly subscriptionsTableName: string;
    readonly channelMessagesTableName: string;
  };
  readonly policy: ChannelPolicy;
  /** Posts a fan-out keeps in flight. */
  readonly concurrency: number;
  /** Recipients per shard: a fan-out to more goes to the workers. */
  readonly shardSize: number;
  /** Where fan-outs larger than a shard go; without, they are delivered inline. */
  readonly workers?: Workers;
  /** Logs the summary of a fan-out the workers delivered. */
  readonly summarize?: (summary: FanOutSummary) => void;
  /** Logs why the workers did not take a fan-out (it was delivered inline instead). */
  readonly refused?: (error: unknown) => void;
}

export interface Messaging {
  readonly store: ConnectionStore;
  readonly fanOutDependencies: FanOutDependencies;
  readonly deliveryDependencies: DeliveryDependencies;
  readonly channelDependencies: ChannelDependencies;
  /** Ends connections found gone, here and now (what a `forget` task of the workers does). */
  readonly endGone: (connectionIds: readonly string[]) => Promise<void>;
}

export function createMessaging({ dynamodb, notifier, tables, policy, concurrency, shardSize, workers, summarize = () => undefined, refused = () => undefined }: MessagingOptions): Messaging {
  const store = createDynamoDbStore({ client: dynamodb, tableName: tables.connectionsTableName, userIndexName: tables.userIndexName });
  const channels = createDynamoDbChannelStore({
    client: dynamodb,
    subscriptionsTableName: tables.subscriptionsTableName,
    messagesTableName: tables.channelMessagesTableName,
  });
  // Connections found gone (410): their records and subscriptions go, and their channels hear they left.
  const endGone = async (connectionIds: readonly string[]) => {
    await pMap(connectionIds, (connectionId) => store.removeStale(connectionId), { concurrency });
    await forgetConnections(connectionIds, channelDependencies, { handOver: true });
  };
  const fanOutDependencies: FanOutDependencies = {
    // The fan-out that found them has its own recipients to serve: the workers end them, when there are any.
    async forget(connectionIds) {
      if (workers) {
        try {
          return await workers.queue.enqueue({ kind: "forget", connectionIds });
        } catch (error) {
          refused(error);
        }
      }
      await endGone(connectionIds);
    },
    notifier,
    concurrency,
  };
  const now = () => new Date();
  const recipients = createDynamoDbRecipients({ client: dynamodb, ...tables });
  const deliveryDependencies: DeliveryDependencies = { recipients, fanOut: fanOutDependencies, shardSize, ...(workers ? { workers } : {}), summarize, refused, now };
  const channelDependencies: ChannelDependencies = { channels, delivery: deliveryDependencies, policy, now };
  return { store, fanOutDependencies, deliveryDependencies, channelDependencies, endGone };
}
