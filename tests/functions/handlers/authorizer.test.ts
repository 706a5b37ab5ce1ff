/**
 * The authorizer handler against a local JWKS server with keys generated here: one valid token,
 * many bad ones, a JWKS outage, key caching, and logs free of tokens.
 */
import { base64url, exportPKCS8 } from "jose";
import { createHmac, createSign } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuthorizerResponse } from "../../../functions/core/claims.js";
import type { WebSocketAuthorizerEvent } from "../../../functions/handlers/shared/events.js";
import { authorizerEvent, methodArn } from "../../support/events.js";
import { mintIdToken, newSigningKey, startJwksServer, type JwksServer, type SigningKey } from "../../support/jwks-server.js";
import { captureLogs, type CapturedLogs } from "../../support/logs.js";

const clientId = "testclient0000000000000000";
type Handler = (event: WebSocketAuthorizerEvent) => Promise<AuthorizerResponse>;

let jwks: JwksServer;
let key: SigningKey;
let otherKey: SigningKey;
let logs: CapturedLogs;

async function loadAuthorizer(env: Record<string, string> = {}): Promise<Handler> {
  vi.resetModules();
  vi.unstubAllEnvs();
  const settings = { POWERTOOLS_SERVICE_NAME: "authorizer", TOKEN_ISSUER: jwks.issuer, APP_CLIENT_ID: clientId, ...env };
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  return (await import("../../../functions/handlers/authorizer.js")).handler;
}

const mint = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signingKey = key) =>
  mintIdToken({ key: signingKey, issuer: jwks.issuer, clientId, claims, header });
const withQuery = (token: string) => authorizerEvent({ query: { idToken: token } });
const segments = (token: string) => token.split(".") as [string, string, string];
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

beforeAll(async () => {
  [key, otherKey] = await Promise.all([newSigningKey("key-1"), newSigningKey("key-1")]);
  jwks = await startJwksServer([key]);
});
afterAll(() => jwks.close());
afterEach(() => logs?.restore());

describe("a valid ID token", () => {
  it("is allowed on methodArn with the user's identity as context", async () => {
    // Prepare
    const handler = await loadAuthorizer();
    const token = await mint({ "cognito:groups": ["admins", "users"] });
    // Act
    const response = await handler(withQuery(token));
    // Assess
    expect(response).toEqual({
      principalId: "0f4c1f3e-1111-4222-8333-444455556666",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: methodArn }],
      },
      context: {
        userId: "0f4c1f3e-1111-4222-8333-444455556666",
        username: "0f4c1f3e-1111-4222-8333-444455556666",
        tokenExpiresAt: String(JSON.parse(Buffer.from(segments(token)[1], "base64url").toString()).exp),
        email: "alice@example.com",
        groups: "admins,users",
      },
    });
  });

  it("is accepted from Sec-WebSocket-Protocol next to an application protocol", async () => {
    const handler = await loadAuthorizer();
    const token = await mint();
    const response = await handler(authorizerEvent({ headers: { "sec-websocket-protocol": `json, ${token}` } }));
    expect(response.policyDocument.Statement[0].Effect).toBe("Allow");
  });

  it("is refused from Sec-WebSocket-Protocol when that path is turned off", async () => {
    const handler = await loadAuthorizer({ SUBPROTOCOL_TOKEN: "false" });
    const token = await mint();
    await expect(handler(authorizerEvent({ headers: { "Sec-WebSocket-Protocol": token } }))).rejects.toThrow(/^Unauthorized$/);
  });

  it("is read from the configured query parameter (the seed's ID_Token)", async () => {
    const handler = await loadAuthorizer({ TOKEN_QUERY_PARAMETER: "ID_Token" });
    const token = await mint();
    await expect(handler(withQuery(token))).rejects.toThrow(/^Unauthorized$/);
    const response = await handler(authorizerEvent({ query: { ID_Token: token } }));
    expect(response.policyDocument.Statement[0].Effect).toBe("Allow");
  });

  it("lacking a required group is denied (403), not refused", async () => {
    const handler = await loadAuthorizer({ REQUIRED_GROUPS: "admins" });
    const response = await handler(withQuery(await mint({ "cognito:groups": ["users"] })));
    expect(response.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Deny", Resource: methodArn }]);
    expect(response.context).toBeUndefined();
    const member = await handler(withQuery(await mint({ "cognito:groups": ["admins"] })));
    expect(member.policyDocument.Statement[0].Effect).toBe("Allow");
  });
});

describe("access tokens", () => {
  const accessClaims = { token_use: "access", aud: undefined, client_id: clientId, username: "alice", "cognito:username": undefined };

  it("are refused by default", async () => {
    const handler = await loadAuthorizer();
    await expect(handler(withQuery(await mint(accessClaims)))).rejects.toThrow(/^Unauthorized$/);
  });

  it("are allowed when configured, with client_id checked", async () => {
    const handler = await loadAuthorizer({ ALLOWED_TOKEN_USES: "id,access" });
    const response = await handler(withQuery(await mint(accessClaims)));
    expect(response.context?.username).toBe("alice");
    await expect(handler(withQuery(await mint({ ...accessClaims, client_id: "another-client" })))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe("bad tokens are refused with Unauthorized (401)", () => {
  const hour = 3600;
  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: [string, () => Promise<string> | string][] = [
    ["signed by another key with the same kid", () => mint({}, {}, otherKey)],
    ["alg none, no signature", async () => `${encode({ alg: "none", kid: "key-1" })}.${segments(await mint())[1]}.`],
    ["alg none with the original signature", async () => {
      const [, payload, signature] = segments(await mint());
      return `${encode({ alg: "none", kid: "key-1" })}.${payload}.${signature}`;
    }],
    ["HS256 with the public key as the HMAC secret", async () => {
      const header = encode({ alg: "HS256", kid: "key-1" });
      const payload = segments(await mint())[1];
      const secret = JSON.stringify(key.publicJwk);
      return `${header}.${payload}.${createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url")}`;
    }],
    ["RS512 signed with the pool's key", async () => {
      const signingInput = `${encode({ alg: "RS512", kid: "key-1" })}.${segments(await mint())[1]}`;
      const signature = createSign("RSA-SHA512").update(signingInput).sign(await exportPKCS8(key.privateKey), "base64url");
      return `${signingInput}.${signature}`;
    }],
    ["payload tampered after signing", async () => {
      const [header, , signature] = segments(await mint());
      const forged = await mint({ sub: "someone-else", "cognito:username": "someone-else" });
      return `${header}.${segments(forged)[1]}.${signature}`;
    }],
    ["signature truncated", async () => (await mint()).slice(0, -10)],
    ["signature removed", async () => segments(await mint()).slice(0, 2).join(".") + "."],
    ["wrong issuer", () => mint({ iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" })],
    ["another pool on the same issuer host", () => mint({ iss: jwks.issuer.replace(jwks.poolId, "us-east-1_OtherPool") })],
    ["issuer with a trailing slash", () => mint({ iss: `${jwks.issuer}/` })],
    ["wrong audience", () => mint({ aud: "another-client" })],
    ["audience list without our client", () => mint({ aud: ["another-client", "third-client"] })],
    ["token_use missing", () => mint({ token_use: undefined })],
    ["token_use refresh", () => mint({ token_use: "refresh" })],
    ["access token while only ID tokens are allowed", () => mint({ token_use: "access", client_id: clientId, aud: undefined })],
    ["expired an hour ago", () => mint({ iat: now() - 2 * hour, exp: now() - hour })],
    ["expired beyond the clock tolerance", () => mint({ iat: now() - hour, exp: now() - 30 })],
    ["nbf in the future", () => mint({ nbf: now() + hour })],
    ["iat in the future", () => mint({ iat: now() + hour })],
    ["exp missing", () => mint({ exp: undefined })],
    ["iat missing", () => mint({ iat: undefined })],
    ["sub missing", () => mint({ sub: undefined })],
    ["exp as a string", () => mint({ exp: String(now() + hour) })],
    ["unknown kid", () => mint({}, { kid: "key-2" })],
    ["kid missing", () => mint({}, { kid: undefined })],
    ["not a JWT", () => "not-a-token"],
    ["two segments", async () => segments(await mint()).slice(0, 2).join(".")],
    ["four segments", async () => `${await mint()}.extra`],
    ["header is not JSON", async () => `${base64url.encode("{nope")}.${segments(await mint()).slice(1).join(".")}`],
    ["payload is not JSON", async () => {
      const header = encode({ alg: "RS256", kid: "key-1" });
      return `${header}.${base64url.encode("[[[")}.${segments(await mint())[2]}`;
    }],
    ["JWE-shaped (five segments)", () => "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"],
    ["whitespace around the token", async () => ` ${await mint()} `],
  ];

  it.each(badTokens)("%s", async (_, makeToken) => {
    const handler = await loadAuthorizer();
    await expect(handler(withQuery(await makeToken()))).rejects.toThrow(/^Unauthorized$/);
  });

  it("no token at all", async () => {
    const handler = await loadAuthorizer();
    await expect(handler(authorizerEvent())).rejects.toThrow(/^Unauthorized$/);
  });

  it("two different tokens in a duplicated query parameter", async () => {
    const handler = await loadAuthorizer();
    const event = authorizerEvent({ query: { idToken: [await mint({}, {}, otherKey), await mint()] } });
    await expect(handler(event)).rejects.toThrow(/^Unauthorized$/);
  });

  it("a query token and a different subprotocol token", async () => {
    const handler = await loadAuthorizer();
    const event = authorizerEvent({ query: { idToken: await mint() }, headers: { "Sec-WebSocket-Protocol": await mint({}, {}, otherKey) } });
    await expect(handler(event)).rejects.toThrow(/^Unauthorized$/);
  });
});

describe("other spellings of a valid token are refused before verification", () => {
  /** The signature's last character with its unused low bits set: it decodes to the same bytes. */
  const strayBits = (token: string) => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(token.at(-1)!);
    return `${token.slice(0, -1)}${alphabet[last | 1]}`;
  };
  // Whitespace and `=` cannot reach a subprotocol entry (the list syntax trims or rejects them).
  const spellings: [string, (token: string) => string, boolean][] = [
    ["a trailing newline (%0A)", (token) => `${token}\n`, false],
    ["a trailing tab (%09)", (token) => `${token}\t`, false],
    ["a trailing space (+)", (token) => `${token} `, false],
    ["a space inside the signature", (token) => `${token.slice(0, -8)} ${token.slice(-8)}`, false],
    ["= padding", (token) => `${token}==`, false],
    ["stray bits in the signature's last character", strayBits, true],
  ];

  it.each(spellings)("%s", async (_, respell, asSubprotocol) => {
    const handler = await loadAuthorizer({ INITIAL_JWKS: JSON.stringify({ keys: [key.publicJwk] }) });
    const token = await mint();
    const variant = respell(token);
    expect(variant).not.toBe(token);
    const verifications = vi.spyOn(crypto.subtle, "verify");
    try {
      await expect(handler(withQuery(variant))).rejects.toThrow(/^Unauthorized$/);
      if (asSubprotocol) await expect(handler(authorizerEvent({ headers: { "Sec-WebSocket-Protocol": `json, ${variant}` } }))).rejects.toThrow(/^Unauthorized$/);
      expect(verifications).not.toHaveBeenCalled();
      // The token itself still passes.
      expect((await handler(withQuery(token))).policyDocument.Statement[0].Effect).toBe("Allow");
    } finally {
      verifications.mockRestore();
    }
  });
});

describe("a query parameter named like an Object.prototype member", () => {
  it.each(["constructor", "toString", "__proto__"])("%s: reads the token given under that name, and answers Unauthorized without it", async (name) => {
    const handler = await loadAuthorizer({ TOKEN_QUERY_PARAMETER: name });
    const token = await mint();
    // Parsed from JSON, as the Lambda runtime parses the event, so that `__proto__` is an own key.
    const event = JSON.parse(JSON.stringify(authorizerEvent()).replace('"queryStringParameters":{}', `"queryStringParameters":{"${name}":"${token}"}`).replace('"multiValueQueryStringParameters":{}', `"multiValueQueryStringParameters":{"${name}":["${token}"]}`));
    expect((await handler(event)).policyDocument.Statement[0].Effect).toBe("Allow");
    await expect(handler(authorizerEvent())).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(withQuery(token))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe("absurd lifetimes", () => {
  it.each([
    ["exp 1e20", { exp: 1e20 }],
    ["exp in a year", { exp: Math.floor(Date.now() / 1000) + 365 * 24 * 3600 }],
  ])("%s is refused (401), not allowed into a $connect that cannot store it", async (_, claims) => {
    const handler = await loadAuthorizer();
    await expect(handler(withQuery(await mint(claims)))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe("two Sec-WebSocket-Protocol headers", () => {
  it("carrying different tokens are refused, though `headers` shows only the last", async () => {
    const handler = await loadAuthorizer();
    const [good, forged] = [await mint(), await mint({ sub: "mallory" }, {}, otherKey)];
    const event = {
      ...authorizerEvent({ headers: { "Sec-WebSocket-Protocol": good } }),
      multiValueHeaders: { "Sec-WebSocket-Protocol": [`json, ${forged}`, good] },
    };
    await expect(handler(event)).rejects.toThrow(/^Unauthorized$/);
    const single = { ...event, multiValueHeaders: { "Sec-WebSocket-Protocol": [`json, ${good}`] } };
    expect((await handler(single)).policyDocument.Statement[0].Effect).toBe("Allow");
  });
});

describe("the key set", () => {
  it("is fetched once for many verifications", async () => {
    const handler = await loadAuthorizer();
    const before = jwks.fetches;
    const tokens = await Promise.all(Array.from({ length: 25 }, (_, i) => mint({ jti: `jti-${i}` })));
    for (const token of tokens) await handler(withQuery(token));
    expect(jwks.fetches - before).toBe(1);
  });

  it("being unreachable refuses every token and never allows (500, not 401)", async () => {
    const handler = await loadAuthorizer();
    jwks.up = false;
    try {
      const outcome = handler(withQuery(await mint()));
      await expect(outcome).rejects.toThrow();
      await expect(outcome).rejects.not.toThrow(/^Unauthorized$/);
    } finally {
      jwks.up = true;
    }
  });

  it("recovers by itself when the endpoint comes back", async () => {
    const handler = await loadAuthorizer();
    jwks.up = false;
    await expect(handler(withQuery(await mint()))).rejects.toThrow();
    jwks.up = true;
    const response = await handler(withQuery(await mint()));
    expect(response.policyDocument.Statement[0].Effect).toBe("Allow");
  });

  it("refused at the host is a refusal too", async () => {
    const handler = await loadAuthorizer({ TOKEN_ISSUER: "http://127.0.0.1:9/us-east-1_Nowhere" });
    const token = await mintIdToken({ key, issuer: "http://127.0.0.1:9/us-east-1_Nowhere", clientId });
    await expect(handler(withQuery(token))).rejects.not.toThrow(/^Unauthorized$/);
  });
});

describe("the initial key set (INITIAL_JWKS, fetched at deploy time)", () => {
  const initialJwks = () => JSON.stringify({ keys: [key.publicJwk] });

  it("verifies the first token of a new instance without fetching the JWKS", async () => {
    // Prepare
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    const token = await mint();
    const before = jwks.fetches;
    // Act
    const response = await handler(withQuery(token));
    await handler(withQuery(await mint({ jti: "another" })));
    // Assess
    expect(response.policyDocument.Statement[0].Effect).toBe("Allow");
    expect(jwks.fetches - before).toBe(0);
  });

  it("needs no JWKS endpoint at all for known keys", async () => {
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    jwks.up = false;
    try {
      const response = await handler(withQuery(await mint()));
      expect(response.policyDocument.Statement[0].Effect).toBe("Allow");
    } finally {
      jwks.up = true;
    }
  });

  it("still fetches the JWKS for an unknown kid (a rotated key), once", async () => {
    const rotated = await newSigningKey("key-2");
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    jwks.keys = [key, rotated];
    try {
      const before = jwks.fetches;
      const first = await handler(withQuery(await mint({}, {}, rotated)));
      const second = await handler(withQuery(await mint({ jti: "second" }, {}, rotated)));
      expect(first.policyDocument.Statement[0].Effect).toBe("Allow");
      expect(second.policyDocument.Statement[0].Effect).toBe("Allow");
      expect(jwks.fetches - before).toBe(1);
    } finally {
      jwks.keys = [key];
    }
  });

  it("stops accepting a key that a refetch no longer lists", async () => {
    const rotated = await newSigningKey("key-2");
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    expect((await handler(withQuery(await mint()))).policyDocument.Statement[0].Effect).toBe("Allow");
    jwks.keys = [rotated]; // key-1 withdrawn from the pool
    try {
      expect((await handler(withQuery(await mint({}, {}, rotated)))).policyDocument.Statement[0].Effect).toBe("Allow");
      await expect(handler(withQuery(await mint({ jti: "after-rotation" })))).rejects.toThrow(/^Unauthorized$/);
    } finally {
      jwks.keys = [key];
    }
  });

  it("refuses a kid that neither the initial set nor the endpoint knows", async () => {
    const stranger = await newSigningKey("key-3");
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    const before = jwks.fetches;
    await expect(handler(withQuery(await mint({}, {}, stranger)))).rejects.toThrow(/^Unauthorized$/);
    expect(jwks.fetches - before).toBe(1);
  });

  it("refuses a forged token whose kid is in the initial set", async () => {
    const handler = await loadAuthorizer({ INITIAL_JWKS: initialJwks() });
    await expect(handler(withQuery(await mint({}, {}, otherKey)))).rejects.toThrow(/^Unauthorized$/);
  });

  it.each([
    ["not JSON", "{keys"],
    ["without keys", "{}"],
    ["with no key", '{"keys":[]}'],
  ])("stops the cold start, naming INITIAL_JWKS, when it is %s", async (_, value) => {
    await expect(loadAuthorizer({ INITIAL_JWKS: value })).rejects.toThrow(/INITIAL_JWKS must be a JSON Web Key Set/);
  });
});

describe("the verified-token cache in the handler", () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  const subtleVerifications = () => vi.spyOn(crypto.subtle, "verify");
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("verifies a repeated token once and allows it every time", async () => {
    // Prepare
    const handler = await loadAuthorizer({ INITIAL_JWKS: JSON.stringify({ keys: [key.publicJwk] }) });
    const token = await mint();
    const verifications = subtleVerifications();
    // Act
    const responses = [];
    for (let i = 0; i < 5; i += 1) {
      responses.push(await handler(withQuery(token)));
      await nextTurn(); // requests reach an instance one at a time, with I/O in between
    }
    // Assess
    expect(verifications).toHaveBeenCalledTimes(1);
    expect(new Set(responses.map((response) => JSON.stringify(response))).size).toBe(1);
    expect(responses[4]!.policyDocument.Statement[0].Effect).toBe("Allow");
  });

  it("never lets a token that differs from a cached one through", async () => {
    const handler = await loadAuthorizer();
    const token = await mint();
    await handler(withQuery(token));
    await nextTurn();
    const [header, payload, signature] = segments(token);
    const forgedPayload = base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), sub: "mallory" }));
    const lookalikes = [
      `${header}.${forgedPayload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${token}.`,
    ];
    for (const lookalike of lookalikes) await expect(handler(withQuery(lookalike)), lookalike).rejects.toThrow(/^Unauthorized$/);
  });

  it("verifies again at exp, where jose (without clock tolerance) refuses", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const now = Math.floor(Date.now() / 1000);
    const handler = await loadAuthorizer({ CLOCK_TOLERANCE_SECONDS: "0" });
    const token = await mint({ iat: now, exp: now + 60 });
    expect((await handler(withQuery(token))).policyDocument.Statement[0].Effect).toBe("Allow");
    await nextTurn();
    vi.setSystemTime((now + 59) * 1000);
    const verifications = subtleVerifications();
    expect((await handler(withQuery(token))).policyDocument.Statement[0].Effect).toBe("Allow");
    expect(verifications).toHaveBeenCalledTimes(0);
    vi.setSystemTime((now + 60) * 1000);
    await expect(handler(withQuery(token))).rejects.toThrow(/^Unauthorized$/);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it("does not remember a refusal: a token refused while its key was unknown is allowed once the key is published", async () => {
    const late = await newSigningKey("key-late");
    const handler = await loadAuthorizer();
    const token = await mint({}, {}, late);
    await expect(handler(withQuery(token))).rejects.toThrow(/^Unauthorized$/);
    jwks.keys = [key, late];
    try {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 31_000); // past jose's refetch cooldown
      expect((await handler(withQuery(token))).policyDocument.Statement[0].Effect).toBe("Allow");
    } finally {
      jwks.keys = [key];
    }
  });

  it("does not remember an outage: the same token is allowed once the keys are back", async () => {
    const handler = await loadAuthorizer();
    const token = await mint();
    jwks.up = false;
    await expect(handler(withQuery(token))).rejects.not.toThrow(/^Unauthorized$/);
    jwks.up = true;
    expect((await handler(withQuery(token))).policyDocument.Statement[0].Effect).toBe("Allow");
  });
});

describe("logs", () => {
  it("never contain the token or any of its segments, and carry jose's error code", async () => {
    const info = { POWERTOOLS_LOG_LEVEL: "INFO" };
    const handler = await loadAuthorizer(info);
    const good = await mint();
    const expired = await mint({ iat: 1_000, exp: 2_000 });
    const forged = await mint({}, {}, otherKey);
    const denying = await loadAuthorizer({ ...info, REQUIRED_GROUPS: "admins" });
    logs = captureLogs();
    await handler(withQuery(good));
    const linesAfterAllow = logs.lines.length;
    await handler(withQuery(expired)).catch(() => undefined);
    await handler(withQuery(forged)).catch(() => undefined);
    await denying(withQuery(good));
    jwks.up = false;
    await (await loadAuthorizer(info))(withQuery(good)).catch(() => undefined);
    jwks.up = true;
    logs.restore();

    // Allow logs nothing (API Gateway's access log has the principalId); every other outcome logs.
    expect(linesAfterAllow).toBe(0);

    const text = logs.lines.join("\n");
    expect(logs.records().length).toBeGreaterThanOrEqual(4);
    for (const token of [good, expired, forged]) {
      for (const segment of segments(token)) expect(text).not.toContain(segment);
    }
    const reasons = logs.records().map((record) => record.reason ?? record.code);
    expect(reasons).toContain("ERR_JWT_EXPIRED");
    expect(reasons).toContain("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    expect(reasons).toContain("ERR_JWKS_UNAVAILABLE");
    expect(logs.records().find((record) => record.message === "denied")).toMatchObject({ userId: "0f4c1f3e-1111-4222-8333-444455556666" });
  });
});

describe("configuration", () => {
  it("names the missing variable", async () => {
    await expect(loadAuthorizer({ APP_CLIENT_ID: "" })).rejects.toThrow(/APP_CLIENT_ID is not set/);
  });

  it("names the bad variable and the accepted values", async () => {
    await expect(loadAuthorizer({ ALLOWED_TOKEN_USES: "id,refresh" })).rejects.toThrow(/ALLOWED_TOKEN_USES accepts "id" and "access"/);
  });
});
