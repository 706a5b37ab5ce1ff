/** `$disconnect`: forget the connection and its subscriptions; its channels hear it left. */
import type { WebSocketEvent, WebSocketResult } from "./shared/events.js";
import { describe, logger, withLambdaContext } from "./shared/logger.js";
import { forgetConnections } from "../core/channels.js";
import { channelDependencies, store } from "./shared/messaging.js";

export const handler = withLambdaContext(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, disconnectStatusCode, disconnectReason } = event.requestContext;
  logger.appendKeys({ connectionId });
  try {
    await store.remove(connectionId);
    await forgetConnections([connectionId], channelDependencies);
    logger.info("disconnected", { disconnectStatusCode, disconnectReason });
  } catch (error) {
    // The records' TTL (and the 410 path) will remove them later.
    logger.error("could not remove connection", { error: describe(error) });
  }
  return { statusCode: 200 };
});
