/**
 * Token verification with jose against the user pool's JWKS. The key set is created once per
 * cold start, so keys are cached across invocations and refetched only for an unknown `kid`
 * (rate-limited by jose's cooldown).
 *
 * With the JWKS known at deploy time (`initialJwks`, from INITIAL_JWKS), the first verification
 * of a new instance makes no network call: jose's local key set answers for those keys. When a
 * token names a `kid` they lack, jose's remote key set takes over, starting from the same keys as
 * its cache, and fetches the JWKS (at most once per cooldown): that is how key rotation is picked
 * up. No refresh by age: the keys change only on such a fetch.
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, jwksCache, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { VerifyToken } from "../core/authorize.js";
import { TokenRejected } from "../core/errors.js";
import { KeySetUnavailable } from "./errors.js";
import { jwksUrl, type JsonWebKeySet } from "../jwks.js";

export interface VerifierOptions {
  /** `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`; the JWKS lives under it. */
  readonly issuer: string;
  readonly clockToleranceSeconds: number;
  /** JWKS request timeout; a Lambda authorizer must answer well within API Gateway's 29 s. */
  readonly timeoutMs?: number;
  /** The pool's keys as fetched at deploy time; without them the JWKS is fetched on first use. */
  readonly initialJwks?: JsonWebKeySet;
  /** The fetch jose uses for the JWKS (tests count requests with it). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export function createTokenVerifier({ issuer, clockToleranceSeconds, timeoutMs = 3000, initialJwks, fetch }: VerifierOptions): VerifyToken {
  const createRemoteKeys = () =>
    createRemoteJWKSet(new URL(jwksUrl(issuer)), {
      timeoutDuration: timeoutMs,
      ...(fetch ? { [customFetch]: fetch } : {}),
      ...(initialJwks
        ? {
            // Deploy-time keys never go stale by age: only an unknown `kid` triggers a fetch.
            cacheMaxAge: Infinity,
            // `uat` 0: not "just fetched", so the first unknown `kid` refetches at once instead of
            // waiting out the cooldown; fresh forever under an infinite max age.
            [jwksCache]: { uat: 0, jwks: copyOf(initialJwks) },
          }
        : {}),
    });

  // Without deploy-time keys, the remote set from the start (it fetches on first use). With them,
  // jose's local set answers for their kids, and the remote set, whose creation loads Node's fetch
  // stack (≈13 ms of a cold start), is created the first time a token names another kid, starting
  // from the same keys; from then on it alone answers, as a refetch may have dropped a key.
  let remoteKeys = initialJwks ? undefined : createRemoteKeys();
  const initialKeys = initialJwks ? createLocalJWKSet(copyOf(initialJwks)) : undefined;
  const keySet: JWTVerifyGetKey = (header, token) => {
    if (remoteKeys) return remoteKeys(header, token);
    return initialKeys!(header, token).catch((error: unknown) => {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      remoteKeys ??= createRemoteKeys();
      return remoteKeys(header, token);
    });
  };

  // The seam between token and key set: jose would pick the only key of the set for a token
  // without `kid`; Cognito always sets one, so its absence is refused here.
  const remoteKey: JWTVerifyGetKey = async (header, token) => {
    if (!header.kid) throw new TokenRejected("ERR_JWT_KID_MISSING");
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeySetUnavailable({ cause: error });
    }
  };

  return verifyWith(initialJwks ? rememberKeys(remoteKey) : remoteKey, issuer, clockToleranceSeconds);
}

/**
 * With deploy-time keys the key set changes only when a token names an unknown `kid` (no refresh
 * by age), so the key jose resolved for a `kid` can be handed back at once, without walking the
 * set again. Any `kid` not remembered goes to jose (which may refetch), and forgets every
 * remembered key first, so that a key dropped by a refetch is never handed back. `alg` is already
 * pinned to RS256 when jose asks for the key.
 */
function rememberKeys(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  let remembered = new Map<string, Awaited<ReturnType<JWTVerifyGetKey>>>();
  return (header, token) => {
    const known = header.kid === undefined ? undefined : remembered.get(header.kid);
    if (known !== undefined) return known;
    remembered = new Map();
    const generation = remembered;
    return Promise.resolve(getKey(header, token)).then((key) => {
      // Only if nothing was forgotten meanwhile (another unknown kid may have refetched the set).
      if (remembered === generation && header.kid !== undefined) remembered.set(header.kid, key);
      return key;
    });
  };
}

function verifyWith(getKey: JWTVerifyGetKey, issuer: string, clockToleranceSeconds: number): VerifyToken {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer,
        algorithms: ["RS256"],
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ["exp", "iat", "sub", "token_use"],
      });
      return payload;
    } catch (error) {
      if (error instanceof TokenRejected || error instanceof KeySetUnavailable) throw error;
      if (error instanceof errors.JOSEError) throw new TokenRejected(error.code, { cause: error });
      throw error;
    }
  };
}

/** A mutable copy in jose's types (jose keeps a snapshot; the remote set updates its cache object). */
const copyOf = (jwks: JsonWebKeySet): JSONWebKeySet => ({ keys: jwks.keys.map((key) => ({ ...key })) });
