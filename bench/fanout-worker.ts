/**
 * One Lambda instance of the fan-out benchmark (bench/fanout.ts), in a process of its own whose CPU
 * the parent holds to a 256 MB function's share. Mode `instance`: runs the tasks the parent hands
 * it over IPC, one at a time, as the `deliver` function does (planShards, deliverShard, or the
 * accepting route's `dispatch`), with the real adapters on dynalite and the management notifier;
 * the tasks it queues go back to the parent, which plays Lambda's asynchronous invocation.
 * Mode `single`: today's single-invocation fan-out, every recipient inline, ended by the timeout.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbPace, createDynamoDbShardLedger } from "../functions/adapters/dynamodb-delivery-ledger.js";
import { asyncPayloadLimitBytes } from "../functions/adapters/lambda-task-queue.js";
import { createManagementNotifier } from "../functions/adapters/management-notifier.js";
import { dispatch, recipientPages, runTask } from "../functions/core/delivery.js";
import { fanOut } from "../functions/core/fan-out.js";
import type { DeliveryTask } from "../functions/core/ports.js";
import { defaults } from "../functions/settings/schema.js";
import { createMessaging } from "../functions/wiring.js";
import { localTableNames } from "../local/tables.js";

export type WorkerRequest = { readonly task: DeliveryTask | { readonly kind: "dispatch" }; readonly deadline: number };
export type WorkerMessage =
  | { readonly kind: "enqueue"; readonly task: DeliveryTask }
  | { readonly kind: "summary"; readonly summary: unknown }
  | { readonly kind: "done"; readonly error?: string; readonly peakRssBytes: number }
  /** Loaded and wired: Lambda's init phase is over (it runs at full CPU; the share applies from here). */
  | { readonly kind: "ready" };

const [mode, managementUrl, dynamoDbEndpoint, postRateLimitText, timeoutText] = process.argv.slice(2) as ["instance" | "single", string, string, string, string];
const identity = { region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } };
const frame = JSON.stringify({ type: "message", channel: "bench/all", seq: 1, data: "hello everyone", sentAt: new Date(0).toISOString() });
const send = (message: WorkerMessage) => void process.send!(message);

let peakRssBytes = 0;
const sample = () => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss));
setInterval(sample, 100).unref();

const dynamodb = new DynamoDBClient({ endpoint: dynamoDbEndpoint, ...identity });
const notifier = createManagementNotifier({ endpoint: managementUrl, maxSockets: defaults.postConcurrency, ...identity });
const deliveries = { client: dynamodb, tableName: localTableNames.deliveriesTableName };
const postRateLimit = Number(postRateLimitText);
const { deliveryDependencies, endGone } = createMessaging({
  dynamodb,
  notifier,
  tables: localTableNames,
  policy: { rules: [], historySeconds: 0, replayLimit: 0, maxSubscriptionsPerConnection: 0 },
  concurrency: defaults.postConcurrency,
  shardSize: defaults.fanOutShardSize,
  workers: {
    queue: { maxTaskBytes: asyncPayloadLimitBytes, enqueue: async (task) => send({ kind: "enqueue", task }) },
    ledger: createDynamoDbShardLedger(deliveries),
    pace: createDynamoDbPace({ ...deliveries, ratePerSecond: postRateLimit, claim: defaults.postConcurrency }),
    postRateLimit,
  },
  summarize: (summary) => send({ kind: "summary", summary }),
});

send({ kind: "ready" });
if (mode === "instance") {
  process.on("message", async ({ task, deadline }: WorkerRequest) => {
    const budget = { remainingMs: () => deadline - Date.now() };
    try {
      if (task.kind === "dispatch") await dispatch({ kind: "everyone" }, frame, deliveryDependencies);
      else await runTask(task, deliveryDependencies, budget, endGone);
      send({ kind: "done", peakRssBytes: sample() });
    } catch (error) {
      send({ kind: "done", error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), peakRssBytes: sample() });
    }
  });
} else {
  // Today's model: one invocation reads and posts every recipient, until Lambda ends it.
  await new Promise((resolve) => process.once("message", resolve));
  const timeout = setTimeout(() => process.exit(0), Number(timeoutText));
  await fanOut(recipientPages(deliveryDependencies.recipients, { kind: "everyone" }, 1000, new Date()), frame, deliveryDependencies.fanOut);
  clearTimeout(timeout);
  send({ kind: "done", peakRssBytes: sample() });
  process.exit(0);
}
