/**
 * Token verification with jose against the user pool's JWKS. The key set is created once per
 * cold start, so keys are cached across invocations and refetched only for an unknown `kid`
 * (rate-limited by jose's cooldown).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { TokenRejected, type VerifyToken } from "../core/authorize.js";

export interface VerifierOptions {
  /** `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`; the JWKS lives under it. */
  readonly issuer: string;
  readonly clockToleranceSeconds: number;
  /** JWKS request timeout; a Lambda authorizer must answer well within API Gateway's 29 s. */
  readonly timeoutMs?: number;
}

/** The keys could not be obtained: nothing can be verified, so nothing is allowed. */
export class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
  readonly code = "ERR_JWKS_UNAVAILABLE";
  constructor(options?: ErrorOptions) {
    super("the JSON Web Key Set could not be fetched", options);
  }
}

export function createTokenVerifier({ issuer, clockToleranceSeconds, timeoutMs = 3000 }: VerifierOptions): VerifyToken {
  const remoteKeys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), { timeoutDuration: timeoutMs });

  // The seam between token and key set: jose would pick the only key of the set for a token
  // without `kid`; Cognito always sets one, so its absence is refused here.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!header.kid) throw new TokenRejected("ERR_JWT_KID_MISSING");
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeySetUnavailable({ cause: error });
    }
  };

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
