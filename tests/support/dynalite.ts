/** dynalite on 127.0.0.1 (random port), in memory, with the connections table. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureConnectionsTable, type ConnectionsTable } from "../../local/connections-table.js";
import { startDynalite } from "../../local/dynamodb.js";

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export const testTable: ConnectionsTable = { tableName: "connections", userIndexName: "userId-index" };

export async function startDynamoDb(table: ConnectionsTable = testTable): Promise<LocalDynamoDb> {
  const server = await startDynalite({ host: "127.0.0.1", port: 0 });
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await ensureConnectionsTable(client, table);
  return {
    endpoint: server.endpoint,
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
