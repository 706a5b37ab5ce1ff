/** ConnectionStore on DynamoDB: one item per connection, a GSI on `userId`. */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  paginateScan,
} from "@aws-sdk/lib-dynamodb";
import { connectionAttributes, handshakeGraceMs, type ConnectionRecord, type ConnectionStore } from "../core/ports.js";

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly userIndexName: string;
  /** Items per Scan/Query page; DynamoDB's 1 MB pages when unset. */
  readonly pageSize?: number;
}

export function createDynamoDbStore({ client, tableName, userIndexName, pageSize }: DynamoDbStoreOptions): ConnectionStore {
  const documents = DynamoDBDocumentClient.from(client);
  const key = connectionAttributes.partitionKey;
  const paging = { client: documents, ...(pageSize === undefined ? {} : { pageSize }) };

  async function* ids(pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>): AsyncIterable<string[]> {
    for await (const page of pages) yield (page.Items ?? []).map((item) => String(item[key]));
  }

  return {
    async save(record: ConnectionRecord) {
      await documents.send(new PutCommand({ TableName: tableName, Item: { ...record } }));
    },
    async remove(connectionId) {
      await documents.send(new DeleteCommand({ TableName: tableName, Key: { [key]: connectionId } }));
    },
    async removeStale(connectionId) {
      try {
        await documents.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { [key]: connectionId },
            ConditionExpression: "#connectedAt < :cutoff",
            ExpressionAttributeNames: { "#connectedAt": "connectedAt" },
            ExpressionAttributeValues: { ":cutoff": Date.now() - handshakeGraceMs },
          }),
        );
      } catch (error) {
        // Too young to be stale (or already gone): keep it, as the condition says.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
    allConnectionIds() {
      return ids(paginateScan(paging, { TableName: tableName, ProjectionExpression: "#id", ExpressionAttributeNames: { "#id": key } }));
    },
    expiredConnectionIds(nowSeconds) {
      return ids(
        paginateScan(paging, {
          TableName: tableName,
          ProjectionExpression: "#id",
          FilterExpression: "#expires < :now OR #ttl < :now",
          ExpressionAttributeNames: { "#id": key, "#expires": connectionAttributes.tokenExpiresAt, "#ttl": connectionAttributes.ttl },
          ExpressionAttributeValues: { ":now": nowSeconds },
        }),
      );
    },
    connectionIdsOfUser(userId) {
      return ids(
        paginateQuery(paging, {
          TableName: tableName,
          IndexName: userIndexName,
          KeyConditionExpression: "#user = :user",
          ProjectionExpression: "#id",
          ExpressionAttributeNames: { "#user": connectionAttributes.userId, "#id": key },
          ExpressionAttributeValues: { ":user": userId },
        }),
      );
    },
  };
}
