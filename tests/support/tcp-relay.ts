/** A TCP relay in front of a local endpoint, so that a test can lose a client's connections as a network does. */
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpRelay {
  /** The relay's port on 127.0.0.1. */
  readonly port: number;
  /** Connections relayed so far. */
  relayed(): number;
  /**
   * Resets every connection relayed at the moment, both ways: neither end gets a close frame or
   * a goodbye, as when a network goes away. New connections are relayed as before.
   */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { readonly host: string; readonly port: number }): Promise<TcpRelay> {
  const open = new Set<Socket>();
  let relayed = 0;
  const server = createServer((client) => {
    relayed++;
    const upstream = createConnection(target);
    const end = () => {
      for (const socket of [client, upstream]) {
        socket.destroy();
        open.delete(socket);
      }
    };
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("error", end).on("close", end);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    relayed: () => relayed,
    cut() {
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
