/** `$disconnect`: forget the connection. */
import type { WebSocketEvent, WebSocketResult } from "./shared/events.js";
import { describe, logger, withLambdaContext } from "./shared/logger.js";
import { store } from "./shared/messaging.js";

export const handler = withLambdaContext(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, disconnectStatusCode, disconnectReason } = event.requestContext;
  logger.appendKeys({ connectionId });
  try {
    await store.remove(connectionId);
    logger.info("disconnected", { disconnectStatusCode, disconnectReason });
  } catch (error) {
    // The record's TTL (and the 410 path) will remove it later.
    logger.error("could not remove connection", { error: describe(error) });
  }
  return { statusCode: 200 };
});
