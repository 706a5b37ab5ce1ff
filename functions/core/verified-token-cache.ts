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
 * - Keys are the SHA-256 of the exact token string: a token that differs in any character never
 *   hits, entries cost 43 bytes of key instead of a kilobyte, and a heap dump holds no replayable
 *   token. Hashing costs microseconds; an RS256 verification costs tens to hundreds of them.
 * - At most `maxEntries` entries, least recently used evicted first.
 */
import * as nodeCrypto from "node:crypto";
import type { VerifyToken } from "./authorize.js";

export type Claims = Readonly<Record<string, unknown>>;

export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; the least recently used one makes room. */
  readonly maxEntries: number;
  /** The clock, in epoch milliseconds. */
  readonly now?: () => number;
}

export interface VerifiedTokenCache {
  /** The claims of a token verified earlier and not yet expired; undefined otherwise. */
  get(token: string): Claims | undefined;
  /**
   * Records a successful verification; claims without a numeric `exp`, or already expired, are
   * not kept. The claims are frozen (deeply) in place: later requests read them, nobody writes.
   */
  set(token: string, claims: Claims): void;
  readonly size: number;
}

interface Entry {
  readonly claims: Claims;
  /** `exp` in epoch milliseconds. */
  readonly expiresAt: number;
}

// One-shot `crypto.hash` (Node >= 20.12) skips the Hash object; createHash where it is missing.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string }).hash;

/** SHA-256 of the exact token, base64url: 43 characters. */
export const cacheKey: (token: string) => string = oneShotHash
  ? (token) => oneShotHash("sha256", token, "base64url")
  : (token) => nodeCrypto.createHash("sha256").update(token).digest("base64url");

class LruTokenCache implements VerifiedTokenCache {
  // A Map iterates in insertion order: re-inserting on every hit makes the first key the least recently used.
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number,
    readonly now: () => number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(token: string): Claims | undefined {
    return this.getByKey(cacheKey(token));
  }

  set(token: string, claims: Claims): void {
    this.setByKey(cacheKey(token), claims);
  }

  getByKey(key: string): Claims | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.now() >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry);
    return entry.claims;
  }

  setByKey(key: string, claims: Claims): void {
    const exp = claims.exp;
    if (typeof exp !== "number" || !Number.isFinite(exp)) return;
    const expiresAt = exp * 1000;
    if (this.now() >= expiresAt) return;
    this.#entries.delete(key);
    this.#entries.set(key, { claims: deepFreeze(claims), expiresAt });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

export function createVerifiedTokenCache({ maxEntries, now = Date.now }: VerifiedTokenCacheOptions): VerifiedTokenCache {
  return new LruTokenCache(maxEntries, now);
}

/**
 * A verifier that answers from the cache for a token it verified before, and otherwise verifies
 * and remembers the claims. Errors of `verify` pass through and are never remembered.
 */
export function withVerifiedTokenCache(verify: VerifyToken, cache: VerifiedTokenCache): VerifyToken {
  const lru = cache instanceof LruTokenCache ? cache : undefined;
  const remember = (token: string, key: string) => (claims: Claims) => {
    if (lru) lru.setByKey(key, claims);
    else cache.set(token, claims);
    return claims;
  };
  return (token) => {
    const key = lru ? cacheKey(token) : token;
    const cached = lru ? lru.getByKey(key) : cache.get(token);
    if (cached !== undefined) return Promise.resolve(cached);
    return verify(token).then(remember(token, key));
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
