/**
 * DynamoDB's TTL, which dynalite lacks: items whose `ttl` has passed are deleted, as AWS does
 * (AWS within days; here every few seconds, so that tests need not wait).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { TableKeys } from "./tables.js";

export interface TtlSweeper {
  /** One pass over every table; resolves with the number of items deleted. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a pass in flight, so that nothing queries a closed database. */
  stop(): Promise<void>;
}

export function startTtlSweeper(client: DynamoDBClient, tables: readonly TableKeys[], intervalMs: number, onError: (error: unknown) => void): TtlSweeper {
  const documents = DynamoDBDocumentClient.from(client);

  async function sweepTable({ tableName, keys, ttl }: TableKeys): Promise<number> {
    let deleted = 0;
    const names = Object.fromEntries(keys.map((key, index) => [`#k${index}`, key]));
    const pages = paginateScan(
      { client: documents },
      {
        TableName: tableName,
        ProjectionExpression: Object.keys(names).join(", "),
        FilterExpression: "#ttl < :now",
        ExpressionAttributeNames: { ...names, "#ttl": ttl },
        ExpressionAttributeValues: { ":now": Math.floor(Date.now() / 1000) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        await documents.send(new DeleteCommand({ TableName: tableName, Key: Object.fromEntries(keys.map((key) => [key, item[key]])) }));
        deleted += 1;
      }
    }
    return deleted;
  }

  async function sweep(): Promise<number> {
    let deleted = 0;
    for (const table of tables) deleted += await sweepTable(table);
    return deleted;
  }

  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= sweep()
      .then(() => undefined, onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
