/** The connections table as the local stack (dynalite) and the tests create it; infra/ declares the same. */
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { connectionAttributes } from "../functions/core/ports.js";

export interface ConnectionsTable {
  readonly tableName: string;
  readonly userIndexName: string;
}

/** Creates the table unless it exists (a restarted local stack reuses its data). */
export async function ensureConnectionsTable(client: DynamoDBClient, { tableName, userIndexName }: ConnectionsTable): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, userId } = connectionAttributes;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: "S" },
        { AttributeName: userId, AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: partitionKey, KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: userIndexName,
          KeySchema: [{ AttributeName: userId, KeyType: "HASH" }],
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
    }),
  );
}
