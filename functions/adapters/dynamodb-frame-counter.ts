/** The rate limiter's window counter on DynamoDB: one conditional `UpdateItem` per frame, no read. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { TakeFrame } from "../core/rate-limit.js";
import { rateLimitAttributes as names } from "../core/ports.js";
import { conditionalWrite } from "./conditional-write.js";

export function createDynamoDbFrameCounter({ client, tableName }: { client: DynamoDBClient; tableName: string }): TakeFrame {
  const documents = DynamoDBDocumentClient.from(client);
  return (userId, window, burst) =>
    conditionalWrite(
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [names.bucket]: `${userId}#${window.index}` },
          UpdateExpression: "ADD #frames :one SET #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#frames) OR #frames < :burst",
          ExpressionAttributeNames: { "#frames": names.frames, "#ttl": names.ttl },
          // A minute past the window's end: long enough for clock skew between instances.
          ExpressionAttributeValues: { ":one": 1, ":burst": burst, ":ttl": Math.ceil(window.endsAt / 1000) + 60 },
        }),
      ),
    );
}
