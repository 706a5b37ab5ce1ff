/**
 * What a verified token allows: the Cognito-specific claim checks that follow the signature,
 * issuer and lifetime checks, and the authorizer response API Gateway expects.
 */

/** The kinds of Cognito token a connection may present. */
export type TokenUse = "id" | "access";

export interface ClaimsPolicy {
  readonly clientId: string;
  readonly tokenUses: readonly TokenUse[];
  readonly requiredGroups: readonly string[];
  readonly clockToleranceSeconds: number;
}

/** Who is connecting, as every later route sees it. */
export interface Identity {
  readonly userId: string;
  readonly username: string;
  /** The token's `exp`, epoch seconds. */
  readonly tokenExpiresAt: number;
  readonly email?: string;
  readonly groups: readonly string[];
}

export type Decision =
  | { readonly effect: "Allow"; readonly identity: Identity }
  /** A genuine token that policy forbids (e.g. a required group missing): 403. */
  | { readonly effect: "Deny"; readonly identity: Identity; readonly reason: string }
  /** Not an acceptable token at all: 401. */
  | { readonly effect: "Unauthorized"; readonly reason: string };

/**
 * Cognito issues ID and access tokens valid for one day at most. A longer lifetime (`exp: 1e20`)
 * is no Cognito token, and a number beyond 2^53 would not even survive storage.
 */
export const maxTokenLifetimeSeconds = 24 * 60 * 60;

/** Checks the claims of a token whose signature, `iss`, `exp` and `nbf` are already verified. */
export function authorizeClaims(claims: Readonly<Record<string, unknown>>, policy: ClaimsPolicy, nowSeconds: number): Decision {
  const unauthorized = (reason: string): Decision => ({ effect: "Unauthorized", reason });
  const tokenUse = claims.token_use;
  if (tokenUse !== "id" && tokenUse !== "access") return unauthorized("token_use is neither id nor access");
  if (!policy.tokenUses.includes(tokenUse)) return unauthorized(`${tokenUse} tokens are not accepted`);
  if (tokenUse === "id" ? !audienceIncludes(claims.aud, policy.clientId) : claims.client_id !== policy.clientId) {
    return unauthorized("token was issued to another app client");
  }
  const { sub, exp, iat } = claims;
  if (typeof sub !== "string" || sub === "") return unauthorized("sub is missing");
  if (typeof exp !== "number" || typeof iat !== "number") return unauthorized("exp or iat is missing");
  if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat)) return unauthorized("exp or iat is not a whole number of seconds");
  if (iat > nowSeconds + policy.clockToleranceSeconds) return unauthorized("iat is in the future");
  if (exp - iat > maxTokenLifetimeSeconds) return unauthorized("lifetime longer than Cognito issues");

  const username = tokenUse === "id" ? claims["cognito:username"] : claims.username;
  const groups = stringArray(claims["cognito:groups"]);
  const identity: Identity = {
    userId: sub,
    username: typeof username === "string" && username !== "" ? username : sub,
    tokenExpiresAt: exp,
    ...(typeof claims.email === "string" ? { email: claims.email } : {}),
    groups,
  };
  const missing = policy.requiredGroups.filter((group) => !groups.includes(group));
  if (missing.length > 0) return { effect: "Deny", identity, reason: `not in required group(s) ${missing.join(", ")}` };
  return { effect: "Allow", identity };
}

/** Authorizer `context`: strings only, since API Gateway stringifies values anyway. */
export type AuthorizerContext = Record<string, string>;

export function toAuthorizerContext(identity: Identity): AuthorizerContext {
  return {
    userId: identity.userId,
    username: identity.username,
    tokenExpiresAt: String(identity.tokenExpiresAt),
    ...(identity.email === undefined ? {} : { email: identity.email }),
    ...(identity.groups.length === 0 ? {} : { groups: identity.groups.join(",") }),
  };
}

/** Reads the identity back from `requestContext.authorizer` on later routes; undefined if absent. */
export function fromAuthorizerContext(context: Readonly<Record<string, unknown>> | undefined): Identity | undefined {
  const userId = context?.userId;
  const username = context?.username;
  const tokenExpiresAt = Number(context?.tokenExpiresAt);
  if (typeof userId !== "string" || userId === "" || typeof username !== "string" || !Number.isSafeInteger(tokenExpiresAt)) {
    return undefined;
  }
  const groups = typeof context?.groups === "string" && context.groups !== "" ? context.groups.split(",") : [];
  return {
    userId,
    username,
    tokenExpiresAt,
    ...(typeof context?.email === "string" ? { email: context.email } : {}),
    groups,
  };
}

export interface AuthorizerResponse {
  principalId: string;
  policyDocument: {
    Version: "2012-10-17";
    Statement: [{ Action: "execute-api:Invoke"; Effect: "Allow" | "Deny"; Resource: string }];
  };
  context?: AuthorizerContext;
}

/** The IAM policy API Gateway evaluates against `methodArn` (`…/{stage}/$connect`). */
export function authorizerResponse(decision: Exclude<Decision, { effect: "Unauthorized" }>, methodArn: string): AuthorizerResponse {
  return {
    principalId: decision.identity.userId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: decision.effect, Resource: methodArn }],
    },
    ...(decision.effect === "Allow" ? { context: toAuthorizerContext(decision.identity) } : {}),
  };
}

function audienceIncludes(aud: unknown, clientId: string): boolean {
  return aud === clientId || (Array.isArray(aud) && aud.includes(clientId));
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
