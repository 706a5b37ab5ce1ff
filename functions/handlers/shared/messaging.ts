/**
 * Module-scope wiring of every messaging function (the routes and the scheduled sweeper): settings
 * read once at cold start, and the messaging system built once from them.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbPace, createDynamoDbShardLedger } from "../../adapters/dynamodb-delivery-ledger.js";
import { createDynamoDbFrameCounter } from "../../adapters/dynamodb-frame-counter.js";
import { createLambdaTaskQueue } from "../../adapters/lambda-task-queue.js";
import { createManagementNotifier } from "../../adapters/management-notifier.js";
import { createRateLimiter } from "../../core/rate-limit.js";
import { readSettings } from "../../settings/environment.js";
import { createMessaging } from "../../wiring.js";
import { describe, logger } from "./logger.js";

export const settings = readSettings("messaging", process.env);

export const notifier = createManagementNotifier({ endpoint: settings.managementApiUrl, maxSockets: settings.postConcurrency });

// Endpoint and region come from the SDK's standard variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
const dynamodb = new DynamoDBClient({});

const { deliverFunctionName } = settings;
const region = process.env.AWS_REGION;
const deliveries = { client: dynamodb, tableName: settings.deliveriesTableName };
const workers =
  deliverFunctionName && region
    ? {
        queue: createLambdaTaskQueue({ functionName: deliverFunctionName, region }),
        ledger: createDynamoDbShardLedger(deliveries),
        // Claims of at most one round of posts in flight: a worker spends its claim before the second ends.
        pace: createDynamoDbPace({ ...deliveries, ratePerSecond: settings.postRateLimit, claim: settings.postConcurrency }),
        postRateLimit: settings.postRateLimit,
      }
    : undefined;

export const { store, fanOutDependencies, deliveryDependencies, channelDependencies, endGone } = createMessaging({
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
  shardSize: settings.fanOutShardSize,
  ...(workers ? { workers } : {}),
  summarize: (summary) => logger.info("fan-out delivered", { ...summary }),
  // Delivered inline instead; said, since a large fan-out then runs inside the route's own invocation.
  refused: (error) => logger.warn("fan-out not handed to the deliver workers", { error: describe(error) }),
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
