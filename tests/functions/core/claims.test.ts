import { describe, expect, it } from "vitest";
import { authorize } from "../../../functions/core/authorize.js";
import { TokenRejected } from "../../../functions/core/errors.js";
import { authorizeClaims, fromAuthorizerContext, toAuthorizerContext, type ClaimsPolicy } from "../../../functions/core/claims.js";

const now = 1_800_000_000;
const policy: ClaimsPolicy = { clientId: "client", tokenUses: ["id"], requiredGroups: [], clockToleranceSeconds: 5 };
const idClaims = { sub: "u1", "cognito:username": "alice", aud: "client", token_use: "id", iat: now, exp: now + 3600 };

describe("authorizeClaims", () => {
  it("allows an ID token issued to our client, with its identity", () => {
    expect(authorizeClaims({ ...idClaims, email: "a@example.com", "cognito:groups": ["g1"] }, policy, now)).toEqual({
      effect: "Allow",
      identity: { userId: "u1", username: "alice", tokenExpiresAt: now + 3600, email: "a@example.com", groups: ["g1"] },
    });
  });

  it.each([
    ["token_use access while only id is allowed", { token_use: "access" }],
    ["another client", { aud: "other" }],
    ["no sub", { sub: "" }],
    ["iat beyond the tolerance", { iat: now + 6 }],
    ["exp not a number", { exp: "soon" }],
    ["exp of 1e20 (beyond 2^53)", { exp: 1e20 }],
    ["exp a fraction of a second", { exp: now + 3600.5 }],
    ["iat not a whole number", { iat: now + 0.5 }],
    ["a lifetime longer than Cognito's one day", { exp: now + 24 * 3600 + 1 }],
  ])("refuses %s", (_, override) => {
    expect(authorizeClaims({ ...idClaims, ...override }, policy, now).effect).toBe("Unauthorized");
  });

  it("accepts Cognito's longest lifetime, one day", () => {
    expect(authorizeClaims({ ...idClaims, exp: now + 24 * 3600 }, policy, now).effect).toBe("Allow");
  });

  it("accepts iat within the clock tolerance", () => {
    expect(authorizeClaims({ ...idClaims, iat: now + 5 }, policy, now).effect).toBe("Allow");
  });

  it("checks client_id and username on access tokens when they are allowed", () => {
    const accessPolicy = { ...policy, tokenUses: ["id", "access"] as const };
    const access = { sub: "u1", username: "alice", client_id: "client", token_use: "access", iat: now, exp: now + 60 };
    expect(authorizeClaims(access, accessPolicy, now)).toMatchObject({ effect: "Allow", identity: { username: "alice" } });
    expect(authorizeClaims({ ...access, client_id: "other" }, accessPolicy, now).effect).toBe("Unauthorized");
    expect(authorizeClaims({ ...access, client_id: undefined, aud: "client" }, accessPolicy, now).effect).toBe("Unauthorized");
  });

  it("denies a genuine token lacking a required group", () => {
    const decision = authorizeClaims({ ...idClaims, "cognito:groups": ["users"] }, { ...policy, requiredGroups: ["admins"] }, now);
    expect(decision).toMatchObject({ effect: "Deny", reason: "not in required group(s) admins" });
  });
});

describe("authorizer context", () => {
  it("round-trips the identity through string-only context values", () => {
    const identity = { userId: "u1", username: "alice", tokenExpiresAt: now, email: "a@example.com", groups: ["g1", "g2"] };
    const context = toAuthorizerContext(identity);
    expect(Object.values(context).every((value) => typeof value === "string")).toBe(true);
    expect(fromAuthorizerContext({ principalId: "u1", integrationLatency: 12, ...context })).toEqual(identity);
  });

  it("is absent when the expiry is no whole number of seconds below 2^53, as no storage could keep it", () => {
    const context = toAuthorizerContext({ userId: "u1", username: "alice", tokenExpiresAt: now, groups: [] });
    expect(fromAuthorizerContext({ ...context, tokenExpiresAt: "100000000000000000000" })).toBeUndefined();
    expect(fromAuthorizerContext({ ...context, tokenExpiresAt: "1e20" })).toBeUndefined();
    expect(fromAuthorizerContext({ ...context, tokenExpiresAt: "soon" })).toBeUndefined();
  });

  it("is absent without a user id", () => {
    expect(fromAuthorizerContext({ principalId: "u1" })).toBeUndefined();
    expect(fromAuthorizerContext(undefined)).toBeUndefined();
  });
});

describe("authorize", () => {
  const location = { queryParameter: "idToken", subprotocol: true };
  const deps = (verify: (token: string) => Promise<Record<string, unknown>>) => ({
    verify,
    policy: { ...policy, ...location },
    nowSeconds: () => now,
  });

  it("verifies the one token offered", async () => {
    const seen: string[] = [];
    const decision = await authorize({ queryStringParameters: { idToken: "aaaa.bbbb.cccc" } }, deps(async (token) => (seen.push(token), idClaims)));
    expect(seen).toEqual(["aaaa.bbbb.cccc"]);
    expect(decision.effect).toBe("Allow");
  });

  it("refuses without calling the verifier when no token is offered", async () => {
    let calls = 0;
    const decision = await authorize({ headers: { "Sec-WebSocket-Protocol": "json" } }, deps(async () => (calls++, idClaims)));
    expect(decision).toEqual({ effect: "Unauthorized", reason: "token missing" });
    expect(calls).toBe(0);
  });

  it.each([
    ["with a newline added", "aaaa.bbbb.cccc\n"],
    ["with = padding added", "aaaa.bbbb.cc=="],
    ["with stray bits in its signature's last character", "aaaa.bbbb.cd"],
  ])("refuses a token %s without calling the verifier (nor its cache)", async (_, variant) => {
    let calls = 0;
    const decision = await authorize({ queryStringParameters: { idToken: variant } }, deps(async () => (calls++, idClaims)));
    expect(decision).toEqual({ effect: "Unauthorized", reason: "token malformed" });
    expect(calls).toBe(0);
  });

  it("turns a rejected token into Unauthorized with the verifier's code", async () => {
    const decision = await authorize({ queryStringParameters: { idToken: "aaaa.bbbb.cccc" } }, deps(async () => {
      throw new TokenRejected("ERR_JWT_EXPIRED");
    }));
    expect(decision).toEqual({ effect: "Unauthorized", reason: "ERR_JWT_EXPIRED" });
  });

  it("lets any other failure through, so that the caller fails closed", async () => {
    const failure = new Error("JWKS down");
    await expect(authorize({ queryStringParameters: { idToken: "aaaa.bbbb.cccc" } }, deps(async () => {
      throw failure;
    }))).rejects.toBe(failure);
  });
});
