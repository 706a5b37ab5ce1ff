/**
 * Module-scope wiring of every messaging function (the routes and the scheduled sweeper): settings
 * read once at cold start, and the messaging system built once from them.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbFrameCounter } from "../../adapters/dynamodb-frame-counter.js";
import { createManagementNotifier } from "../../adapters/management-notifier.js";
import { createRateLimiter } from "../../core/rate-limit.js";
import { readSettings } from "../../settings/environment.js";
import { createMessaging } from "../../wiring.js";
import { logger } from "./logger.js";

export const settings = readSettings("messaging", process.env);

export const notifier = createManagementNotifier({ endpoint: settings.managementApiUrl, maxSockets: settings.postConcurrency });

// Endpoint and region come from the SDK's standard variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
const dynamodb = new DynamoDBClient({});

export const { store, fanOutDependencies, channelDependencies } = createMessaging({
  dynamodb,
  notifier,
  tables: settings,
  policy: {
    rules: settings.channelRules,
    historySeconds: settings.channelHistorySeconds,
    replayLimit: settings.channelReplayLimit,
    maxSubscriptionsPerConnection: settings.maxSubscriptionsPerConnection,
  },
  concurrency: settings.postConcurrency,
});

/**
 * Holds each user to `userMessageRate` and `userMessageBurst`, counting their frames in DynamoDB. A
 * full window is logged once (per instance), not each frame refused in it: a flood's log lines
 * would otherwise cost as much as its frames.
 */
export const rateLimiter = createRateLimiter(
  { rate: settings.userMessageRate, burst: settings.userMessageBurst },
  createDynamoDbFrameCounter({ client: dynamodb, tableName: settings.rateLimitsTableName }),
  { onFull: (userId, window) => logger.warn("rate window full", { userId, frames: settings.userMessageBurst, until: new Date(window.endsAt).toISOString() }) },
);
