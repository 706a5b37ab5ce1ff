/**
 * A peer wrapped as the smallest REQUEST authorizer: token from the query string, verify, Allow.
 * Lighter than ours (no logger, no group policy, no subprotocol), which favours the peers.
 */
import type { PeerConfig, PeerVerify } from "./types.js";

interface Event {
  readonly methodArn: string;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
}

export function lambdaHandler(create: (config: PeerConfig) => PeerVerify) {
  const issuer = process.env.TOKEN_ISSUER!;
  const verify = create({ issuer, clientId: process.env.APP_CLIENT_ID!, jwksUri: `${issuer}/.well-known/jwks.json` });
  return async (event: Event) => {
    const token = event.queryStringParameters?.idToken;
    if (!token) throw new Error("Unauthorized");
    let claims: Record<string, unknown>;
    try {
      claims = await verify(token);
    } catch {
      throw new Error("Unauthorized");
    }
    return {
      principalId: String(claims.sub),
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] },
      context: { userId: String(claims.sub) },
    };
  };
}
