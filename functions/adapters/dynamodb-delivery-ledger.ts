/**
 * The deliver workers' shared state on DynamoDB, in one table: per fan-out a `total` item (how many
 * shards, which are done, whether it was summarized) and a `shard#n` item per shard (its
 * recipients as planned, its lease, which of them it settled, its counts); per second a `pace#{second}`
 * item counting the `@connections` requests all workers were allowed (a partition per second: no
 * hot key).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { deliveryAttributes as names, type DeliveryCounts, type FanOutTotals, type Pace, type ShardLedger } from "../core/ports.js";
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
  const totalsIfDone = async (jobId: string, total: Record<string, unknown> | undefined): Promise<FanOutTotals | undefined> => {
    const shards = total?.shards;
    const completed = (total?.completed as Set<number> | undefined)?.size ?? 0;
    if (typeof shards !== "number" || completed < shards) return undefined;
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

  /** Adds to or sets one attribute of the fan-out's `total` item; its totals if that made it done. */
  const updateTotal = async (jobId: string, action: "ADD" | "SET", attribute: string, value: number | Set<number>) => {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: totalKey(jobId),
        UpdateExpression: action === "ADD" ? "ADD #value :value SET #ttl = :ttl" : "SET #value = :value, #ttl = :ttl",
        ExpressionAttributeNames: { "#value": attribute, "#ttl": names.ttl },
        ExpressionAttributeValues: { ":value": value, ":ttl": expiry() },
        ReturnValues: "ALL_NEW",
      }),
    );
    return totalsIfDone(jobId, Attributes);
  };

  const plannedOf = (item: Record<string, unknown> | undefined) =>
    item?.planned === true ? { connectionIds: (item.recipientIds as string[] | undefined) ?? [], ...(typeof item.next === "string" ? { next: item.next } : {}) } : undefined;
  const readShard = async (jobId: string, shard: number) =>
    (await documents.send(new GetCommand({ TableName: tableName, Key: shardKey(jobId, shard), ConsistentRead: true }))).Item;

  return {
    async plan(jobId, shard, read) {
      // Read first and record if nobody has: the common case is the first planner, at one write.
      const page = await read();
      const written = await conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: shardKey(jobId, shard),
            UpdateExpression: `SET #planned = :true, #ids = :ids, #ttl = :ttl${page.next === undefined ? "" : ", #next = :next"}`,
            ConditionExpression: "attribute_not_exists(#planned)",
            ExpressionAttributeNames: { "#planned": "planned", "#ids": "recipientIds", "#ttl": names.ttl, ...(page.next === undefined ? {} : { "#next": "next" }) },
            ExpressionAttributeValues: { ":true": true, ":ids": page.connectionIds, ":ttl": expiry(), ...(page.next === undefined ? {} : { ":next": page.next }) },
          }),
        ),
      );
      // Another planner recorded it first: its record is the plan.
      return written ? page : plannedOf(await readShard(jobId, shard))!;
    },
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
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: shardKey(jobId, shard),
          UpdateExpression: "SET #complete = :true REMOVE #lease",
          ExpressionAttributeNames: { "#complete": "complete", "#lease": "leaseUntil" },
          ExpressionAttributeValues: { ":true": true },
        }),
      );
      // A set: a shard completed twice (a retry after a crash between these writes) counts once.
      return updateTotal(jobId, "ADD", "completed", new Set([shard]));
    },
    planned: (jobId, shards) => updateTotal(jobId, "SET", "shards", shards),
    summarizing: (jobId) =>
      conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: totalKey(jobId),
            UpdateExpression: "SET #summarized = :true",
            ConditionExpression: "attribute_not_exists(#summarized)",
            ExpressionAttributeNames: { "#summarized": "summarized" },
            ExpressionAttributeValues: { ":true": true },
          }),
        ),
      ),
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

  const take = async (stopping: () => boolean): Promise<void> => {
    while (!stopping()) {
      const nowMs = Date.now();
      const second = Math.floor(nowMs / 1000);
      const taken = await conditionalWrite(
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [names.job]: `pace#${second}`, [names.part]: "posts" },
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

  return async (stopping = () => false) => {
    for (;;) {
      // What a past second allowed is not spent in this one.
      if (availableIn !== Math.floor(Date.now() / 1000)) available = 0;
      if (available > 0) {
        available -= 1;
        return true;
      }
      if (stopping()) return false;
      claiming ??= take(stopping).finally(() => (claiming = undefined));
      await claiming;
    }
  };
}
