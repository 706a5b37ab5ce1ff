/** A `ws` client for tests: collects what it receives; handshake outcomes as HTTP statuses. */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import type { ClientOptions } from "ws";
import WebSocket from "ws";

export class TestClient {
  readonly messages: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.messages.push(String(data));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, protocols?: string[], options?: ClientOptions): Promise<TestClient> {
    const socket = new WebSocket(url, protocols, options);
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(client));
      socket.once("error", reject);
    });
  }

  /** The message at `index` (0 = first ever received), waiting for it if needed. */
  async message(index: number): Promise<string> {
    while (this.messages.length <= index) await new Promise<void>((wake) => this.waiters.push(wake));
    return this.messages[index]!;
  }

  send(data: string | Buffer, options: { binary?: boolean; fin?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, options, (error) => (error ? reject(error) : resolve())));
  }
}

/** The HTTP status a handshake ends with (101 when it upgrades), and the 101's subprotocol. */
export function handshake(url: string, protocols?: string[], options?: ClientOptions): Promise<{ status: number; protocol?: string; body?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    socket.once("open", () => {
      resolve({ status: 101, protocol: socket.protocol });
      socket.close();
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

/**
 * A WebSocket handshake written by hand, for what `ws` will not send: repeated or oddly named
 * headers. Resolves the response's status code (101 when it upgrades); the socket is then closed.
 */
export function rawHandshake(url: string, headerLines: string[] = []): Promise<number> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const key = randomBytes(16).toString("base64");
      const lines = [`GET ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Key: ${key}`, "Sec-WebSocket-Version: 13", ...headerLines];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (status) {
        resolve(Number(status[1]));
        socket.destroy();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`connection closed without a status line: ${JSON.stringify(head)}`)));
  });
}
