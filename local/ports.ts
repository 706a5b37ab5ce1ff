import type { Server } from "node:net";
import { createServer } from "node:net";

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

/** Listens, turning EADDRINUSE into an error that says which service and how to move it. */
export function listen(server: Server, host: string, port: number, service: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        error.code === "EADDRINUSE"
          ? new PortInUseError(`${service}: port ${port} on ${host} is already in use (stop the other process or choose another port)`)
          : error,
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** A port free right now, for services that must know their port before they start (cognito-local). */
export async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await listen(probe, host, 0, "port probe");
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Fails with a clear message when the port is taken, before a child process finds out less clearly. */
export async function assertPortFree(host: string, port: number, service: string): Promise<void> {
  const probe = createServer();
  await listen(probe, host, port, service);
  await new Promise((resolve) => probe.close(resolve));
}

/**
 * The Host values a browser or SDK sends for a local server on this port: 127.0.0.1, localhost or
 * [::1]. A page on another name re-pointed at 127.0.0.1 (DNS rebinding) sends its own name instead.
 */
export function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}
