import { describe, expect, it } from "vitest";
import { readSettings, settingsEnvironment } from "../../../functions/settings/environment.js";
import type { AuthorizerSettings, MessagingSettings } from "../../../functions/settings/schema.js";

const authorizer: AuthorizerSettings = {
  issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
  clientId: "client",
  tokenUses: ["id", "access"],
  requiredGroups: ["admins", "ops"],
  clockToleranceSeconds: 10,
  tokenQueryParameter: "ID_Token",
  subprotocolToken: false,
  logLevel: "WARN",
};
const messaging: MessagingSettings = {
  connectionsTableName: "connections-1a2b",
  userIndexName: "userId-index",
  managementApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/dev",
  connectionTtlSeconds: 3600,
  postConcurrency: 20,
  postRateLimit: 800,
  fanOutShardSize: 250,
  logLevel: "INFO",
  subscriptionsTableName: "subscriptions-3c4d",
  channelMessagesTableName: "channel-messages-5e6f",
  channelRules: [{ channel: "rooms/*", subscribe: ["authenticated"], publish: ["group:moderators"] }],
  channelHistorySeconds: 0,
  channelReplayLimit: 10,
  maxSubscriptionsPerConnection: 5,
  rateLimitsTableName: "rate-limits-7a8b",
  deliveriesTableName: "deliveries-9c0d",
  deliverFunctionName: "websocket-deliver-function-1e2f",
  userMessageRate: 0,
  userMessageBurst: 3,
  maxConnectionsPerUser: 2,
  connectionLimitMs: 60_000,
};

describe("the environment contract", () => {
  it("reads back exactly what was written", () => {
    expect(readSettings("authorizer", settingsEnvironment("authorizer", authorizer))).toEqual(authorizer);
    expect(readSettings("messaging", settingsEnvironment("messaging", messaging))).toEqual(messaging);
  });

  it("fills defaults for optional variables", () => {
    const settings = readSettings("authorizer", { TOKEN_ISSUER: authorizer.issuer, APP_CLIENT_ID: "c" });
    expect(settings).toMatchObject({ tokenUses: ["id"], requiredGroups: [], clockToleranceSeconds: 5, tokenQueryParameter: "idToken", subprotocolToken: true });
  });

  it.each([
    [{ TOKEN_ISSUER: "" }, /TOKEN_ISSUER is not set/],
    [{ TOKEN_ISSUER: "cognito" }, /TOKEN_ISSUER must look like/],
    [{ ALLOWED_TOKEN_USES: "" }, /ALLOWED_TOKEN_USES must name at least one/],
    [{ CLOCK_TOLERANCE_SECONDS: "-1" }, /CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 300/],
    [{ SUBPROTOCOL_TOKEN: "yes" }, /SUBPROTOCOL_TOKEN must be "true" or "false"/],
  ])("names the authorizer variable at fault: %j", (override, message) => {
    expect(() => readSettings("authorizer", { ...settingsEnvironment("authorizer", authorizer), ...override })).toThrow(message);
  });

  it.each([
    [{ CONNECTIONS_TABLE_NAME: "" }, /CONNECTIONS_TABLE_NAME is not set/],
    [{ MANAGEMENT_API_URL: "wss://abc/dev" }, /MANAGEMENT_API_URL must be an http\(s\) URL/],
    [{ POST_CONCURRENCY: "0" }, /POST_CONCURRENCY must be an integer from 1 to 1000/],
    [{ CONNECTION_TTL_SECONDS: "1.5" }, /CONNECTION_TTL_SECONDS must be an integer/],
    [{ POST_RATE_LIMIT: "0" }, /POST_RATE_LIMIT must be an integer from 1 to/],
    [{ FANOUT_SHARD_SIZE: "0" }, /FANOUT_SHARD_SIZE must be an integer from 1 to/],
    [{ DELIVERIES_TABLE_NAME: "" }, /DELIVERIES_TABLE_NAME is not set/],
  ])("names the messaging variable at fault: %j", (override, message) => {
    expect(() => readSettings("messaging", { ...settingsEnvironment("messaging", messaging), ...override })).toThrow(message);
  });

  it("leaves the worker's name out of the worker's own environment, and reads it back unset", () => {
    const { deliverFunctionName: _, ...worker } = messaging;
    const environment = settingsEnvironment("messaging", worker);

    expect(environment).not.toHaveProperty("DELIVER_FUNCTION_NAME");
    expect(readSettings("messaging", environment)).toEqual(worker);
  });
});

describe("INITIAL_JWKS (the pool's keys, fetched at deploy time)", () => {
  const rsaKey = { kid: "abc123", kty: "RSA" as const, n: "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw", e: "AQAB", alg: "RS256", use: "sig" };
  const withJwks = (jwks: unknown) => ({ ...settingsEnvironment("authorizer", authorizer), INITIAL_JWKS: typeof jwks === "string" ? jwks : JSON.stringify(jwks) });

  it("is written only when known, and read back", () => {
    expect(settingsEnvironment("authorizer", authorizer)).not.toHaveProperty("INITIAL_JWKS");
    const settings = { ...authorizer, initialJwks: { keys: [rsaKey] } };
    const environment = settingsEnvironment("authorizer", settings);
    expect(JSON.parse(environment.INITIAL_JWKS!)).toEqual({ keys: [rsaKey] });
    expect(readSettings("authorizer", environment)).toEqual(settings);
  });

  it("is optional: without it the keys are fetched on first use", () => {
    expect(readSettings("authorizer", settingsEnvironment("authorizer", authorizer)).initialJwks).toBeUndefined();
    expect(readSettings("authorizer", { ...settingsEnvironment("authorizer", authorizer), INITIAL_JWKS: "" }).initialJwks).toBeUndefined();
  });

  it("keeps only the members a verifier needs", () => {
    const settings = readSettings("authorizer", withJwks({ keys: [{ ...rsaKey, x5c: ["MIIC..."], extra: true }] }));
    expect(settings.initialJwks).toEqual({ keys: [rsaKey] });
  });

  it.each([
    ["not JSON", "{keys:"],
    ["not an object", "[]"],
    ["no keys array", { keys: "abc" }],
    ["an empty key set", { keys: [] }],
    ["a key that is not an object", { keys: ["abc"] }],
    ["a key without kid", { keys: [{ ...rsaKey, kid: undefined }] }],
    ["a key with an empty kid", { keys: [{ ...rsaKey, kid: "" }] }],
    ["two keys with one kid", { keys: [rsaKey, rsaKey] }],
    ["an EC key", { keys: [{ kid: "ec", kty: "EC", crv: "P-256", x: "abc", y: "def" }] }],
    ["a symmetric key", { keys: [{ kid: "oct", kty: "oct", k: "c2VjcmV0" }] }],
    ["a key without a modulus", { keys: [{ ...rsaKey, n: undefined }] }],
    ["a modulus that is not base64url", { keys: [{ ...rsaKey, n: "a+b/c=" }] }],
    ["a private key", { keys: [{ ...rsaKey, d: "c2VjcmV0" }] }],
    ["a key for another algorithm", { keys: [{ ...rsaKey, alg: "RS512" }] }],
    ["an encryption key", { keys: [{ ...rsaKey, use: "enc" }] }],
  ])("refuses %s, naming the variable", (_, jwks) => {
    expect(() => readSettings("authorizer", withJwks(jwks))).toThrow(/^INITIAL_JWKS must be a JSON Web Key Set of public RSA keys/);
  });
});
