/** dynalite on 127.0.0.1 (random port), in memory, with the local stack's tables. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureTables, localTableNames, type TableNames } from "../../local/tables.js";
import { startDynalite } from "../../local/dynamodb.js";

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export const testTables: TableNames = localTableNames;

export async function startDynamoDb(tables: TableNames = testTables): Promise<LocalDynamoDb> {
  const server = await startDynalite({ host: "127.0.0.1", port: 0 });
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await ensureTables(client, tables);
  return {
    endpoint: server.endpoint,
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
