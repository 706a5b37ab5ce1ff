/**
 * The messaging system assembled from its parts: the DynamoDB stores, the `@connections`
 * notifier, and the fan-out and channel dependencies that tie them together. The functions build
 * it once per cold start; server-side delivery (push.ts) builds it per call.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbChannelStore } from "./adapters/dynamodb-channel-store.js";
import { createDynamoDbStore } from "./adapters/dynamodb-store.js";
import type { ManagementNotifier } from "./adapters/management-notifier.js";
import { forgetConnection, type ChannelDependencies, type ChannelPolicy } from "./core/channels.js";
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
}

export interface Messaging {
  readonly store: ConnectionStore;
  readonly fanOutDependencies: FanOutDependencies;
  readonly channelDependencies: ChannelDependencies;
}

export function createMessaging({ dynamodb, notifier, tables, policy, concurrency }: MessagingOptions): Messaging {
  const store = createDynamoDbStore({ client: dynamodb, tableName: tables.connectionsTableName, userIndexName: tables.userIndexName });
  const channels = createDynamoDbChannelStore({
    client: dynamodb,
    subscriptionsTableName: tables.subscriptionsTableName,
    messagesTableName: tables.channelMessagesTableName,
  });
  const fanOutDependencies: FanOutDependencies = {
    // A connection found gone (410) anywhere: its record and subscriptions go, and its channels hear it left.
    store: {
      async removeStale(connectionId) {
        await store.removeStale(connectionId);
        await forgetConnection(connectionId, channelDependencies);
      },
    },
    notifier,
    concurrency,
  };
  const channelDependencies: ChannelDependencies = { channels, fanOut: fanOutDependencies, policy, now: () => new Date() };
  return { store, fanOutDependencies, channelDependencies };
}
