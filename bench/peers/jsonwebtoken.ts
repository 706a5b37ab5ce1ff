/** jsonwebtoken with jwks-rsa's key lookup, as their READMEs combine them. */
import jwt, { type GetPublicKeyOrSecret } from "jsonwebtoken";
import jwksClient from "jwks-rsa";
import type { PeerConfig, PeerVerify } from "./types.js";

export function jsonwebtokenVerifier({ issuer, clientId, jwksUri }: PeerConfig): PeerVerify {
  const client = jwksClient({ jwksUri, cache: true, rateLimit: true });
  const getKey: GetPublicKeyOrSecret = (header, callback) => {
    client.getSigningKey(header.kid, (error, key) => callback(error, key?.getPublicKey()));
  };
  return (token) =>
    new Promise((resolve, reject) => {
      jwt.verify(token, getKey, { algorithms: ["RS256"], issuer, audience: clientId }, (error, decoded) =>
        error ? reject(error) : resolve(decoded as Record<string, unknown>),
      );
    });
}
