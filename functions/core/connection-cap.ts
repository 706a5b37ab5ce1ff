/** `maxConnectionsPerUser`: whether a user may open one more connection. */
import type { FanOutDependencies } from "./fan-out.js";
import type { ConnectionStore } from "./ports.js";

export interface CapDependencies {
  readonly store: Pick<ConnectionStore, "connectionIdsOfUser">;
  /** Whether API Gateway still knows a connection. */
  readonly exists: (connectionId: string) => Promise<boolean>;
  /** Ends the connections found gone (their records and subscriptions), as a fan-out does. */
  readonly forget: FanOutDependencies["forget"];
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
  const gone: string[] = [];
  for (const id of ids) {
    if (await exists(id)) open += 1;
    else gone.push(id);
    if (open >= max) return false;
  }
  await forget(gone);
  return true;
}
