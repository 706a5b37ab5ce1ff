/**
 * The tables as the local stack (dynalite) and the tests create them; infra/ declares the same:
 * the connections table, the channels' subscriptions and messages tables, and the rate limiter's.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { channelAttributes as channel, connectionAttributes as connection, rateLimitAttributes as rateLimit } from "../functions/core/ports.js";

export interface TableNames {
  readonly connectionsTableName: string;
  readonly userIndexName: string;
  readonly subscriptionsTableName: string;
  readonly channelMessagesTableName: string;
  readonly rateLimitsTableName: string;
}

export const localTableNames: TableNames = {
  connectionsTableName: "connections",
  userIndexName: connection.userIndexName,
  subscriptionsTableName: "subscriptions",
  channelMessagesTableName: "channel-messages",
  rateLimitsTableName: "rate-limits",
};

/** What the TTL emulation needs of a table: its name and key attributes. */
export interface TableKeys {
  readonly tableName: string;
  readonly keys: readonly string[];
}

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  const string = (AttributeName: string) => ({ AttributeName, AttributeType: "S" as const });
  return [
    {
      TableName: names.connectionsTableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [string(connection.partitionKey), string(connection.userId)],
      KeySchema: [{ AttributeName: connection.partitionKey, KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        { IndexName: names.userIndexName, KeySchema: [{ AttributeName: connection.userId, KeyType: "HASH" }], Projection: { ProjectionType: "KEYS_ONLY" } },
      ],
    },
    {
      TableName: names.subscriptionsTableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [string(channel.channel), string(channel.member), string(channel.connectionId)],
      KeySchema: [
        { AttributeName: channel.channel, KeyType: "HASH" },
        { AttributeName: channel.member, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: channel.connectionIndexName,
          KeySchema: [{ AttributeName: channel.connectionId, KeyType: "HASH" }],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["userId", "username"] },
        },
      ],
    },
    {
      TableName: names.channelMessagesTableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [string(channel.channel), { AttributeName: channel.seq, AttributeType: "N" }],
      KeySchema: [
        { AttributeName: channel.channel, KeyType: "HASH" },
        { AttributeName: channel.seq, KeyType: "RANGE" },
      ],
    },
    {
      TableName: names.rateLimitsTableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [string(rateLimit.bucket)],
      KeySchema: [{ AttributeName: rateLimit.bucket, KeyType: "HASH" }],
    },
  ];
}

/** The key attributes of each table, for deleting expired items. */
export const tableKeys = (names: TableNames): TableKeys[] =>
  tableDefinitions(names).map((table) => ({ tableName: table.TableName!, keys: table.KeySchema!.map((key) => key.AttributeName!) }));

/** Creates the tables that do not exist yet (a restarted local stack reuses its data). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const definition of tableDefinitions(names)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await client.send(new CreateTableCommand(definition));
    }
  }
}
