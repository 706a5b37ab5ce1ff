/**
 * Cognito user pools from the browser without the AWS SDK: the service's JSON protocol over fetch
 * (`X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`). Only public-client actions, which
 * need no AWS credentials: SignUp, ConfirmSignUp, InitiateAuth and RevokeToken.
 */

export interface Tokens {
  readonly idToken: string;
  readonly accessToken: string;
  /** Absent after REFRESH_TOKEN_AUTH: Cognito keeps the refresh token the page already holds. */
  readonly refreshToken?: string;
}

/**
 * What Cognito answered instead of a result. `code` is Cognito's `__type` without its namespace
 * (`NotAuthorizedException`, …), or `NetworkError` when no answer came at all.
 */
export class CognitoError extends Error {
  override readonly name = "CognitoError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Cognito refused the credentials themselves: retrying the same request cannot help. */
  get rejectsCredentials(): boolean {
    return credentialCodes.has(this.code);
  }
}

const credentialCodes = new Set(["NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException", "UserNotConfirmedException", "PasswordResetRequiredException"]);

/** A sentence for people, from Cognito's error; sign-in failures are deliberately alike. */
export function describeCognitoError(error: unknown, action: "sign-in" | "sign-up" | "confirm" | "refresh"): string {
  if (!(error instanceof CognitoError)) return "Something went wrong; try again.";
  switch (error.code) {
    case "NetworkError":
      return "Cannot reach Cognito; check your connection and try again.";
    case "NotAuthorizedException":
    case "UserNotFoundException":
      return action === "refresh" ? "Your session has ended. Sign in again." : "Incorrect email or password.";
    case "InvalidPasswordException":
      // cognito-local answers a wrong password with this code; Cognito uses it for weak new passwords.
      return action === "sign-up" ? error.message : "Incorrect email or password.";
    case "UserNotConfirmedException":
      return "This account is not confirmed yet: enter the code that was sent to your email.";
    case "UsernameExistsException":
      return "An account with this email already exists; sign in instead.";
    case "CodeMismatchException":
      return "That confirmation code is wrong.";
    case "ExpiredCodeException":
      return "That confirmation code has expired.";
    case "InvalidParameterException":
      return error.message;
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return "Too many attempts; wait a moment and try again.";
    default:
      return `Cognito refused the request (${error.code}).`;
  }
}

export interface CognitoApi {
  signUp(email: string, password: string): Promise<{ userConfirmed: boolean; userSub: string }>;
  confirmSignUp(email: string, code: string): Promise<void>;
  signIn(email: string, password: string): Promise<Tokens>;
  refresh(refreshToken: string): Promise<Tokens>;
  revoke(refreshToken: string): Promise<void>;
}

export interface CognitoApiOptions {
  /** `https://cognito-idp.{region}.amazonaws.com/` or the local stack's cognito-local. */
  readonly endpoint: string;
  readonly clientId: string;
  /** `fetch` in the page; a fake in tests. */
  readonly fetch: typeof fetch;
}

export function createCognitoApi({ endpoint, clientId, fetch }: CognitoApiOptions): CognitoApi {
  const call = async (action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}` },
        body: JSON.stringify(body),
        // Credentials travel in the body; no cookies, no referrer needed.
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch (cause) {
      throw new CognitoError("NetworkError", `${action}: no answer from ${endpoint}`, { cause });
    }
    const text = await response.text();
    let payload: Record<string, unknown> = {};
    try {
      payload = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      // An HTML error page from a proxy: reported by status below.
    }
    if (!response.ok) {
      const type = typeof payload.__type === "string" ? payload.__type : `HTTP${response.status}`;
      const message = typeof payload.message === "string" ? payload.message : typeof payload.Message === "string" ? payload.Message : `${action} failed with HTTP ${response.status}`;
      throw new CognitoError(type.slice(type.lastIndexOf("#") + 1), message);
    }
    return payload;
  };

  const tokensOf = (payload: Record<string, unknown>, action: string): Tokens => {
    const result = payload.AuthenticationResult as Record<string, unknown> | undefined;
    if (!result || typeof result.IdToken !== "string" || typeof result.AccessToken !== "string") {
      // A challenge (new password, MFA) this page does not implement.
      const challenge = typeof payload.ChallengeName === "string" ? payload.ChallengeName : "no tokens";
      throw new CognitoError("UnsupportedChallenge", `${action}: Cognito asked for ${challenge}, which this page does not handle`);
    }
    return {
      idToken: result.IdToken,
      accessToken: result.AccessToken,
      ...(typeof result.RefreshToken === "string" && { refreshToken: result.RefreshToken }),
    };
  };

  return {
    async signUp(email, password) {
      const payload = await call("SignUp", { ClientId: clientId, Username: email, Password: password, UserAttributes: [{ Name: "email", Value: email }] });
      return { userConfirmed: payload.UserConfirmed === true, userSub: String(payload.UserSub ?? "") };
    },
    async confirmSignUp(email, code) {
      await call("ConfirmSignUp", { ClientId: clientId, Username: email, ConfirmationCode: code });
    },
    async signIn(email, password) {
      return tokensOf(await call("InitiateAuth", { ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: email, PASSWORD: password } }), "sign-in");
    },
    async refresh(refreshToken) {
      return tokensOf(await call("InitiateAuth", { ClientId: clientId, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: refreshToken } }), "refresh");
    },
    async revoke(refreshToken) {
      await call("RevokeToken", { ClientId: clientId, Token: refreshToken });
    },
  };
}
