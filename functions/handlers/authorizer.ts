/** REQUEST authorizer for `$connect`: Allow, Deny (403), `Unauthorized` (401), or fail (500). */
import { createTokenVerifier, KeySetUnavailable } from "../adapters/jose-verifier.js";
import { authorize } from "../core/authorize.js";
import { authorizerResponse, type AuthorizerResponse } from "../core/claims.js";
import { readAuthorizerSettings } from "../environment.js";
import type { WebSocketAuthorizerEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";

const settings = readAuthorizerSettings(process.env);
const policy = { ...settings, queryParameter: settings.tokenQueryParameter, subprotocol: settings.subprotocolToken };
// Created once per cold start: the key set stays cached across invocations.
const verify = createTokenVerifier(settings);

export async function handler(event: WebSocketAuthorizerEvent): Promise<AuthorizerResponse> {
  logger.appendKeys({ connectionId: event.requestContext?.connectionId });
  let decision;
  try {
    decision = await authorize(event, { verify, policy, nowSeconds: () => Math.floor(Date.now() / 1000) });
  } catch (error) {
    // Fail closed: without keys nothing is allowed. This is not "Unauthorized", so API Gateway
    // answers 500 and clients retry instead of discarding a token that may be fine.
    const code = error instanceof KeySetUnavailable ? error.code : "ERR_AUTHORIZER_FAILURE";
    logger.error("verification unavailable", { code, cause: error instanceof Error ? (error.cause as Error | undefined)?.name ?? error.name : "NonError" });
    throw new Error("Authorization unavailable");
  }
  if (decision.effect === "Unauthorized") {
    logger.info("refused", { reason: decision.reason });
    throw new Error("Unauthorized");
  }
  logger.info(decision.effect === "Allow" ? "allowed" : "denied", {
    userId: decision.identity.userId,
    ...(decision.effect === "Deny" ? { reason: decision.reason } : {}),
  });
  return authorizerResponse(decision, event.methodArn);
}
