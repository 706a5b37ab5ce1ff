/**
 * A bounded, per-instance cache of verified tokens, like API Gateway's REST authorizer cache but
 * one step earlier: it maps the exact token to the claims its successful verification returned,
 * until the token's `exp`. Policy (claims → Allow/Deny/Unauthorized) is not cached: the caller
 * evaluates it on every request from the cached claims.
 *
 * - Only successful verifications are stored; a rejected token, or a verification that failed
 *   (keys unavailable), is verified again next time. No negative caching.
 * - Entries expire at `exp` exactly, without clock tolerance: never more loosely than jose, which
 *   accepts a token until `exp + clockTolerance`.
 * - Only the exact token hits: the one found is compared in full, so a token that differs in any
 *   character never hits. It is found by its last 64 characters, in the signature: every request
 *   brings a fresh string, and V8 hashing a whole ~1 KB token on every lookup cost about 2 points
 *   of the handler's overhead over bare jose. Two tokens sharing those characters only miss each
 *   other (and one can be cached only by passing verification). Not a digest: SHA-256 through
 *   node:crypto measured at +6 to +10% on every verification (OpenSSL shared with the
 *   verifications in flight), while the tokens it would keep out of memory are in every event this
 *   process receives anyway, and expire within the hour.
 * - What is kept per token is the token and its expiry, not its claims. The claims are the
 *   token's own payload: a hit decodes them afresh from the token (as jose did when it verified
 *   it), so every caller gets its own object, and the cache holds a few heap objects per token
 *   instead of the twenty of a parsed claims set, which kept the garbage collector measurably
 *   busier.
 * - At most `maxEntries` entries, least recently used evicted first.
 */
import type { VerifyToken } from "./authorize.js";

export type Claims = Readonly<Record<string, unknown>>;

/** Tokens one instance remembers: a few MB of heap with Cognito-sized tokens. */
export const defaultVerifiedTokenCacheEntries = 2000;

export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; the least recently used one makes room. @default 2000 */
  readonly maxEntries?: number;
  /** The clock, in epoch milliseconds. */
  readonly now?: () => number;
}

export interface VerifiedTokenCache {
  /**
   * The claims of a token verified earlier and not yet expired, decoded afresh from the token's
   * payload; undefined otherwise.
   */
  get(token: string): Claims | undefined;
  /**
   * Records that `token` verified, with `claims` (its payload) as the result; kept until their
   * `exp`. Claims without a numeric `exp`, or already expired, are not kept.
   */
  set(token: string, claims: Claims): void;
  readonly size: number;
}

export function createVerifiedTokenCache({ maxEntries = defaultVerifiedTokenCacheEntries, now = Date.now }: VerifiedTokenCacheOptions = {}): VerifiedTokenCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  // Key (see `keyOf`) → the token and its `exp` in epoch milliseconds. A Map iterates in insertion
  // order: re-inserting on every hit makes the first key the least recently used.
  const entries = new Map<string, { readonly token: string; readonly expiresAt: number }>();
  return {
    get(token) {
      const key = keyOf(token);
      const entry = entries.get(key);
      if (entry === undefined || entry.token !== token) return undefined;
      entries.delete(key);
      if (now() >= entry.expiresAt) return undefined;
      const claims = payloadOf(token);
      if (claims === undefined) return undefined;
      entries.set(key, entry);
      return claims;
    },
    set(token, claims) {
      const exp = claims.exp;
      if (typeof exp !== "number" || !Number.isFinite(exp)) return;
      const expiresAt = exp * 1000;
      if (now() >= expiresAt) return;
      const key = keyOf(token);
      entries.delete(key);
      entries.set(key, { token, expiresAt });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}

/** The last 64 characters (384 bits of an RS256 signature): V8 hashes a short key, not the ~1 KB token. */
const keyOf = (token: string) => token.slice(-64);

/** The JSON payload of a compact JWS, as jose decodes it; undefined if it is not an object. */
function payloadOf(token: string): Claims | undefined {
  const start = token.indexOf(".") + 1;
  const end = token.indexOf(".", start);
  if (start === 0 || end < 0) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.slice(start, end), "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}

export interface CachedVerifierOptions {
  /**
   * Runs the insertion of a new verification. By default after the current turn of the event loop:
   * off the path of the response (on Lambda, while the runtime hands it back; in a busy process,
   * while the next verification runs on WebCrypto's thread), which took 3 points off the handler's
   * overhead over bare jose. A token is answered from the cache from the next turn on.
   * @default setImmediate
   */
  readonly defer?: (task: () => void) => unknown;
}

/**
 * A verifier that answers from the cache for a token it verified before, and otherwise verifies
 * and remembers the claims. Errors of `verify` pass through and are never remembered.
 */
export function withVerifiedTokenCache(verify: VerifyToken, cache: VerifiedTokenCache, { defer = setImmediate }: CachedVerifierOptions = {}): VerifyToken {
  return (token) => {
    const cached = cache.get(token);
    if (cached !== undefined) return Promise.resolve(cached);
    return verify(token).then((claims) => {
      defer(() => cache.set(token, claims));
      return claims;
    });
  };
}
