/**
 * `reauth`: a fresh token for an open connection, verified exactly as at `$connect` (the same
 * verifier, policy and strict token form) and required to name the same user. The connection's
 * token expiry and groups are replaced, so the expiry sweeper and the channel rules use the new
 * ones; a refused token changes nothing.
 */
import type { Decision } from "./claims.js";
import { RequestError } from "./errors.js";
import type { ConnectionStore } from "./ports.js";

export interface ReauthDependencies {
  /** The `$connect` decision for a token in hand. */
  readonly decide: (token: unknown) => Promise<Decision>;
  readonly store: Pick<ConnectionStore, "reauthenticate">;
}

export interface ReauthRequest {
  readonly token: unknown;
  readonly id?: string;
}

/** Resolves with the new expiry (epoch seconds); throws `Unauthorized` for a refused token. */
export async function reauthenticate(request: ReauthRequest, sender: { connectionId: string; userId: string }, { decide, store }: ReauthDependencies): Promise<number> {
  const decision = await decide(request.token);
  // One answer for every refusal: which check failed is for the log, never for the client.
  const refused = (reason: string) => new RequestError("Unauthorized", "The token was refused; the connection keeps its current expiry", { reason });
  if (decision.effect !== "Allow") throw refused(decision.reason);
  const { identity } = decision;
  if (identity.userId !== sender.userId) throw refused("token of another user");
  if (!(await store.reauthenticate(sender.connectionId, sender.userId, identity.tokenExpiresAt, identity.groups))) throw refused("connection record gone");
  return identity.tokenExpiresAt;
}

export const reauthenticatedFrame = (id: string | undefined, expiresAt: number): string => JSON.stringify({ type: "reauthenticated", id, expiresAt });
