/**
 * `deliver` (invoked asynchronously, not routed): one task of a fan-out too large for the
 * invocation that accepted it — read its recipients into shards, or deliver one shard.
 */
// First: the shared wiring below reads the function's name from the environment it sets.
import "./shared/deliver-self.js";
import type { Context } from "aws-lambda";
import { deliverShard, planShards } from "../core/delivery.js";
import type { DeliveryTask } from "../core/ports.js";
import { logger } from "./shared/logger.js";
import { deliveryDependencies } from "./shared/messaging.js";

export const handler = async (task: DeliveryTask, context: Context): Promise<void> => {
  logger.addContext(context);
  try {
    const budget = { remainingMs: () => context.getRemainingTimeInMillis() };
    logger.appendKeys({ job: task.job.id, task: task.kind, shard: task.shard });
    if (task.kind === "plan") await planShards(task, deliveryDependencies, budget);
    else await deliverShard(task, deliveryDependencies, budget);
  } finally {
    logger.resetKeys();
  }
};
