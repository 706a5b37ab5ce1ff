/** ConnectionStore on DynamoDB: one item per connection, a GSI on `userId`. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand, paginateQuery, paginateScan, type UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { conditionalWrite } from "./conditional-write.js";
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

  /** The connection's item: its table and key. */
  const itemOf = (connectionId: string) => ({ TableName: tableName, Key: { [key]: connectionId } });
  /** Updates the connection's item where the update's condition holds: true when it did. */
  const updateWhere = (connectionId: string, update: Omit<UpdateCommandInput, "TableName" | "Key">) =>
    conditionalWrite(documents.send(new UpdateCommand({ ...itemOf(connectionId), ...update })));

  async function* ids(pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>): AsyncIterable<string[]> {
    for await (const page of pages) yield (page.Items ?? []).map((item) => String(item[key]));
  }

  return {
    async save(record: ConnectionRecord) {
      await documents.send(new PutCommand({ TableName: tableName, Item: { ...record } }));
    },
    async remove(connectionId) {
      await documents.send(new DeleteCommand(itemOf(connectionId)));
    },
    async removeStale(connectionId) {
      // Too young to be stale (or already gone): kept, as the condition says.
      await conditionalWrite(
        documents.send(
          new DeleteCommand({
            ...itemOf(connectionId),
            ConditionExpression: "#connectedAt < :cutoff",
            ExpressionAttributeNames: { "#connectedAt": "connectedAt" },
            ExpressionAttributeValues: { ":cutoff": Date.now() - handshakeGraceMs },
          }),
        ),
      );
    },
    async groupsOf(connectionId) {
      const { Item } = await documents.send(
        new GetCommand({ ...itemOf(connectionId), ProjectionExpression: "#groups", ExpressionAttributeNames: { "#groups": "groups" } }),
      );
      return (Item?.groups as string[] | undefined) ?? [];
    },
    reauthenticate(connectionId, userId, tokenExpiresAt, groups) {
      return updateWhere(connectionId, {
        UpdateExpression: "SET #expires = :expires, #groups = :groups",
        ConditionExpression: "#user = :user",
        ExpressionAttributeNames: { "#expires": connectionAttributes.tokenExpiresAt, "#groups": "groups", "#user": connectionAttributes.userId },
        ExpressionAttributeValues: { ":expires": tokenExpiresAt, ":groups": [...groups], ":user": userId },
      });
    },
    async *dueForHandover(cutoffMs) {
      const pages = paginateScan(paging, {
        TableName: tableName,
        ProjectionExpression: "#id, #connectedAt",
        FilterExpression: "#connectedAt < :cutoff AND attribute_not_exists(#told)",
        ExpressionAttributeNames: { "#id": key, "#connectedAt": "connectedAt", "#told": "handoverAt" },
        ExpressionAttributeValues: { ":cutoff": cutoffMs },
      });
      for await (const page of pages) {
        yield (page.Items ?? []).map((item) => ({ connectionId: String(item[key]), connectedAt: Number(item.connectedAt) }));
      }
    },
    markHandover(connectionId, nowMs) {
      return updateWhere(connectionId, {
        UpdateExpression: "SET #told = :now",
        ConditionExpression: "attribute_exists(#id) AND attribute_not_exists(#told)",
        ExpressionAttributeNames: { "#told": "handoverAt", "#id": key },
        ExpressionAttributeValues: { ":now": nowMs },
      });
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
