import { fromAuthorizerContext } from "../../core/claims.js";
import type { Sender } from "../../core/channels.js";
import type { WebSocketEvent } from "./events.js";
import { settings } from "./messaging.js";

/** Who sent a frame, from the identity the authorizer attached at `$connect`. */
export function senderOf({ requestContext }: WebSocketEvent): Sender {
  const identity = fromAuthorizerContext(requestContext.authorizer);
  if (!identity) throw new Error("no authorizer identity on this connection");
  return {
    connectionId: requestContext.connectionId,
    userId: identity.userId,
    username: identity.username,
    groups: identity.groups,
    // The connection record's own TTL: a subscription ends with its connection.
    ttl: Math.floor(requestContext.connectedAt / 1000) + settings.connectionTtlSeconds,
  };
}
