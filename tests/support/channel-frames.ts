/** Reading the channel protocol's JSON frames off a test client. */
import type { TestClient } from "./ws-client.js";

export type Frame = Record<string, any>;

/** Every frame the client received that is a JSON object, in order. */
export const framesOf = (client: TestClient): Frame[] =>
  client.messages.flatMap((text) => {
    try {
      const value = JSON.parse(text);
      return typeof value === "object" && value !== null && !Array.isArray(value) ? [value as Frame] : [];
    } catch {
      return [];
    }
  });

/** The first frame matching, waiting for it (the test's timeout bounds the wait). */
export async function frame(client: TestClient, match: (frame: Frame) => boolean): Promise<Frame> {
  for (;;) {
    const count = client.messages.length;
    const found = framesOf(client).find(match);
    if (found) return found;
    await client.message(count);
  }
}

/** Sends a frame and waits for the reply that carries its `id`. */
export async function request(client: TestClient, body: Frame): Promise<Frame> {
  await client.send(JSON.stringify(body));
  return frame(client, (reply) => reply.id === body.id && (reply.type !== undefined || reply.error !== undefined));
}

/** The `message` frames of a channel the client received, in arrival order. */
export const messagesOf = (client: TestClient, channel: string): Frame[] =>
  framesOf(client).filter((received) => received.type === "message" && received.channel === channel);
