/** dynalite on 127.0.0.1 (random port), in memory, with the connections table. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import type { AddressInfo } from "node:net";
import { ensureConnectionsTable, type ConnectionsTable } from "../../local/connections-table.js";

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export const testTable: ConnectionsTable = { tableName: "connections", userIndexName: "userId-index" };

export async function startDynamoDb(table: ConnectionsTable = testTable): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await ensureConnectionsTable(client, table);
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
