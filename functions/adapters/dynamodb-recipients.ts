/**
 * Recipients on DynamoDB: every connection (a Scan of the connections table), one user's (a Query
 * of its user index), a channel's live subscribers (a Query of the subscriptions table), a page of
 * at most `limit` at a time. The cursor is DynamoDB's `LastEvaluatedKey`, carried as text.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { channelAttributes, connectionAttributes, type Audience, type Recipients } from "../core/ports.js";

export interface DynamoDbRecipientsOptions {
  readonly client: DynamoDBClient;
  readonly connectionsTableName: string;
  readonly userIndexName: string;
  readonly subscriptionsTableName: string;
}

export function createDynamoDbRecipients({ client, connectionsTableName, userIndexName, subscriptionsTableName }: DynamoDbRecipientsOptions): Recipients {
  const documents = DynamoDBDocumentClient.from(client);
  const id = connectionAttributes.partitionKey;

  const read = (audience: Audience, nowSeconds: number) => {
    switch (audience.kind) {
      case "everyone":
        return new ScanCommand({ TableName: connectionsTableName, ProjectionExpression: "#id", ExpressionAttributeNames: { "#id": id } });
      case "user":
        return new QueryCommand({
          TableName: connectionsTableName,
          IndexName: userIndexName,
          KeyConditionExpression: "#user = :user",
          ProjectionExpression: "#id",
          ExpressionAttributeNames: { "#user": connectionAttributes.userId, "#id": id },
          ExpressionAttributeValues: { ":user": audience.userId },
        });
      case "channel":
        // Strongly consistent: a subscription stored just before a publish is seen by it.
        return new QueryCommand({
          TableName: subscriptionsTableName,
          ConsistentRead: true,
          KeyConditionExpression: "#channel = :channel",
          // DynamoDB deletes expired items lazily: they are left out here.
          FilterExpression: "#ttl > :now",
          ProjectionExpression: "#id",
          ExpressionAttributeNames: { "#channel": channelAttributes.channel, "#ttl": channelAttributes.ttl, "#id": channelAttributes.connectionId },
          ExpressionAttributeValues: { ":channel": audience.channel, ":now": nowSeconds },
        });
    }
  };

  return {
    async page(audience, limit, cursor, nowSeconds) {
      const command = read(audience, nowSeconds);
      command.input.Limit = limit;
      if (cursor !== undefined) command.input.ExclusiveStartKey = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Record<string, unknown>;
      const { Items = [], LastEvaluatedKey } = await (command instanceof ScanCommand ? documents.send(command) : documents.send(command));
      const except = audience.kind === "channel" ? audience.except : undefined;
      const connectionIds = Items.map((item) => String(item[audience.kind === "channel" ? channelAttributes.connectionId : id])).filter((connectionId) => connectionId !== except);
      return LastEvaluatedKey === undefined ? { connectionIds } : { connectionIds, next: Buffer.from(JSON.stringify(LastEvaluatedKey)).toString("base64url") };
    },
  };
}
