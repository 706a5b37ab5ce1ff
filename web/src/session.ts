/**
 * The signed-in user's tokens. The ID and access tokens live in memory only; the refresh token is
 * kept in `sessionStorage` (when given one) so that reloading the tab does not sign the user out.
 *
 * Trade-off: script running in the page (an XSS) can read sessionStorage, but it could equally use
 * the in-memory tokens while the page is open; sessionStorage is per tab and gone when the tab
 * closes, unlike localStorage, and never sent anywhere by the browser, unlike a cookie. Without a
 * storage, a reload means signing in again. Sign-out forgets the token and revokes it at Cognito.
 */
import { CognitoError, type CognitoApi, type Tokens } from "./cognito.js";
import { readClaims, type IdTokenClaims } from "./jwt.js";

/** An ID token and its validity on the page's own clock (immune to the device's clock skew). */
export interface IdToken {
  readonly token: string;
  readonly claims: IdTokenClaims;
  /** Epoch ms on the page's clock when the page received it. */
  readonly issuedAt: number;
  /** `issuedAt` plus the lifetime Cognito gave it (`exp - iat`). */
  readonly expiresAt: number;
}

/** The page needs a new sign-in: Cognito refused the refresh token, or the user signed out. */
export class SessionEndedError extends Error {
  override readonly name = "SessionEndedError";
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SessionOptions {
  readonly cognito: CognitoApi;
  /** Where the refresh token survives a reload (sessionStorage); none keeps it in memory only. */
  readonly storage?: StorageLike;
  /** Distinguishes pools/clients sharing an origin. */
  readonly storageKey: string;
  readonly now?: () => number;
}

export interface SignedInUser {
  readonly email: string;
  readonly sub: string;
}

export class Session {
  private idToken: IdToken | undefined;
  private refreshToken: string | undefined;
  private email = "";
  private inFlight: Promise<IdToken> | undefined;
  /** Bumped by sign-in and sign-out, so that an answer for an earlier session is dropped. */
  private epoch = 0;
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get user(): SignedInUser | undefined {
    return this.idToken && { email: this.idToken.claims.email ?? this.email, sub: this.idToken.claims.sub };
  }

  /** The ID token to offer at `$connect`, or undefined when signed out. */
  current(): IdToken | undefined {
    return this.idToken;
  }

  async signIn(email: string, password: string): Promise<IdToken> {
    const epoch = ++this.epoch;
    this.inFlight = undefined;
    const tokens = await this.options.cognito.signIn(email, password);
    if (epoch !== this.epoch) throw new SessionEndedError("signed out while signing in");
    this.email = email;
    return this.accept(tokens);
  }

  /** Signs in again from the refresh token a previous load of this tab left, if any. */
  async restore(): Promise<IdToken | undefined> {
    const saved = this.load();
    if (!saved) return undefined;
    this.refreshToken = saved.refreshToken;
    this.email = saved.email;
    try {
      return await this.refresh();
    } catch (error) {
      if (error instanceof SessionEndedError) return undefined;
      throw error;
    }
  }

  /**
   * New ID token from the refresh token. Concurrent callers share one request.
   * @throws SessionEndedError when Cognito refuses the refresh token (revoked, expired, user gone)
   * @throws CognitoError for anything transient (network, throttling): worth retrying later
   */
  refresh(): Promise<IdToken> {
    if (this.inFlight) return this.inFlight;
    const refreshToken = this.refreshToken;
    if (refreshToken === undefined) return Promise.reject(new SessionEndedError("not signed in"));
    const epoch = this.epoch;
    const request = this.options.cognito.refresh(refreshToken).then(
      (tokens) => {
        if (epoch !== this.epoch) throw new SessionEndedError("signed out while refreshing");
        return this.accept(tokens);
      },
      (error: unknown) => {
        if (epoch === this.epoch && error instanceof CognitoError && error.rejectsCredentials) {
          this.forget();
          throw new SessionEndedError("Cognito refused the refresh token", { cause: error });
        }
        throw error;
      },
    );
    this.inFlight = request;
    const clear = () => {
      if (this.inFlight === request) this.inFlight = undefined;
    };
    request.then(clear, clear);
    return request;
  }

  /** Forgets every token at once, then revokes the refresh token at Cognito (best effort). */
  async signOut(): Promise<void> {
    const refreshToken = this.refreshToken;
    this.forget();
    if (refreshToken !== undefined) await this.options.cognito.revoke(refreshToken).catch(() => undefined);
  }

  private accept(tokens: Tokens): IdToken {
    const claims = readClaims(tokens.idToken);
    const issuedAt = this.now();
    this.idToken = { token: tokens.idToken, claims, issuedAt, expiresAt: issuedAt + Math.max(0, claims.exp - claims.iat) * 1000 };
    if (tokens.refreshToken !== undefined) this.refreshToken = tokens.refreshToken;
    this.save();
    return this.idToken;
  }

  private forget(): void {
    this.epoch++;
    this.inFlight = undefined;
    this.idToken = undefined;
    this.refreshToken = undefined;
    this.email = "";
    this.options.storage?.removeItem(this.options.storageKey);
  }

  private save(): void {
    if (this.refreshToken === undefined) return;
    this.options.storage?.setItem(this.options.storageKey, JSON.stringify({ refreshToken: this.refreshToken, email: this.email }));
  }

  private load(): { refreshToken: string; email: string } | undefined {
    const text = this.options.storage?.getItem(this.options.storageKey);
    if (!text) return undefined;
    try {
      const saved = JSON.parse(text) as { refreshToken?: unknown; email?: unknown };
      if (typeof saved.refreshToken === "string" && saved.refreshToken !== "") return { refreshToken: saved.refreshToken, email: typeof saved.email === "string" ? saved.email : "" };
    } catch {
      // Unreadable: forget it below.
    }
    this.options.storage?.removeItem(this.options.storageKey);
    return undefined;
  }
}
