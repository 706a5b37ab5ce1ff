/** Reconnect delays and token refresh timing: pure functions of their inputs. */

export interface BackoffPolicy {
  /** Delay ceiling of the first retry, in ms. */
  readonly baseMs: number;
  /** The ceiling never grows past this, in ms. */
  readonly maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before retry number `attempt` (0 = the first retry): exponential with "equal jitter",
 * i.e. uniformly random in [ceiling/2, ceiling] where ceiling = min(max, base·2^attempt). The
 * random half spreads many clients that lost the server at the same moment; the fixed half
 * guarantees a growing pause, so that a client can never spin in a tight loop.
 * @param random a number in [0, 1), Math.random in the page
 */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = defaultBackoff): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How long before expiry the page refreshes its ID token. */
export const defaultRefreshMarginMs = 5 * 60_000;

/**
 * When to refresh a token valid from `issuedAt` to `expiresAt` (epoch ms), as a delay from `now`:
 * `margin` before expiry, but never later than 80% into a short lifetime, and never negative.
 */
export function refreshDelay(token: { issuedAt: number; expiresAt: number }, now: number, marginMs: number = defaultRefreshMarginMs): number {
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  const margin = Math.min(marginMs, lifetime / 5);
  return Math.max(0, Math.round(token.expiresAt - margin - now));
}
