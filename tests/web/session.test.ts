/** Token keeping: what is remembered where, single-flight refresh, sign-out. */
import { describe, expect, it } from "vitest";
import { CognitoError, type CognitoApi, type Tokens } from "../../web/src/cognito.js";
import { Session, SessionEndedError, type StorageLike } from "../../web/src/session.js";

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: object) => `${base64url({ alg: "RS256", kid: "k" })}.${base64url(claims)}.c2ln`;
const idToken = (n: number, lifetimeSeconds = 3600) => jwt({ sub: "sub-1", email: "a@example.com", iat: 1_000_000 + n, exp: 1_000_000 + n + lifetimeSeconds, token_use: "id" });

function memoryStorage(): StorageLike & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value), removeItem: (key) => void items.delete(key) };
}

function fakeCognito() {
  let issued = 0;
  const calls: string[] = [];
  const api = {
    calls,
    refreshFailure: undefined as Error | undefined,
    pendingRefresh: undefined as ((tokens: Tokens) => void) | undefined,
    holdRefresh: false,
    async signUp() {
      return { userConfirmed: false, userSub: "sub-1" };
    },
    async confirmSignUp() {},
    async signIn(email: string, password: string): Promise<Tokens> {
      calls.push(`signIn ${email}`);
      if (password !== "right") throw new CognitoError("NotAuthorizedException", "Incorrect username or password.");
      issued++;
      return { idToken: idToken(issued), accessToken: `access-${issued}`, refreshToken: "refresh-1" };
    },
    refresh(refreshToken: string): Promise<Tokens> {
      calls.push(`refresh ${refreshToken}`);
      if (api.refreshFailure) return Promise.reject(api.refreshFailure);
      issued++;
      const tokens = { idToken: idToken(issued), accessToken: `access-${issued}` };
      if (api.holdRefresh) return new Promise((resolve) => (api.pendingRefresh = () => resolve(tokens)));
      return Promise.resolve(tokens);
    },
    async revoke(refreshToken: string) {
      calls.push(`revoke ${refreshToken}`);
    },
  } satisfies CognitoApi & Record<string, unknown>;
  return api;
}

const key = "websocket-cognito:client";

describe("Session", () => {
  it("keeps the ID token in memory and only the refresh token in storage, with its lifetime on the page's clock", async () => {
    const storage = memoryStorage();
    const session = new Session({ cognito: fakeCognito(), storage, storageKey: key, now: () => 5_000 });

    const token = await session.signIn("a@example.com", "right");

    expect(token).toMatchObject({ issuedAt: 5_000, expiresAt: 5_000 + 3_600_000, claims: { sub: "sub-1" } });
    expect(session.current()).toBe(token);
    expect(session.user).toEqual({ email: "a@example.com", sub: "sub-1" });
    expect([...storage.items.values()]).toEqual([JSON.stringify({ refreshToken: "refresh-1", email: "a@example.com" })]);
  });

  it("passes Cognito's refusal of a password on, storing nothing", async () => {
    const storage = memoryStorage();
    const session = new Session({ cognito: fakeCognito(), storage, storageKey: key });

    await expect(session.signIn("a@example.com", "wrong")).rejects.toMatchObject({ code: "NotAuthorizedException" });
    expect(session.current()).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });

  it("restores a session from the refresh token a reload left, keeping that refresh token", async () => {
    const storage = memoryStorage();
    const cognito = fakeCognito();
    await new Session({ cognito, storage, storageKey: key }).signIn("a@example.com", "right");

    const reloaded = new Session({ cognito, storage, storageKey: key });
    const token = await reloaded.restore();

    expect(token?.claims.sub).toBe("sub-1");
    expect(cognito.calls.at(-1)).toBe("refresh refresh-1");
    expect(JSON.parse(storage.items.get(key)!)).toEqual({ refreshToken: "refresh-1", email: "a@example.com" });
  });

  it("restores nothing from empty or unreadable storage, and forgets the unreadable", async () => {
    const storage = memoryStorage();
    expect(await new Session({ cognito: fakeCognito(), storage, storageKey: key }).restore()).toBeUndefined();
    storage.setItem(key, "{not json");
    expect(await new Session({ cognito: fakeCognito(), storage, storageKey: key }).restore()).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });

  it("shares one refresh between concurrent callers", async () => {
    const cognito = fakeCognito();
    const session = new Session({ cognito, storageKey: key });
    await session.signIn("a@example.com", "right");

    const [first, second] = await Promise.all([session.refresh(), session.refresh()]);

    expect(first).toBe(second);
    expect(cognito.calls.filter((call) => call.startsWith("refresh"))).toHaveLength(1);
  });

  it("ends the session when Cognito refuses the refresh token, and forgets it", async () => {
    const storage = memoryStorage();
    const cognito = fakeCognito();
    const session = new Session({ cognito, storage, storageKey: key });
    await session.signIn("a@example.com", "right");
    cognito.refreshFailure = new CognitoError("NotAuthorizedException", "Refresh Token has been revoked");

    await expect(session.refresh()).rejects.toBeInstanceOf(SessionEndedError);
    expect(session.current()).toBeUndefined();
    expect(storage.items.size).toBe(0);
  });

  it("keeps the session when the refresh fails for a transient reason", async () => {
    const cognito = fakeCognito();
    const session = new Session({ cognito, storageKey: key });
    const token = await session.signIn("a@example.com", "right");
    cognito.refreshFailure = new CognitoError("NetworkError", "no answer");

    await expect(session.refresh()).rejects.toMatchObject({ code: "NetworkError" });
    expect(session.current()).toBe(token);
  });

  it("signs out: forgets every token at once, revokes the refresh token, and drops a refresh answering afterwards", async () => {
    const storage = memoryStorage();
    const cognito = fakeCognito();
    const session = new Session({ cognito, storage, storageKey: key });
    await session.signIn("a@example.com", "right");
    cognito.holdRefresh = true;
    const pending = session.refresh();

    await session.signOut();
    cognito.pendingRefresh!({ idToken: idToken(9), accessToken: "late" });

    await expect(pending).rejects.toBeInstanceOf(SessionEndedError);
    expect(session.current()).toBeUndefined();
    expect(session.user).toBeUndefined();
    expect(storage.items.size).toBe(0);
    expect(cognito.calls).toContain("revoke refresh-1");
    await expect(session.refresh()).rejects.toBeInstanceOf(SessionEndedError);
  });
});
