/**
 * aws-jwt-verify with a generic RSA verifier (its Cognito verifier derives the issuer from a real
 * pool id, which a local endpoint cannot match); the checks are the same: signature, `iss`, `aud`, `exp`.
 */
import { JwtRsaVerifier } from "aws-jwt-verify";
import type { PeerConfig, PeerVerify } from "./types.js";

export function awsJwtVerifyVerifier({ issuer, clientId, jwksUri }: PeerConfig): PeerVerify {
  const verifier = JwtRsaVerifier.create({ issuer, audience: clientId, jwksUri });
  return async (token) => (await verifier.verify(token)) as Record<string, unknown>;
}
