/** The per-instance cache of verified tokens, on its own and in front of a verifier. */
import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { TokenRejected } from "../../../functions/core/errors.js";
import { createVerifiedTokenCache, withVerifiedTokenCache } from "../../../functions/core/verified-token-cache.js";

const exp = 2_000_000_000; // epoch seconds
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A JWS-shaped token and its claims. The cache never checks signatures (its verifier did); like a
 * real one, the stand-in (342 characters, as RS256's) differs with the header and payload.
 */
function token(sub: string, extra: Record<string, unknown> = {}) {
  const claims = { sub, exp, iat: exp - 3600, token_use: "id", ...extra };
  const signingInput = `${encode({ alg: "RS256", kid: "k1" })}.${encode(claims)}`;
  const signature = createHash("sha512").update(signingInput).digest("base64url").repeat(4).slice(0, 342);
  return { token: `${signingInput}.${signature}`, claims };
}

function clock(startMs: number) {
  let now = startMs;
  return { now: () => now, set: (ms: number) => void (now = ms) };
}

describe("the verified-token cache", () => {
  it("answers with the token's claims until exp exactly", () => {
    // Prepare
    const time = clock((exp - 10) * 1000);
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: time.now });
    const alice = token("alice", { "cognito:groups": ["users"], email: "alice@example.com" });
    // Act
    cache.set(alice.token, alice.claims);
    // Assess
    expect(cache.get(alice.token)).toEqual(alice.claims);
    time.set(exp * 1000 - 1);
    expect(cache.get(alice.token)).toEqual(alice.claims);
    time.set(exp * 1000);
    expect(cache.get(alice.token)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("never widens exp by a clock tolerance, and never comes back once expired", () => {
    const time = clock(exp * 1000 + 1);
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: time.now });
    const alice = token("alice");
    // jose accepts this token for `clockTolerance` seconds more; the cache does not keep it.
    cache.set(alice.token, alice.claims);
    expect(cache.size).toBe(0);
    time.set((exp - 1) * 1000); // even if the clock steps back
    expect(cache.get(alice.token)).toBeUndefined();
  });

  it("keeps nothing without a numeric exp", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const alice = token("alice");
    cache.set(alice.token, { sub: "alice" });
    cache.set(alice.token, { sub: "alice", exp: String(exp) });
    cache.set(alice.token, { sub: "alice", exp: Infinity });
    expect(cache.size).toBe(0);
  });

  it("never answers for a token that differs in any character", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const alice = token("alice");
    cache.set(alice.token, alice.claims);
    const [header, payload, signature] = alice.token.split(".") as [string, string, string];
    const variants = [
      `${alice.token} `,
      ` ${alice.token}`,
      alice.token.slice(0, -1),
      `${header}.${payload}.${signature.slice(0, -1)}A`,
      `${header}.${encode({ ...alice.claims, sub: "mallory" })}.${signature}`,
      alice.token.toUpperCase(),
      `${alice.token}.`,
      "",
    ];
    for (const variant of variants) expect(cache.get(variant), variant).toBeUndefined();
    expect(cache.get(alice.token)).toBeDefined();
  });

  it("holds at most maxEntries, evicting the least recently used", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 3, now: () => 0 });
    const [a, b, c, d] = ["a", "b", "c", "d"].map((sub) => token(sub)) as [ReturnType<typeof token>, ReturnType<typeof token>, ReturnType<typeof token>, ReturnType<typeof token>];
    for (const entry of [a, b, c]) cache.set(entry.token, entry.claims);
    cache.get(a.token); // a is now the most recently used
    cache.set(d.token, d.claims); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.get(b.token)).toBeUndefined();
    expect(cache.get(a.token)).toMatchObject({ sub: "a" });
    expect(cache.get(c.token)).toMatchObject({ sub: "c" });
    expect(cache.get(d.token)).toMatchObject({ sub: "d" });
    for (let i = 0; i < 100; i += 1) {
      const entry = token(`t${i}`);
      cache.set(entry.token, entry.claims);
    }
    expect(cache.size).toBe(3);
  });

  it("holds 2,000 tokens by default", () => {
    const cache = createVerifiedTokenCache({ now: () => 0 });
    const entries = Array.from({ length: 2500 }, (_, i) => token(`t${i}`));
    for (const entry of entries) cache.set(entry.token, entry.claims);
    expect(cache.size).toBe(2000);
    expect(cache.get(entries[499]!.token)).toBeUndefined();
    expect(cache.get(entries[500]!.token)).toMatchObject({ sub: "t500" });
  });

  it("gives every caller claims of its own: changing them changes nothing for the next", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const alice = token("alice", { "cognito:groups": ["users"] });
    cache.set(alice.token, alice.claims);
    const first = cache.get(alice.token) as { sub: string; "cognito:groups": string[] };
    first.sub = "mallory";
    first["cognito:groups"].push("admins");
    expect(cache.get(alice.token)).toEqual(alice.claims);
  });

  it("never answers for another token that ends like a cached one, and keeps the cached one", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const alice = token("alice");
    cache.set(alice.token, alice.claims);
    // Same signature, another payload: what a forger would try. Same tail, another signature start.
    const [header, , signature] = alice.token.split(".") as [string, string, string];
    const forged = `${header}.${encode({ ...alice.claims, sub: "mallory" })}.${signature}`;
    const sameTail = `${alice.token.slice(0, -100)}${"A".repeat(36)}${alice.token.slice(-64)}`;
    expect(cache.get(forged)).toBeUndefined();
    expect(cache.get(sameTail)).toBeUndefined();
    expect(cache.get(alice.token)).toEqual(alice.claims);
    expect(cache.size).toBe(1);
  });

  it("refuses a size below one", () => {
    expect(() => createVerifiedTokenCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});

describe("a verifier behind the cache", () => {
  const immediately = { defer: (task: () => void) => task() };
  const alice = token("alice");
  const bob = token("bob");
  const claimsOf = (value: string) => [alice, bob].find((entry) => entry.token === value)!.claims;

  it("verifies a token once, then answers from the cache", async () => {
    // Prepare
    const verify = vi.fn(async (value: string) => claimsOf(value));
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: () => 0 }), immediately);
    // Act
    const first = await cached(alice.token);
    const second = await cached(alice.token);
    await cached(bob.token);
    // Assess
    expect(first).toEqual(alice.claims);
    expect(second).toEqual(alice.claims);
    expect(verify.mock.calls.map(([value]) => value)).toEqual([alice.token, bob.token]);
  });

  it("verifies again once the token has expired", async () => {
    const time = clock((exp - 1) * 1000);
    const verify = vi.fn(async (value: string) => claimsOf(value));
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: time.now }), immediately);
    await cached(alice.token);
    time.set(exp * 1000);
    await cached(alice.token);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("remembers no rejection and no failure (no negative caching)", async () => {
    let outcome: "reject" | "fail" | "accept" = "reject";
    const verify = vi.fn(async (value: string) => {
      if (outcome === "reject") throw new TokenRejected("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
      if (outcome === "fail") throw new Error("JWKS unavailable");
      return claimsOf(value);
    });
    const cached = withVerifiedTokenCache(verify, createVerifiedTokenCache({ maxEntries: 10, now: () => 0 }), immediately);

    await expect(cached(alice.token)).rejects.toBeInstanceOf(TokenRejected);
    await expect(cached(alice.token)).rejects.toBeInstanceOf(TokenRejected);
    outcome = "fail";
    await expect(cached(alice.token)).rejects.toThrow("JWKS unavailable");
    outcome = "accept";
    await expect(cached(alice.token)).resolves.toMatchObject({ sub: "alice" });
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it("by default remembers a verification from the next turn of the event loop on", async () => {
    const verify = vi.fn(async (value: string) => claimsOf(value));
    const cache = createVerifiedTokenCache({ maxEntries: 10, now: () => 0 });
    const cached = withVerifiedTokenCache(verify, cache);
    await cached(alice.token);
    expect(cache.size).toBe(0); // the insertion waits for the response to be on its way
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.size).toBe(1);
    await cached(alice.token);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
