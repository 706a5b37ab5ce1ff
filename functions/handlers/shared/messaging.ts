/**
 * Module-scope wiring of every messaging function (the routes and the scheduled sweeper): settings
 * read once at cold start, the DynamoDB store, the `@connections` notifier and the fan-out they share.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore } from "../../adapters/dynamodb-store.js";
import { createManagementNotifier } from "../../adapters/management-notifier.js";
import type { FanOutDependencies } from "../../core/fan-out.js";
import { readSettings } from "../../settings/environment.js";

export const settings = readSettings("messaging", process.env);

// Endpoint and region come from the SDK's standard variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
export const store = createDynamoDbStore({
  client: new DynamoDBClient({}),
  tableName: settings.connectionsTableName,
  userIndexName: settings.userIndexName,
});

export const notifier = createManagementNotifier({ endpoint: settings.managementApiUrl, maxSockets: settings.postConcurrency });

export const fanOutDependencies: FanOutDependencies = { store, notifier, concurrency: settings.postConcurrency };
