/**
 * The deliver workers' shared state on DynamoDB, in one table: per fan-out a `total` item (shards
 * planned and done) and a `shard#n` item per shard (its lease, which recipients it settled, its
 * counts); per second a `pace` item counting the `@connections` requests all workers were allowed.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { deliveryAttributes as names, type DeliveryCounts, type Pace, type ShardLedger } from "../core/ports.js";
import { conditionalWrite } from "./conditional-write.js";

export interface DynamoDbDeliveryOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** How long a fan-out's items are kept after their last write. */
const keepSeconds = 86_400;
const countNames = ["recipients", "delivered", "gone", "failed", "throttled"] as const;

const shardKey = (jobId: string, shard: number) => ({ [names.job]: jobId, [names.part]: `shard#${shard}` });
const totalKey = (jobId: string) => ({ [names.job]: jobId, [names.part]: "total" });
const expiry = (nowMs = Date.now()) => Math.floor(nowMs / 1000) + keepSeconds;

export function createDynamoDbShardLedger({ client, tableName }: DynamoDbDeliveryOptions): ShardLedger {
  const documents = DynamoDBDocumentClient.from(client);

  /** The fan-out's totals when every planned shard is done. */
  const totalsIfDone = async (jobId: string, total: Record<string, unknown> | undefined): Promise<(DeliveryCounts & { shards: number }) | undefined> => {
    const shards = total?.shards;
    if (typeof shards !== "number" || Number(total?.done ?? 0) < shards) return undefined;
    const sums: Record<string, number> = Object.fromEntries(countNames.map((name) => [name, 0]));
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          ConsistentRead: true,
          KeyConditionExpression: "#job = :job AND begins_with(#part, :shard)",
          ExpressionAttributeNames: { "#job": names.job, "#part": names.part },
          ExpressionAttributeValues: { ":job": jobId, ":shard": "shard#" },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) for (const name of countNames) sums[name]! += Number(item[name] ?? 0);
      start = page.LastEvaluatedKey;
    } while (start);
    return { ...(sums as unknown as DeliveryCounts), shards };
  };

  return {
    async claim(jobId, shard, recipients, leaseUntilMs, nowMs) {
      try {
        const { Attributes } = await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: shardKey(jobId, shard),
            UpdateExpression: "SET #lease = :until, #recipients = :recipients, #ttl = :ttl",
            ConditionExpression: "attribute_not_exists(#complete) AND (attribute_not_exists(#lease) OR #lease < :now)",
            ExpressionAttributeNames: { "#lease": "leaseUntil", "#recipients": "recipients", "#ttl": names.ttl, "#complete": "complete" },
            ExpressionAttributeValues: { ":until": leaseUntilMs, ":recipients": recipients, ":ttl": expiry(nowMs), ":now": nowMs },
            ReturnValues: "ALL_NEW",
          }),
        );
        return {
          state: "claimed",
          progress: { settledBelow: Number(Attributes?.settledBelow ?? 0), settledAbove: ((Attributes?.settledAbove as number[] | undefined) ?? []).map(Number) },
        };
      } catch (error) {
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: shardKey(jobId, shard), ConsistentRead: true }));
        return { state: Item?.complete === true ? "complete" : "busy" };
      }
    },
    async record(jobId, shard, { settledBelow, settledAbove }, counts) {
      const added = Object.entries(counts).filter(([, value]) => value !== undefined && value > 0);
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: shardKey(jobId, shard),
          UpdateExpression: `SET #below = :below, #above = :above${added.length > 0 ? ` ADD ${added.map(([name]) => `#${name} :${name}`).join(", ")}` : ""}`,
          ExpressionAttributeNames: { "#below": "settledBelow", "#above": "settledAbove", ...Object.fromEntries(added.map(([name]) => [`#${name}`, name])) },
          ExpressionAttributeValues: { ":below": settledBelow, ":above": settledAbove, ...Object.fromEntries(added.map(([name, value]) => [`:${name}`, value])) },
        }),
      );
    },
    async release(jobId, shard) {
      await documents.send(
        new UpdateCommand({ TableName: tableName, Key: shardKey(jobId, shard), UpdateExpression: "SET #lease = :zero", ExpressionAttributeNames: { "#lease": "leaseUntil" }, ExpressionAttributeValues: { ":zero": 0 } }),
      );
    },
    async complete(jobId, shard) {
      const first = await conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: shardKey(jobId, shard),
            UpdateExpression: "SET #complete = :true REMOVE #lease",
            ConditionExpression: "attribute_not_exists(#complete)",
            ExpressionAttributeNames: { "#complete": "complete", "#lease": "leaseUntil" },
            ExpressionAttributeValues: { ":true": true },
          }),
        ),
      );
      // Counted once, by the attempt that completed it.
      if (!first) return undefined;
      const { Attributes } = await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: totalKey(jobId),
          UpdateExpression: "ADD #done :one SET #ttl = :ttl",
          ExpressionAttributeNames: { "#done": "done", "#ttl": names.ttl },
          ExpressionAttributeValues: { ":one": 1, ":ttl": expiry() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return totalsIfDone(jobId, Attributes);
    },
    async planned(jobId, shards) {
      const { Attributes } = await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: totalKey(jobId),
          UpdateExpression: "SET #shards = :shards, #ttl = :ttl",
          ExpressionAttributeNames: { "#shards": "shards", "#ttl": names.ttl },
          ExpressionAttributeValues: { ":shards": shards, ":ttl": expiry() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return totalsIfDone(jobId, Attributes);
    },
  };
}

export interface DynamoDbPaceOptions extends DynamoDbDeliveryOptions {
  /** Requests per second all workers make together. */
  readonly ratePerSecond: number;
  /** Requests claimed at once: fewer writes, but more left unused at a second's end. */
  readonly claim: number;
}

/**
 * The shared pace: a counter per second, raised by conditional updates in claims of a few
 * requests; a claim the second cannot hold waits for the next second. A worker spends what it
 * claimed within that second, before it claims again; what is left when the second ends lapses, so
 * that no second sees more than the rate.
 */
export function createDynamoDbPace({ client, tableName, ratePerSecond, claim }: DynamoDbPaceOptions): Pace {
  const documents = DynamoDBDocumentClient.from(client);
  const size = Math.max(1, Math.min(claim, ratePerSecond));
  let available = 0;
  let availableIn = 0;
  let claiming: Promise<void> | undefined;

  const take = async (): Promise<void> => {
    for (;;) {
      const nowMs = Date.now();
      const second = Math.floor(nowMs / 1000);
      const taken = await conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [names.job]: "pace", [names.part]: String(second) },
            UpdateExpression: "ADD #posts :n SET #ttl = :ttl",
            ConditionExpression: "attribute_not_exists(#posts) OR #posts <= :most",
            ExpressionAttributeNames: { "#posts": "posts", "#ttl": names.ttl },
            ExpressionAttributeValues: { ":n": size, ":most": ratePerSecond - size, ":ttl": second + 60 },
          }),
        ),
      );
      if (taken) {
        available = size;
        availableIn = second;
        return;
      }
      // This second is spent: try again as the next begins (a little spread, so that workers do not collide).
      await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - nowMs + Math.random() * 20));
    }
  };

  return async () => {
    if (availableIn !== Math.floor(Date.now() / 1000)) available = 0;
    while (available === 0) {
      claiming ??= take().finally(() => (claiming = undefined));
      await claiming;
    }
    available -= 1;
  };
}
