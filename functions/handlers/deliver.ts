/**
 * `deliver` (invoked asynchronously, not routed): one task of a fan-out too large for the
 * invocation that accepted it (read its recipients into shards, or deliver one shard), or the end
 * of connections a fan-out found gone.
 */
// First: the shared wiring below reads the function's name from the environment it sets.
import "./shared/deliver-self.js";
import type { Context } from "aws-lambda";
import { runTask } from "../core/delivery.js";
import type { DeliveryTask } from "../core/ports.js";
import { logger } from "./shared/logger.js";
import { deliveryDependencies, endGone } from "./shared/messaging.js";

export const handler = async (task: DeliveryTask, context: Context): Promise<void> => {
  logger.addContext(context);
  try {
    logger.appendKeys(task.kind === "forget" ? { task: task.kind, connections: task.connectionIds.length } : { task: task.kind, job: task.job.id, shard: task.shard });
    await runTask(task, deliveryDependencies, { remainingMs: () => context.getRemainingTimeInMillis() }, endGone);
  } finally {
    logger.resetKeys();
  }
};
