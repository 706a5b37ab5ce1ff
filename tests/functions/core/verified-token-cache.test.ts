/** The per-instance cache of verified tokens, on its own and in front of a verifier. */
import { describe, expect, it, vi } from "vitest";
import { TokenRejected } from "../../../functions/core/authorize.js";
import { createVerifiedTokenCache, withVerifiedTokenCache } from "../../../functions/core/verified-token-cache.js";

const exp = 2_000_000_000; // epoch seconds
const claimsFor = (sub: string, extra: Record<string, unknown> = {}) => ({ sub, exp, iat: exp - 3600, token_use: "id", ...extra });

function clock(startMs: number) {
  let now = startMs;
  return { now: () => now, set: (ms: number) => void (now = ms) };
}

describe("the verified-token cache", () => {
  it("answers for a token it was given, until exp exactly", () => {
    // Prepare
    const time = clock((exp - 10) * 1000);
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: time.now });
    // Act
    cache.set("token-a", claimsFor("alice"));
    // Assess
    expect(cache.get("token-a")).toMatchObject({ sub: "alice" });
    time.set(exp * 1000 - 1);
    expect(cache.get("token-a")).toMatchObject({ sub: "alice" });
    time.set(exp * 1000);
    expect(cache.get("token-a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("never widens exp by a clock tolerance, and never comes back once expired", () => {
    const time = clock(exp * 1000 + 1);
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: time.now });
    // jose accepts this token for `clockTolerance` seconds more; the cache does not keep it.
    cache.set("token-a", claimsFor("alice"));
    expect(cache.size).toBe(0);
    time.set((exp - 1) * 1000); // even if the clock steps back
    expect(cache.get("token-a")).toBeUndefined();
  });

  it("keeps nothing without a numeric exp", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    cache.set("no-exp", { sub: "alice" });
    cache.set("string-exp", { sub: "alice", exp: String(exp) });
    cache.set("infinite-exp", { sub: "alice", exp: Infinity });
    expect(cache.size).toBe(0);
  });

  it("never answers for a token that differs in any character", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    cache.set(token, claimsFor("alice"));
    const variants = [
      `${token} `,
      ` ${token}`,
      token.slice(0, -1),
      `${token.slice(0, -1)}m`,
      token.toUpperCase(),
      token.replace(".", ".."),
      "",
    ];
    for (const variant of variants) expect(cache.get(variant), variant).toBeUndefined();
    expect(cache.get(token)).toBeDefined();
  });

  it("holds at most maxEntries, evicting the least recently used", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 3, now: () => 0 });
    cache.set("a", claimsFor("a"));
    cache.set("b", claimsFor("b"));
    cache.set("c", claimsFor("c"));
    cache.get("a"); // a is now the most recently used
    cache.set("d", claimsFor("d")); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
    expect(cache.get("d")).toBeDefined();
    for (let i = 0; i < 100; i += 1) cache.set(`t${i}`, claimsFor(`t${i}`));
    expect(cache.size).toBe(3);
  });

  it("holds 2,000 tokens by default", () => {
    const cache = createVerifiedTokenCache({ now: () => 0 });
    for (let i = 0; i < 2500; i += 1) cache.set(`t${i}`, claimsFor(`t${i}`));
    expect(cache.size).toBe(2000);
    expect(cache.get("t499")).toBeUndefined();
    expect(cache.get("t500")).toBeDefined();
  });

  it("hands out claims nobody can change", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    cache.set("token-a", claimsFor("alice", { "cognito:groups": ["users"] }));
    const claims = cache.get("token-a") as { sub: string; "cognito:groups": string[] };
    expect(() => {
      claims.sub = "mallory";
    }).toThrow(TypeError);
    expect(() => claims["cognito:groups"].push("admins")).toThrow(TypeError);
    expect(cache.get("token-a")).toMatchObject({ sub: "alice", "cognito:groups": ["users"] });
  });

  it("refuses a size below one", () => {
    expect(() => createVerifiedTokenCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});

describe("a verifier behind the cache", () => {
  const now = { defer: (task: () => void) => task() };

  it("verifies a token once, then answers from the cache", async () => {
    // Prepare
    const verify = vi.fn(async (token: string) => claimsFor(token));
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: () => 0 }), now);
    // Act
    const first = await cached("token-a");
    const second = await cached("token-a");
    await cached("token-b");
    // Assess
    expect(first).toEqual(second);
    expect(verify.mock.calls.map(([token]) => token)).toEqual(["token-a", "token-b"]);
  });

  it("verifies again once the token has expired", async () => {
    const time = clock((exp - 1) * 1000);
    const verify = vi.fn(async () => claimsFor("alice"));
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: time.now }), now);
    await cached("token-a");
    time.set(exp * 1000);
    await cached("token-a");
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("remembers no rejection and no failure (no negative caching)", async () => {
    let outcome: "reject" | "fail" | "accept" = "reject";
    const verify = vi.fn(async () => {
      if (outcome === "reject") throw new TokenRejected("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
      if (outcome === "fail") throw new Error("JWKS unavailable");
      return claimsFor("alice");
    });
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: () => 0 }), now);

    await expect(cached("token-a")).rejects.toBeInstanceOf(TokenRejected);
    await expect(cached("token-a")).rejects.toBeInstanceOf(TokenRejected);
    outcome = "fail";
    await expect(cached("token-a")).rejects.toThrow("JWKS unavailable");
    outcome = "accept";
    await expect(cached("token-a")).resolves.toMatchObject({ sub: "alice" });
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it("by default remembers a verification from the next turn of the event loop on", async () => {
    const verify = vi.fn(async () => claimsFor("alice"));
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const cached = withVerifiedTokenCache(verify, cache);
    await cached("token-a");
    expect(cache.size).toBe(0); // the insertion waits for the response to be on its way
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.size).toBe(1);
    await cached("token-a");
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
