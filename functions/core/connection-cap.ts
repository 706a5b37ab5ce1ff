/** `maxConnectionsPerUser`: whether a user may open one more connection. */
import type { ConnectionStore } from "./ports.js";

export interface CapDependencies {
  readonly store: Pick<ConnectionStore, "connectionIdsOfUser">;
  /** Whether API Gateway still knows a connection. */
  readonly exists: (connectionId: string) => Promise<boolean>;
  /** Ends a connection found gone: its record and subscriptions. */
  readonly forget: (connectionId: string) => Promise<void>;
}

/**
 * True while the user holds fewer than `max` connections (0: no cap). Only at the cap are the
 * records checked against API Gateway: a record whose `$disconnect` never came, and which its TTL
 * has not yet removed, must not hold a slot, so gone ones are forgotten and not counted.
 */
export async function hasRoomFor(userId: string, max: number, { store, exists, forget }: CapDependencies): Promise<boolean> {
  if (max === 0) return true;
  const ids: string[] = [];
  for await (const page of store.connectionIdsOfUser(userId)) ids.push(...page);
  if (ids.length < max) return true;
  let open = 0;
  for (const id of ids) {
    if (await exists(id)) open += 1;
    else await forget(id);
    if (open >= max) return false;
  }
  return true;
}
