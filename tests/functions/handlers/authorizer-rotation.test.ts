/**
 * Faults of the key set: a signing key rotated in is accepted after one rate-limited refetch, and
 * tokens with unknown key ids cannot make the authorizer hammer the JWKS endpoint.
 */
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import type { AuthorizerResponse } from "../../../functions/core/claims.js";
import type { WebSocketAuthorizerEvent } from "../../../functions/handlers/shared/events.js";
import { authorizerEvent } from "../../support/events.js";
import { mintIdToken, newSigningKey, startJwksServer, type JwksServer, type SigningKey } from "../../support/jwks-server.js";

const clientId = "rotationclient000000000000";
let jwks: JwksServer;
let oldKey: SigningKey;
let newKey: SigningKey;

beforeAll(async () => {
  [oldKey, newKey] = await Promise.all([newSigningKey("key-old"), newSigningKey("key-new")]);
  jwks = await startJwksServer([oldKey]);
});
afterAll(() => jwks.close());
afterEach(() => vi.useRealTimers());

async function loadAuthorizer(): Promise<(event: WebSocketAuthorizerEvent) => Promise<AuthorizerResponse>> {
  vi.resetModules();
  for (const [name, value] of Object.entries({ TOKEN_ISSUER: jwks.issuer, APP_CLIENT_ID: clientId, POWERTOOLS_LOG_LEVEL: "CRITICAL" })) vi.stubEnv(name, value);
  return (await import("../../../functions/handlers/authorizer.js")).handler;
}
const connectWith = async (key: SigningKey, handler: Awaited<ReturnType<typeof loadAuthorizer>>, jti: string) =>
  handler(authorizerEvent({ query: { idToken: await mintIdToken({ key, issuer: jwks.issuer, clientId, claims: { jti } }) } }));

it("accepts a newly rotated-in key after one rate-limited refetch, refusing it (never allowing) until then", async () => {
  const handler = await loadAuthorizer();
  vi.useFakeTimers({ toFake: ["Date"] });
  const fetchesBefore = jwks.fetches;
  expect((await connectWith(oldKey, handler, "a")).policyDocument.Statement[0].Effect).toBe("Allow");
  expect(jwks.fetches - fetchesBefore).toBe(1);

  // Cognito publishes the new key next to the old one.
  jwks.keys = [oldKey, newKey];
  // Within jose's 30 s cooldown an unknown kid is refused, and however many arrive, nothing is refetched.
  for (const jti of ["b", "c", "d", "e", "f"]) await expect(connectWith(newKey, handler, jti)).rejects.toThrow(/^Unauthorized$/);
  expect(jwks.fetches - fetchesBefore).toBe(1);

  vi.setSystemTime(Date.now() + 31_000);
  expect((await connectWith(newKey, handler, "g")).policyDocument.Statement[0].Effect).toBe("Allow");
  expect(jwks.fetches - fetchesBefore).toBe(2);
  // The old key still works while it is published.
  expect((await connectWith(oldKey, handler, "h")).policyDocument.Statement[0].Effect).toBe("Allow");
  expect(jwks.fetches - fetchesBefore).toBe(2);
});
