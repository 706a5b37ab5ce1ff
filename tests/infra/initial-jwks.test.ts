/**
 * The pool's JWKS, fetched by the program and handed to the authorizer as INITIAL_JWKS: once, from
 * the issuer's URL, by `pulumi up` and by `pulumi preview` alike once the pool exists. Where the keys
 * cannot be had, the program warns once, naming the URL and the cause, and deploys the authorizer
 * without them. An environment past Lambda's 4 KB stops the deployment with a clear message.
 */
import { describe, expect, it, vi } from "vitest";
import { fetchIssuerJwks } from "../../functions/jwks.js";
import { environmentSize, functionEnvironment, lambdaEnvironmentLimitBytes, readSettings, settingsEnvironment } from "../../functions/settings/environment.js";
import type { AuthorizerSettings } from "../../functions/settings/schema.js";
import { functionNames, functions } from "../../functions/routes.js";
import { poolJwks, region, resource, runProgram, userPoolIdValue, type RecordedResource, type RunOptions } from "./harness.js";

const jwksUrl = `https://cognito-idp.${region}.amazonaws.com/${userPoolIdValue}/.well-known/jwks.json`;
const variablesOf = (run: { resources: RecordedResource[] }, fn: string) =>
  resource(run as never, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs.environment?.variables as Record<string, string> | undefined;

describe("pulumi up", () => {
  it("fetches the pool's JWKS once and gives it to the authorizer only", async () => {
    // Act
    vi.resetModules();
    const run = await runProgram();

    // Assess
    expect(run.fetches).toEqual([jwksUrl]);
    const authorizer = variablesOf(run, "authorizer")!;
    expect(readSettings("authorizer", authorizer).initialJwks).toEqual(poolJwks);
    expect(environmentSize(authorizer)).toBeLessThanOrEqual(lambdaEnvironmentLimitBytes);
    for (const fn of functionNames.filter((name) => !functions[name].settings.includes("authorizer"))) {
      expect(variablesOf(run, fn), fn).not.toHaveProperty("INITIAL_JWKS");
    }
  });

});

describe("the deploy-time fetch", () => {
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolIdValue}`;
  const answering = (...responses: { status: number; body?: unknown }[]) => {
    const requests: string[] = [];
    const fetch = async (url: string) => {
      requests.push(url);
      const { status, body } = responses[Math.min(requests.length - 1, responses.length - 1)]!;
      return { status, json: async () => body };
    };
    return { fetch, requests };
  };

  it("retries a failing endpoint, then returns the keys", async () => {
    const endpoint = answering({ status: 503 }, { status: 200, body: poolJwks });
    await expect(fetchIssuerJwks(issuer, { fetch: endpoint.fetch, retryDelayMs: 0 })).resolves.toEqual(poolJwks);
    expect(endpoint.requests).toEqual([jwksUrl, jwksUrl]);
  });

  it("stops with the URL and the last answer after three attempts", async () => {
    const endpoint = answering({ status: 503 });
    await expect(fetchIssuerJwks(issuer, { fetch: endpoint.fetch, retryDelayMs: 0 })).rejects.toThrow(
      `Could not fetch the user pool's JWKS from ${jwksUrl} (3 attempts, last: HTTP 503)`,
    );
    expect(endpoint.requests).toHaveLength(3);
  });

  it("stops at once, naming the URL, when the JWKS holds no usable key", async () => {
    const endpoint = answering({ status: 200, body: { keys: [{ kid: "ec", kty: "EC", crv: "P-256", x: "a", y: "b" }] } });
    await expect(fetchIssuerJwks(issuer, { fetch: endpoint.fetch, retryDelayMs: 0 })).rejects.toThrow(
      `${jwksUrl} must be a JSON Web Key Set of public RSA keys`,
    );
    expect(endpoint.requests).toHaveLength(1);
  });
});

describe("pulumi preview", () => {
  it("of a stack whose pool exists fetches the keys too, so that an unchanged stack previews unchanged", async () => {
    vi.resetModules();
    const run = await runProgram({}, { preview: true });
    expect(run.fetches).toEqual([jwksUrl]);
    expect(JSON.parse(String(variablesOf(run, "authorizer")?.INITIAL_JWKS))).toEqual(poolJwks);
  });
});

describe("when the keys cannot be had", () => {
  const existingPool = { existingUserPoolId: "us-west-2_ExIsTiNg1", existingUserPoolClientId: "existingclient0123456789ab" };
  const existingPoolJwksUrl = `https://cognito-idp.us-west-2.amazonaws.com/${existingPool.existingUserPoolId}/.well-known/jwks.json`;
  const unreachable = { networkError: "getaddrinfo ENOTFOUND cognito-idp.eu-west-1.amazonaws.com" };
  const unusable = { status: 200, body: { keys: [] } };

  it.each<[string, Record<string, string>, RunOptions, string, RegExp]>([
    ["pulumi up, a new pool, no route to Cognito", {}, { jwksResponse: unreachable }, jwksUrl, /fetch failed: getaddrinfo ENOTFOUND/],
    ["pulumi up, an existing pool, no route to Cognito", existingPool, { jwksResponse: unreachable }, existingPoolJwksUrl, /fetch failed: getaddrinfo ENOTFOUND/],
    ["pulumi preview, a new pool, keys unusable", {}, { preview: true, jwksResponse: unusable }, jwksUrl, /"keys" is empty/],
    ["pulumi preview, an existing pool, keys unusable", existingPool, { preview: true, jwksResponse: unusable }, existingPoolJwksUrl, /"keys" is empty/],
  ])("%s: the program completes, says why once, and the authorizer goes without INITIAL_JWKS", async (_, config, options, url, cause) => {
    // Act
    vi.resetModules();
    const run = await runProgram(config, options);

    // Assess
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toContain("without INITIAL_JWKS");
    expect(run.warnings[0]).toContain(url);
    expect(run.warnings[0]).toMatch(cause);
    const authorizer = variablesOf(run, "authorizer")!;
    expect(authorizer).not.toHaveProperty("INITIAL_JWKS");
    expect(readSettings("authorizer", authorizer).initialJwks).toBeUndefined();
    expect(resource(run, "aws:apigatewayv2/authorizer:Authorizer", "websocket-authorizer").inputs.authorizerType).toBe("REQUEST");
  });

  it("says nothing when the keys come", async () => {
    vi.resetModules();
    expect((await runProgram()).warnings).toEqual([]);
  });
});

describe("Lambda's 4 KB environment limit", () => {
  const settings: AuthorizerSettings = {
    issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolIdValue}`,
    clientId: "4example5client6id7890abcd",
    tokenUses: ["id"],
    requiredGroups: [],
    clockToleranceSeconds: 5,
    tokenQueryParameter: "idToken",
    subprotocolToken: true,
    logLevel: "INFO",
  };
  const key = poolJwks.keys[0]!;
  const jwksOf = (count: number) => ({ keys: Array.from({ length: count }, (_, i) => ({ ...key, kid: `${i}-${key.kid}` })) as never });

  it("leaves room for a Cognito JWKS (two keys) beside the other variables", () => {
    const environment = functionEnvironment("authorizer", { authorizer: { ...settings, initialJwks: poolJwks as never } });
    expect(environmentSize(environment)).toBeLessThan(lambdaEnvironmentLimitBytes / 2);
    expect(environmentSize(environment)).toBe(
      Object.entries(environment).reduce((total, [name, value]) => total + name.length + value.length, 0),
    );
  });

  it("stops the deployment, naming the function and INITIAL_JWKS, when the keys do not fit", () => {
    const authorizer = { ...settings, initialJwks: jwksOf(9) };
    expect(environmentSize(settingsEnvironment("authorizer", authorizer))).toBeGreaterThan(lambdaEnvironmentLimitBytes);
    expect(() => functionEnvironment("authorizer", { authorizer })).toThrow(
      /^The authorizer function's environment is \d+ bytes; Lambda allows 4096 in total \(largest: INITIAL_JWKS \d+ B, /,
    );
  });
});
