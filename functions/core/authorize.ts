/** The authorizer's decision for one `$connect`, with the token verifier injected. */
import { authorizeClaims, type ClaimsPolicy, type Decision } from "./claims.js";
import { TokenRejected } from "./errors.js";
import { findToken, type HandshakeRequest, type TokenLocation } from "./token-source.js";

/**
 * Verifies signature, algorithm, issuer and lifetime, then returns the claims. Throws
 * `TokenRejected` for a bad token; any other error means verification itself failed.
 */
export type VerifyToken = (token: string) => Promise<Readonly<Record<string, unknown>>>;

export interface AuthorizeDependencies {
  readonly verify: VerifyToken;
  readonly policy: ClaimsPolicy & TokenLocation;
  readonly nowSeconds: () => number;
}

/** Errors other than `TokenRejected` propagate: the caller must fail closed on them. */
export async function authorize(request: HandshakeRequest, { verify, policy, nowSeconds }: AuthorizeDependencies): Promise<Decision> {
  const search = findToken(request, policy);
  if (!search.found) return { effect: "Unauthorized", reason: `token ${search.reason}` };
  let claims: Readonly<Record<string, unknown>>;
  try {
    claims = await verify(search.token);
  } catch (error) {
    if (error instanceof TokenRejected) return { effect: "Unauthorized", reason: error.code };
    throw error;
  }
  return authorizeClaims(claims, policy, nowSeconds());
}
