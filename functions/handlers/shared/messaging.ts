/**
 * Module-scope wiring of every messaging function (the routes and the scheduled sweeper): settings
 * read once at cold start, the DynamoDB stores, the `@connections` notifier and the fan-out they share.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbChannelStore } from "../../adapters/dynamodb-channel-store.js";
import { createDynamoDbStore } from "../../adapters/dynamodb-store.js";
import { createManagementNotifier } from "../../adapters/management-notifier.js";
import { forgetConnection, type ChannelDependencies } from "../../core/channels.js";
import type { FanOutDependencies } from "../../core/fan-out.js";
import { readSettings } from "../../settings/environment.js";

export const settings = readSettings("messaging", process.env);

// Endpoint and region come from the SDK's standard variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
const dynamodb = new DynamoDBClient({});

export const store = createDynamoDbStore({ client: dynamodb, tableName: settings.connectionsTableName, userIndexName: settings.userIndexName });

export const channels = createDynamoDbChannelStore({
  client: dynamodb,
  subscriptionsTableName: settings.subscriptionsTableName,
  messagesTableName: settings.channelMessagesTableName,
});

export const notifier = createManagementNotifier({ endpoint: settings.managementApiUrl, maxSockets: settings.postConcurrency });

/** A connection found gone (410) anywhere: its record and subscriptions go, and its channels hear it left. */
async function forgetGone(connectionId: string): Promise<void> {
  await store.removeStale(connectionId);
  await forgetConnection(connectionId, channelDependencies);
}

export const fanOutDependencies: FanOutDependencies = { store: { removeStale: forgetGone }, notifier, concurrency: settings.postConcurrency };

export const channelDependencies: ChannelDependencies = {
  channels,
  fanOut: fanOutDependencies,
  policy: {
    rules: settings.channelRules,
    historySeconds: settings.channelHistorySeconds,
    replayLimit: settings.channelReplayLimit,
    maxSubscriptionsPerConnection: settings.maxSubscriptionsPerConnection,
  },
  now: () => new Date(),
};
