/**
 * DynamoDB's TTL, which dynalite lacks: records whose `ttl` has passed are deleted, as AWS does
 * (AWS within days; here every few seconds, so that tests need not wait).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import { connectionAttributes } from "../functions/core/ports.js";

export interface TtlSweeper {
  /** One pass; resolves with the number of records deleted. */
  sweep(): Promise<number>;
  /** Stops the timer and waits for a pass in flight, so that nothing queries a closed database. */
  stop(): Promise<void>;
}

export function startTtlSweeper(client: DynamoDBClient, tableName: string, intervalMs: number, onError: (error: unknown) => void): TtlSweeper {
  const documents = DynamoDBDocumentClient.from(client);
  const { partitionKey, ttl } = connectionAttributes;

  async function sweep(): Promise<number> {
    let deleted = 0;
    const pages = paginateScan(
      { client: documents },
      {
        TableName: tableName,
        ProjectionExpression: "#id",
        FilterExpression: "#ttl < :now",
        ExpressionAttributeNames: { "#id": partitionKey, "#ttl": ttl },
        ExpressionAttributeValues: { ":now": Math.floor(Date.now() / 1000) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        await documents.send(new DeleteCommand({ TableName: tableName, Key: { [partitionKey]: item[partitionKey] } }));
        deleted += 1;
      }
    }
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
