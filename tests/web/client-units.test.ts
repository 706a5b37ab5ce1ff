/** The page's small pure pieces: settings, frames, token claims, backoff and refresh timing. */
import { describe, expect, it } from "vitest";
import { backoffDelay, refreshDelay } from "../../web/src/backoff.js";
import { cloudWebClientConfig, localWebClientConfig, parseWebClientConfig } from "../../web/src/config.js";
import { readClaims } from "../../web/src/jwt.js";
import { classify, describeError, frameFor, maxFrameBytes, reauthAnswer, reauthFrame } from "../../web/src/protocol.js";
import { contentSecurityPolicy, contentTypeOf } from "../../web/site.js";

describe("the page's config.json", () => {
  it("for a cloud stack: Cognito's regional endpoint, the region taken from the pool id", () => {
    const config = cloudWebClientConfig({ webSocketUrl: "wss://abc.execute-api.eu-west-1.amazonaws.com/dev", userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "client" });

    expect(config).toEqual({
      webSocketUrl: "wss://abc.execute-api.eu-west-1.amazonaws.com/dev",
      userPoolClientId: "client",
      region: "eu-west-1",
      cognitoEndpoint: "https://cognito-idp.eu-west-1.amazonaws.com/",
      environment: "aws",
    });
    expect(parseWebClientConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it("for the local stack: cognito-local, and the development-only confirmation endpoint", () => {
    const config = localWebClientConfig(
      { webSocketUrl: "ws://127.0.0.1:3001/local", userPoolClientId: "client", region: "us-east-1", cognitoEndpoint: "http://127.0.0.1:9229" },
      "/local/confirm-sign-up",
    );

    expect(config).toMatchObject({ cognitoEndpoint: "http://127.0.0.1:9229", environment: "local", localConfirmSignUpUrl: "/local/confirm-sign-up" });
    expect(parseWebClientConfig(config)).toEqual(config);
  });

  it("is refused, naming the field, when a value is missing, not a URL, carries a query string, or misplaces the local endpoint", () => {
    const good = cloudWebClientConfig({ webSocketUrl: "wss://abc.example.com/dev", userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "client" });

    expect(() => parseWebClientConfig([])).toThrow(/not a JSON object/);
    expect(() => parseWebClientConfig({ ...good, userPoolClientId: "" })).toThrow(/"userPoolClientId"/);
    expect(() => parseWebClientConfig({ ...good, webSocketUrl: "https://abc.example.com/dev" })).toThrow(/"webSocketUrl" must use wss: or ws:/);
    expect(() => parseWebClientConfig({ ...good, webSocketUrl: "wss://abc.example.com/dev?idToken=x" })).toThrow(/query string/);
    expect(() => parseWebClientConfig({ ...good, cognitoEndpoint: "nope" })).toThrow(/"cognitoEndpoint" is not a URL/);
    expect(() => parseWebClientConfig({ ...good, environment: "prod" })).toThrow(/"environment"/);
    expect(() => parseWebClientConfig({ ...good, localConfirmSignUpUrl: "/local/confirm-sign-up" })).toThrow(/local stack only/);
    expect(() => parseWebClientConfig({ ...good, selfSignUp: "false" })).toThrow(/"selfSignUp" must be true or false/);
  });

  it("carries selfSignUp when the stack gives it; a file without it (written before it existed) still reads", () => {
    const cloud = cloudWebClientConfig({ webSocketUrl: "wss://abc.example.com/dev", userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "client", selfSignUp: false });
    const local = localWebClientConfig({ webSocketUrl: "ws://127.0.0.1:3001/local", userPoolClientId: "client", region: "us-east-1", cognitoEndpoint: "http://127.0.0.1:9229", selfSignUp: true });
    const older = cloudWebClientConfig({ webSocketUrl: "wss://abc.example.com/dev", userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "client" });

    expect(cloud.selfSignUp).toBe(false);
    expect(local.selfSignUp).toBe(true);
    for (const config of [cloud, local, older]) expect(parseWebClientConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    expect("selfSignUp" in parseWebClientConfig(older)).toBe(false);
  });
});

describe("frames", () => {
  it("follow the message protocol: echo through $default, broadcast, send to a user, whoami", () => {
    expect(JSON.parse(frameFor({ kind: "echo", text: "hi" }))).toEqual({ action: "echo", data: "hi" });
    expect(JSON.parse(frameFor({ kind: "broadcast", text: "hi" }))).toEqual({ action: "sendmessage", data: "hi" });
    expect(JSON.parse(frameFor({ kind: "sendtouser", userId: " sub-1 ", text: "hi" }))).toEqual({ action: "sendtouser", userId: "sub-1", data: "hi" });
    expect(JSON.parse(frameFor({ kind: "whoami" }))).toEqual({ action: "whoami" });
  });

  it("are refused before sending when API Gateway would close the connection for them", () => {
    expect(() => frameFor({ kind: "sendtouser", userId: " ", text: "hi" })).toThrow(/user id/);
    expect(() => frameFor({ kind: "broadcast", text: "é".repeat(maxFrameBytes / 2) })).toThrow(/at most 32768/);
  });

  it("an error frame keeps TooManyRequests' wait, which is shown in whole seconds, rounded up", () => {
    const error = classify('{"error":{"code":"TooManyRequests","message":"More than 40 frames in 2 s","retryAfterMs":1001}}');

    expect(error).toEqual({ kind: "error", code: "TooManyRequests", message: "More than 40 frames in 2 s", retryAfterMs: 1001 });
    expect(describeError(error as Extract<typeof error, { kind: "error" }>)).toBe("slow down: try again in 2 s");
    expect(describeError({ code: "TooManyRequests", message: "", retryAfterMs: 0 })).toBe("slow down: try again in 1 s");
    expect(describeError({ code: "Forbidden", message: "Forbidden" })).toBe("Forbidden (Forbidden)");
    expect(classify('{"error":{"code":"TooManyRequests","message":"m","retryAfterMs":"soon"}}')).not.toHaveProperty("retryAfterMs");
  });

  it("reauth: the request, and which frames answer it (an echo of the request is a refusal too)", () => {
    const request = reauthFrame("h.p.s", "reauth-1");

    expect(JSON.parse(request)).toEqual({ action: "reauth", token: "h.p.s", id: "reauth-1" });
    expect(reauthAnswer('{"type":"reauthenticated","id":"reauth-1","expiresAt":1767229200}', "reauth-1")).toEqual({ accepted: true });
    expect(reauthAnswer('{"error":{"code":"Unauthorized","message":"m"},"id":"reauth-1"}', "reauth-1")).toEqual({ accepted: false, reason: "Unauthorized" });
    expect(reauthAnswer(request, "reauth-1")).toMatchObject({ accepted: false });
    for (const other of ['{"type":"reauthenticated","id":"reauth-10","expiresAt":1}', '{"error":{"code":"Unauthorized"}}', "reauth-1", '"reauth-1"']) {
      expect(reauthAnswer(other, "reauth-1"), other).toBeUndefined();
    }
  });

  it("received are told apart: identity, error frames, echoes of our own frame, anything else as text", () => {
    expect(classify('{"connectionId":"c1","userId":"u1","username":"u1"}')).toEqual({ kind: "identity", connectionId: "c1", userId: "u1", username: "u1" });
    expect(classify('{"error":{"code":"BadRequest","message":"\\"data\\" is required"}}')).toEqual({ kind: "error", code: "BadRequest", message: '"data" is required' });
    expect(classify(frameFor({ kind: "echo", text: "hi" }))).toEqual({ kind: "echo", text: "hi" });
    expect(classify("hello")).toEqual({ kind: "text", text: "hello" });
    expect(classify('{"a":1}')).toEqual({ kind: "text", text: '{"a":1}' });
  });
});

describe("readClaims", () => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

  it("reads the payload of a JWT, UTF-8 included, without verifying it", () => {
    const claims = { sub: "s", iat: 1, exp: 2, email: "zoë@example.com" };
    expect(readClaims(`${encode({ alg: "RS256" })}.${encode(claims)}.sig`)).toEqual(claims);
  });

  it("refuses what is not a JWT with sub, exp and iat", () => {
    expect(() => readClaims("a.b")).toThrow(/three/);
    expect(() => readClaims("a.!!!.c")).toThrow(/base64url/);
    expect(() => readClaims(`a.${encode({ sub: "s" })}.c`)).toThrow(/sub, exp or iat/);
  });
});

describe("backoff and refresh timing", () => {
  it("grows exponentially up to the cap, always at least half the ceiling", () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 6, 7, 50].map((attempt) => backoffDelay(attempt, () => 0, policy))).toEqual([250, 500, 1000, 2000, 15_000, 15_000, 15_000]);
    expect([0, 1, 2, 3, 6, 7, 50].map((attempt) => backoffDelay(attempt, () => 0.999_999, policy))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });

  it("refreshes five minutes before expiry, a fifth of a short lifetime before it, never in the past", () => {
    const hour = 3_600_000;
    expect(refreshDelay({ issuedAt: 0, expiresAt: hour }, 0)).toBe(55 * 60_000);
    expect(refreshDelay({ issuedAt: 0, expiresAt: 10 * 60_000 }, 0)).toBe(8 * 60_000);
    expect(refreshDelay({ issuedAt: 0, expiresAt: hour }, 2 * hour)).toBe(0);
  });
});

describe("serving the page", () => {
  it("names content types by extension", () => {
    expect(contentTypeOf("index.html")).toBe("text/html; charset=utf-8");
    expect(contentTypeOf("app.js")).toBe("text/javascript; charset=utf-8");
    expect(contentTypeOf("styles.css")).toBe("text/css; charset=utf-8");
    expect(contentTypeOf("favicon.svg")).toBe("image/svg+xml");
    expect(contentTypeOf("config.json")).toBe("application/json; charset=utf-8");
    expect(contentTypeOf("blob.bin")).toBe("application/octet-stream");
  });

  it("allows scripts from the page only and network access to exactly the API and Cognito origins", () => {
    const policy = contentSecurityPolicy(["wss://abc.execute-api.eu-west-1.amazonaws.com/dev", "https://cognito-idp.eu-west-1.amazonaws.com/"]);

    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self' wss://abc.execute-api.eu-west-1.amazonaws.com https://cognito-idp.eu-west-1.amazonaws.com;");
    expect(policy).not.toContain("unsafe");
  });
});
