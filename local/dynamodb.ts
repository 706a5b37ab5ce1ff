/** dynalite: the DynamoDB API on 127.0.0.1, in process, on disk when given a directory. */
import dynalite from "dynalite";
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { listen } from "./ports.js";

export interface LocalDynamoDbServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite({ host, port, directory }: { host: string; port: number; directory?: string }): Promise<LocalDynamoDbServer> {
  if (directory) await mkdir(directory, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(directory ? { path: directory } : {}) });
  await listen(server, host, port, "DynamoDB (dynalite)");
  return {
    endpoint: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
