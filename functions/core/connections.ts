import type { Identity } from "./claims.js";
import type { ConnectionRecord } from "./ports.js";

export interface NewConnection {
  readonly connectionId: string;
  readonly identity: Identity;
  /** Epoch milliseconds, from `requestContext.connectedAt`. */
  readonly connectedAt: number;
  readonly ttlSeconds: number;
}

export function newConnectionRecord({ connectionId, identity, connectedAt, ttlSeconds }: NewConnection): ConnectionRecord {
  return {
    connectionId,
    userId: identity.userId,
    username: identity.username,
    connectedAt,
    tokenExpiresAt: identity.tokenExpiresAt,
    groups: identity.groups,
    ttl: Math.floor(connectedAt / 1000) + ttlSeconds,
  };
}
