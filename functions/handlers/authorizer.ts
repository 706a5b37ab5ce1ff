/** REQUEST authorizer for `$connect`: Allow, Deny (403), `Unauthorized` (401), or fail (500). */
import { KeySetUnavailable } from "../adapters/errors.js";
import { createTokenVerifier } from "../adapters/jose-verifier.js";
import { authorize } from "../core/authorize.js";
import { authorizerResponse, type AuthorizerResponse } from "../core/claims.js";
import { createVerifiedTokenCache, withVerifiedTokenCache } from "../core/verified-token-cache.js";
import { readSettings } from "../settings/environment.js";
import type { Context } from "aws-lambda";
import type { WebSocketAuthorizerEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";

const settings = readSettings("authorizer", process.env);
const policy = { ...settings, queryParameter: settings.tokenQueryParameter, subprotocol: settings.subprotocolToken };
// Created once per cold start: the key set and the verified tokens (exact token → its `exp`, at
// most 2,000: a reconnect storm presents the same tokens again) stay cached across invocations.
// The policy is evaluated on every request, from the claims decoded again on a cache hit too.
const verify = withVerifiedTokenCache(createTokenVerifier(settings), createVerifiedTokenCache());
const dependencies = { verify, policy, nowSeconds: () => Math.floor(Date.now() / 1000) };

export async function handler(event: WebSocketAuthorizerEvent, context?: Context): Promise<AuthorizerResponse> {
  // The connection id and the Lambda context reach the logger only when a line is written, so that
  // the allow path, which logs nothing, does no logging work at all.
  const connectionId = event.requestContext?.connectionId;
  const log = () => {
    if (context) logger.addContext(context);
    return logger;
  };
  let decision;
  try {
    decision = await authorize(event, dependencies);
  } catch (error) {
    // Fail closed: without keys nothing is allowed. This is not "Unauthorized", so API Gateway
    // answers 500 and clients retry instead of discarding a token that may be fine.
    const code = error instanceof KeySetUnavailable ? error.code : "ERR_AUTHORIZER_FAILURE";
    log().error("verification unavailable", {
      connectionId,
      code,
      cause: error instanceof Error ? (error.cause as Error | undefined)?.name ?? error.name : "NonError",
    });
    throw new Error("Authorization unavailable");
  }
  if (decision.effect === "Unauthorized") {
    log().info("refused", { connectionId, reason: decision.reason });
    throw new Error("Unauthorized");
  }
  // Nothing is logged on Allow: API Gateway's access log records every $connect with its
  // principalId and authorizer status, and a line per success would cost more than the rest of a
  // cached decision.
  if (decision.effect === "Deny") log().info("denied", { connectionId, userId: decision.identity.userId, reason: decision.reason });
  return authorizerResponse(decision, event.methodArn);
}
