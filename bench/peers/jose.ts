/** Bare jose, as its README shows it: a remote JWK set and `jwtVerify`. */
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { PeerConfig, PeerVerify } from "./types.js";

export function joseVerifier({ issuer, clientId, jwksUri }: PeerConfig): PeerVerify {
  const keys = createRemoteJWKSet(new URL(jwksUri));
  return async (token) => (await jwtVerify(token, keys, { issuer, audience: clientId, algorithms: ["RS256"] })).payload;
}
