/**
 * The tables as the local stack (dynalite) and the tests create them, from the descriptions infra/
 * declares them by (functions/tables.ts).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { keyAttributes, tables, type TableDescription, type TableName } from "../functions/tables.js";

/** The local physical name of each table, as the functions' settings name them. */
export interface TableNames {
  readonly connectionsTableName: string;
  readonly userIndexName: string;
  readonly subscriptionsTableName: string;
  readonly channelMessagesTableName: string;
  readonly rateLimitsTableName: string;
  readonly deliveriesTableName: string;
}

export const localTableNames: TableNames = {
  connectionsTableName: "connections",
  userIndexName: tables.connections.index!.name,
  subscriptionsTableName: "subscriptions",
  channelMessagesTableName: "channel-messages",
  rateLimitsTableName: "rate-limits",
  deliveriesTableName: "deliveries",
};

const physicalNames = (names: TableNames): Record<TableName, string> => ({
  connections: names.connectionsTableName,
  subscriptions: names.subscriptionsTableName,
  channelMessages: names.channelMessagesTableName,
  rateLimits: names.rateLimitsTableName,
  deliveries: names.deliveriesTableName,
});

/** What the TTL emulation needs of a table: its name and key attributes. */
export interface TableKeys {
  readonly tableName: string;
  readonly keys: readonly string[];
  readonly ttl: string;
}

function createTableInput(tableName: string, table: TableDescription): CreateTableCommandInput {
  const { index } = table;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: keyAttributes(table).map(({ name, type }) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: [
      { AttributeName: table.hashKey.name, KeyType: "HASH" },
      ...(table.rangeKey ? [{ AttributeName: table.rangeKey.name, KeyType: "RANGE" as const }] : []),
    ],
    ...(index
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: index.name,
              KeySchema: [{ AttributeName: index.hashKey.name, KeyType: "HASH" }],
              Projection: index.include ? { ProjectionType: "INCLUDE", NonKeyAttributes: [...index.include] } : { ProjectionType: "KEYS_ONLY" },
            },
          ],
        }
      : {}),
  };
}

/** The key attributes of each table, for deleting expired items. */
export const tableKeys = (names: TableNames): TableKeys[] =>
  (Object.entries(physicalNames(names)) as [TableName, string][]).map(([name, tableName]) => {
    const table = tables[name];
    return { tableName, keys: [table.hashKey, table.rangeKey].flatMap((key) => (key ? [key.name] : [])), ttl: table.ttl };
  });

/** Creates the tables that do not exist yet (a restarted local stack reuses its data). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [name, tableName] of Object.entries(physicalNames(names)) as [TableName, string][]) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await client.send(new CreateTableCommand(createTableInput(tableName, tables[name])));
    }
  }
}
