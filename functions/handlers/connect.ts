/**
 * `$connect` (after the authorizer allowed it): hold the user to `maxConnectionsPerUser` (429),
 * record the connection, select the subprotocol.
 */
import { fromAuthorizerContext } from "../core/claims.js";
import { hasRoomFor } from "../core/connection-cap.js";
import { newConnectionRecord } from "../core/connections.js";
import { selectSubprotocol } from "../core/token-source.js";
import type { WebSocketEvent, WebSocketResult } from "./shared/events.js";
import { describe, logger, withLambdaContext } from "./shared/logger.js";
import { fanOutDependencies, notifier, settings, store } from "./shared/messaging.js";

const cap = { store, exists: notifier.exists, forget: fanOutDependencies.forget };

export const handler = withLambdaContext(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, connectedAt, authorizer } = event.requestContext;
  logger.appendKeys({ connectionId });
  const identity = fromAuthorizerContext(authorizer);
  if (!identity) {
    // Reachable only when the route is deployed without the authorizer, or the identity could not be
    // stored (an expiry beyond 2^53): refuse rather than guess.
    logger.error("no usable authorizer identity on $connect");
    return { statusCode: 401 };
  }
  try {
    if (!(await hasRoomFor(identity.userId, settings.maxConnectionsPerUser, cap))) {
      logger.info("refused: connections per user", { userId: identity.userId, maxConnectionsPerUser: settings.maxConnectionsPerUser });
      return { statusCode: 429 };
    }
    await store.save(newConnectionRecord({ connectionId, identity, connectedAt, ttlSeconds: settings.connectionTtlSeconds }));
  } catch (error) {
    // An unrecorded connection could never be reached (or counted): refuse the handshake instead.
    logger.error("could not record connection", { error: describe(error) });
    return { statusCode: 500 };
  }
  logger.info("connected", { userId: identity.userId });
  const protocol = selectSubprotocol(event);
  return protocol === undefined ? { statusCode: 200 } : { statusCode: 200, headers: { "Sec-WebSocket-Protocol": protocol } };
});
