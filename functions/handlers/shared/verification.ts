/**
 * The token verification of `$connect`, built once per cold start: the key set and the verified
 * tokens (exact token → its `exp`, at most 2,000: a reconnect storm presents the same tokens again)
 * stay cached across invocations. The policy is evaluated on every request, from the claims
 * decoded again on a cache hit too. `reauth` verifies with the very same.
 */
import { createTokenVerifier } from "../../adapters/jose-verifier.js";
import type { AuthorizeDependencies } from "../../core/authorize.js";
import { createVerifiedTokenCache, withVerifiedTokenCache } from "../../core/verified-token-cache.js";
import { readSettings } from "../../settings/environment.js";

export const authorizerSettings = readSettings("authorizer", process.env);

export const verification: AuthorizeDependencies = {
  verify: withVerifiedTokenCache(createTokenVerifier(authorizerSettings), createVerifiedTokenCache()),
  policy: { ...authorizerSettings, queryParameter: authorizerSettings.tokenQueryParameter, subprotocol: authorizerSettings.subprotocolToken },
  nowSeconds: () => Math.floor(Date.now() / 1000),
};
