/** Cognito's JSON protocol over fetch, against a fake fetch. */
import { describe, expect, it } from "vitest";
import { CognitoError, createCognitoApi, describeCognitoError } from "../../web/src/cognito.js";

const endpoint = "https://cognito-idp.eu-west-1.amazonaws.com/";

function fakeFetch(answer: (target: string, body: Record<string, unknown>) => { status: number; body: unknown } | Error) {
  const requests: { url: string; init: RequestInit; target: string; body: Record<string, unknown> }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    const target = headers["X-Amz-Target"]!;
    const body = JSON.parse(String(init.body)) as Record<string, unknown>;
    requests.push({ url, init, target, body });
    const result = answer(target, body);
    if (result instanceof Error) throw result;
    return new Response(typeof result.body === "string" ? result.body : JSON.stringify(result.body), { status: result.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const tokens = { AuthenticationResult: { IdToken: "id", AccessToken: "access", RefreshToken: "refresh", ExpiresIn: 3600 } };

describe("createCognitoApi", () => {
  it("signs in with USER_PASSWORD_AUTH: a JSON POST with Cognito's target header, no credentials or referrer", async () => {
    const { fetch, requests } = fakeFetch(() => ({ status: 200, body: tokens }));

    const result = await createCognitoApi({ endpoint, clientId: "client", fetch }).signIn("a@example.com", "Passw0rd!");

    expect(result).toEqual({ idToken: "id", accessToken: "access", refreshToken: "refresh" });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe(endpoint);
    expect(requests[0]!.init).toMatchObject({ method: "POST", credentials: "omit", referrerPolicy: "no-referrer" });
    expect(requests[0]!.init.headers).toEqual({ "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth" });
    expect(requests[0]!.body).toEqual({ ClientId: "client", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "a@example.com", PASSWORD: "Passw0rd!" } });
  });

  it("refreshes with REFRESH_TOKEN_AUTH, signs up with the email attribute, confirms and revokes", async () => {
    const { fetch, requests } = fakeFetch((target) =>
      target.endsWith("SignUp") && !target.endsWith("ConfirmSignUp")
        ? { status: 200, body: { UserConfirmed: false, UserSub: "sub-1" } }
        : target.endsWith("InitiateAuth")
          ? { status: 200, body: { AuthenticationResult: { IdToken: "id2", AccessToken: "access2" } } }
          : { status: 200, body: {} },
    );
    const api = createCognitoApi({ endpoint, clientId: "client", fetch });

    expect(await api.refresh("refresh")).toEqual({ idToken: "id2", accessToken: "access2" });
    expect(await api.signUp("a@example.com", "Passw0rd!")).toEqual({ userConfirmed: false, userSub: "sub-1" });
    await api.confirmSignUp("a@example.com", "123456");
    await api.revoke("refresh");

    expect(requests.map((request) => [request.target.split(".")[1], request.body])).toEqual([
      ["InitiateAuth", { ClientId: "client", AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "refresh" } }],
      ["SignUp", { ClientId: "client", Username: "a@example.com", Password: "Passw0rd!", UserAttributes: [{ Name: "email", Value: "a@example.com" }] }],
      ["ConfirmSignUp", { ClientId: "client", Username: "a@example.com", ConfirmationCode: "123456" }],
      ["RevokeToken", { ClientId: "client", Token: "refresh" }],
    ]);
  });

  it("turns Cognito's error answers into CognitoErrors with the bare code", async () => {
    const { fetch } = fakeFetch(() => ({ status: 400, body: { __type: "com.amazonaws.cognito#NotAuthorizedException", message: "Incorrect username or password." } }));

    const error = await createCognitoApi({ endpoint, clientId: "client", fetch }).signIn("a@example.com", "x").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CognitoError);
    expect(error).toMatchObject({ code: "NotAuthorizedException", message: "Incorrect username or password.", rejectsCredentials: true });
  });

  it("reports no answer as NetworkError and a non-JSON failure by its status, both retryable", async () => {
    const offline = createCognitoApi({ endpoint, clientId: "client", fetch: fakeFetch(() => new TypeError("Failed to fetch")).fetch });
    const proxy = createCognitoApi({ endpoint, clientId: "client", fetch: fakeFetch(() => ({ status: 503, body: "<html>busy</html>" })).fetch });

    await expect(offline.refresh("r")).rejects.toMatchObject({ code: "NetworkError", rejectsCredentials: false });
    await expect(proxy.refresh("r")).rejects.toMatchObject({ code: "HTTP503", rejectsCredentials: false });
  });

  it("refuses an answer with a challenge instead of tokens", async () => {
    const { fetch } = fakeFetch(() => ({ status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s" } }));

    await expect(createCognitoApi({ endpoint, clientId: "client", fetch }).signIn("a@example.com", "x")).rejects.toMatchObject({ code: "UnsupportedChallenge" });
  });
});

describe("describeCognitoError", () => {
  it("says the same for a wrong password and an unknown user, as Cognito and cognito-local phrase them", () => {
    for (const code of ["NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException"]) {
      expect(describeCognitoError(new CognitoError(code, "x"), "sign-in")).toBe("Incorrect email or password.");
    }
  });

  it("explains sign-up, confirmation, throttling and network failures", () => {
    expect(describeCognitoError(new CognitoError("InvalidPasswordException", "Password must have symbols"), "sign-up")).toBe("Password must have symbols");
    expect(describeCognitoError(new CognitoError("UsernameExistsException", ""), "sign-up")).toMatch(/already exists/);
    expect(describeCognitoError(new CognitoError("CodeMismatchException", ""), "confirm")).toMatch(/code is wrong/);
    expect(describeCognitoError(new CognitoError("TooManyRequestsException", ""), "sign-in")).toMatch(/Too many attempts/);
    expect(describeCognitoError(new CognitoError("NetworkError", ""), "sign-in")).toMatch(/Cannot reach Cognito/);
    expect(describeCognitoError(new CognitoError("NotAuthorizedException", ""), "refresh")).toMatch(/Sign in again/);
    expect(describeCognitoError(new Error("?"), "sign-in")).toMatch(/went wrong/);
  });
});
