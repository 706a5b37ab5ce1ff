/**
 * Reads the claims of a Cognito token without verifying it: the page only needs to know when its
 * own token expires and whom it names. The server verifies every token at `$connect`.
 */

export interface IdTokenClaims {
  readonly sub: string;
  /** Seconds since the epoch. */
  readonly exp: number;
  readonly iat: number;
  readonly email?: string;
  readonly "cognito:username"?: string;
}

export class TokenFormatError extends Error {
  override readonly name = "TokenFormatError";
}

/** The payload of a compact JWS, checked for the claims the page relies on. */
export function readClaims(token: string): IdTokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenFormatError("not a JWT (expected three dot-separated parts)");
  let payload: unknown;
  try {
    payload = JSON.parse(decodeBase64Url(parts[1]!));
  } catch {
    throw new TokenFormatError("the JWT payload is not base64url-encoded JSON");
  }
  const claims = payload as Record<string, unknown>;
  if (typeof claims.sub !== "string" || typeof claims.exp !== "number" || typeof claims.iat !== "number") {
    throw new TokenFormatError("the JWT lacks sub, exp or iat");
  }
  return claims as unknown as IdTokenClaims;
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
