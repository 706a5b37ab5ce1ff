/**
 * The page's one WebSocket connection, as a state machine with its I/O injected (socket, timers,
 * randomness, tokens), so that every rule below has a unit test with fake timers:
 *
 * - One connection at a time: `start()` while connecting, open or waiting does nothing.
 * - The ID token goes in `Sec-WebSocket-Protocol` next to the application protocol, never in the URL.
 * - A connection that drops is reopened after an exponential backoff with jitter.
 * - A failed handshake is opaque in a browser (close 1006, no HTTP status): a 401 for a bad token
 *   looks exactly like a 500 during a JWKS outage, a 429 for too many connections of the account,
 *   or a network failure. So the token is checked first: expired, or not vouched for by Cognito
 *   recently, it is refreshed once (Cognito refusing the refresh token ends the session: "sign in
 *   again", no retry). With a token Cognito has just issued, failures are the server's: retried
 *   with backoff (a JWKS outage recovers by itself, a connection of the account may close), but
 *   only `maxHandshakeFailures` times in a row, then the page stops and says so.
 * - The ID token is refreshed `refreshMarginMs` before it expires and handed to the server on the
 *   open socket (`reauth`), so that the connection goes on; refused, or unanswered within
 *   `reauthTimeoutMs`, the connection is reopened with the new token instead. The token only ever
 *   travels in the handshake and that frame: it is never passed to `onMessage` or `onNotice`.
 * - `handover()` (the server closes this connection soon) opens a replacement first and closes this
 *   one only once the replacement is open: the state stays "open" throughout.
 * - `stop()` (sign-out) closes the socket with 1000 and cancels every timer.
 */
import { backoffDelay, defaultBackoff, defaultRefreshMarginMs, refreshDelay, type BackoffPolicy } from "./backoff.js";
import { reauthAnswer, reauthFrame } from "./protocol.js";
import { SessionEndedError, type IdToken } from "./session.js";

export interface SocketHandlers {
  /** The handshake succeeded; `protocol` is the subprotocol the server selected. */
  open(protocol: string): void;
  message(data: string): void;
  /** Also called when the handshake fails (then `code` is 1006 and nothing else is known). */
  close(event: { code: number; reason: string }): void;
}

export interface SocketHandle {
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** `new WebSocket(url, protocols)` in the page, wired to the handlers. */
export type SocketFactory = (url: string, protocols: string[], handlers: SocketHandlers) => SocketHandle;

export interface TokenSource {
  current(): IdToken | undefined;
  /** @throws SessionEndedError when the user must sign in again; anything else is transient. */
  refresh(): Promise<IdToken>;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export type ConnectionState =
  | { readonly status: "idle" }
  | { readonly status: "refreshing"; readonly reason: string }
  | { readonly status: "connecting"; readonly attempt: number }
  | { readonly status: "open"; readonly protocol: string }
  | { readonly status: "waiting"; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly status: "failed"; readonly reason: string; readonly signInAgain: boolean };

export interface ConnectionOptions {
  readonly url: string;
  /** The application subprotocol offered first; `$connect` selects it. */
  readonly protocol: string;
  readonly tokens: TokenSource;
  readonly createSocket: SocketFactory;
  readonly onState?: (state: ConnectionState) => void;
  readonly onMessage?: (data: string) => void;
  /** What happened without a change of state (a renewal in place, a handover), in words for the page's log. */
  readonly onNotice?: (text: string) => void;
  readonly timers?: Timers;
  /** Math.random in the page. */
  readonly random?: () => number;
  readonly backoff?: BackoffPolicy;
  /** @default 5 minutes before expiry (at most a fifth of the token's lifetime) */
  readonly refreshMarginMs?: number;
  /**
   * Failed handshakes in a row with a token Cognito vouched for (just issued or just renewed),
   * before giving up. Failures that lead to a renewal, or while Cognito is unreachable, do not count.
   * @default 8
   */
  readonly maxHandshakeFailures?: number;
  /** An open connection that lasts this long resets the backoff. @default 10 s */
  readonly stableAfterMs?: number;
  /** A token received this recently counts as vouched for by Cognito. @default 60 s */
  readonly freshTokenMs?: number;
  /** A token expiring sooner than this is refreshed before connecting. @default 30 s */
  readonly minTokenValidityMs?: number;
  /** How long the server may take to answer a `reauth` before the page reconnects instead. @default 10 s */
  readonly reauthTimeoutMs?: number;
}

const globalTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Close codes API Gateway and browsers use, in words. */
export function describeClose(code: number, reason: string): string {
  const known: Record<number, string> = {
    1000: "closed normally",
    1001: "the server went away (idle timeout, connection time limit or restart)",
    1003: "the server refused a binary frame",
    1006: "the connection was lost",
    1008: "the server closed the connection (policy)",
    1009: "a message was too large",
    1011: "the server hit an internal error",
    1012: "the server is restarting",
  };
  const words = known[code] ?? "the connection closed";
  return `${words} (code ${code}${reason ? `, "${reason}"` : ""})`;
}

interface Attempt {
  /** The token the server holds for this connection: the handshake's, or the latest one renewed in place. */
  token: IdToken;
  handle?: SocketHandle;
  opened: boolean;
}

/** A `reauth` sent on `attempt` and not answered yet. */
interface PendingReauth {
  readonly attempt: Attempt;
  readonly token: IdToken;
  readonly id: string;
}

type TimerName = "retryTimer" | "refreshTimer" | "stableTimer" | "reauthTimer";

export class Connection {
  private wanted = false;
  private attempt: Attempt | undefined;
  /** The connection a handover is opening; `attempt` stays the connection until it opens. */
  private successor: Attempt | undefined;
  private reauth: PendingReauth | undefined;
  private reauthCount = 0;
  /** Consecutive connections that failed or did not stay up: the backoff exponent. */
  private failures = 0;
  /** Consecutive failed handshakes with a token Cognito vouched for. */
  private refusals = 0;
  /** Refreshed at Cognito since the last successful handshake. */
  private reauthenticated = false;
  private refreshFailures = 0;
  /** Bumped whenever pending async work must be dropped (stop, a new cycle). */
  private generation = 0;
  private retryTimer: unknown;
  private refreshTimer: unknown;
  private stableTimer: unknown;
  private reauthTimer: unknown;
  private current: ConnectionState = { status: "idle" };

  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(private readonly options: ConnectionOptions) {
    this.timers = options.timers ?? globalTimers;
    this.random = options.random ?? Math.random;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Connects unless already connected, connecting or waiting to retry (one connection per page). */
  start(): void {
    if (this.wanted && this.current.status !== "failed") return;
    this.wanted = true;
    this.failures = 0;
    this.refusals = 0;
    this.reauthenticated = false;
    void this.open();
  }

  /** Retries at once when waiting for a backoff timer (the browser came back online). */
  retryNow(): void {
    if (!this.wanted || this.current.status !== "waiting") return;
    this.clear("retryTimer");
    void this.open();
  }

  /** Closes the socket (1000) and stops every timer: nothing reconnects until `start()`. */
  stop(reason = "signed out"): void {
    this.wanted = false;
    this.generation++;
    this.clear("retryTimer");
    this.closeAttempt(reason);
    this.setState({ status: "idle" });
  }

  /**
   * The server closes this connection soon (API Gateway's connection time limit): opens a
   * replacement with the current token and, once it is open, makes it the connection (`onState`
   * reports "open" again, so the page resubscribes there) and closes this one with 1000. Nothing in
   * between reports another state. When the replacement cannot open (at the connection cap, say),
   * this connection stays until the server closes it, and the usual reconnect follows.
   */
  handover(): void {
    const current = this.attempt;
    if (!current?.opened || this.successor) return;
    const token = this.options.tokens.current();
    if (!token || this.expiresSoon(token)) {
      this.notice("the server closes this connection soon; the page reconnects then, once the sign-in is renewed");
      return;
    }
    this.notice("the server closes this connection soon: opening its replacement");
    try {
      this.successor = this.connect(token);
    } catch (error) {
      this.notice(`cannot open a replacement connection (${error instanceof Error ? error.message : String(error)}); the page reconnects when the server closes this one`);
    }
  }

  /** Sends a text frame; false when no connection is open. */
  send(data: string): boolean {
    const attempt = this.attempt;
    if (!attempt?.opened || !attempt.handle) return false;
    attempt.handle.send(data);
    return true;
  }

  private async open(closeReason = "replaced"): Promise<void> {
    const generation = ++this.generation;
    this.closeAttempt(closeReason);
    let token = this.options.tokens.current();
    if (!token) {
      this.fail("Not signed in.", true);
      return;
    }
    if (this.expiresSoon(token)) {
      this.setState({ status: "refreshing", reason: "the ID token is about to expire" });
      try {
        token = await this.options.tokens.refresh();
        this.reauthenticated = true;
      } catch (error) {
        if (generation === this.generation) this.refreshFailed(error, "Cannot reach Cognito to renew the sign-in");
        return;
      }
      if (generation !== this.generation) return;
    }

    this.setState({ status: "connecting", attempt: this.failures });
    try {
      this.attempt = this.connect(token);
    } catch (error) {
      this.fail(`Cannot open ${this.options.url}: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }

  /** A new socket offering `token`; its events are dropped once it is neither the connection nor its successor. */
  private connect(token: IdToken): Attempt {
    const attempt: Attempt = { token, opened: false };
    attempt.handle = this.options.createSocket(this.options.url, [this.options.protocol, token.token], {
      open: (protocol) => this.onOpen(attempt, protocol),
      message: (data) => this.onMessage(attempt, data),
      close: (event) => void this.onClose(attempt, event),
    });
    return attempt;
  }

  private onOpen(attempt: Attempt, protocol: string): void {
    const previous = attempt === this.successor ? this.attempt : undefined;
    if (previous) {
      this.successor = undefined;
      this.attempt = attempt;
      this.dropConnectionTimers();
    } else if (this.attempt !== attempt) return;
    attempt.opened = true;
    this.refusals = 0;
    this.reauthenticated = false;
    this.refreshFailures = 0;
    // A handover's replacement reports "open" too: the page resubscribes on it before the old one closes.
    this.setState({ status: "open", protocol });
    this.stableTimer = this.timers.setTimeout(() => {
      this.stableTimer = undefined;
      this.failures = 0;
    }, this.options.stableAfterMs ?? 10_000);
    this.scheduleRefresh(attempt, refreshDelay(attempt.token, this.timers.now(), this.options.refreshMarginMs ?? defaultRefreshMarginMs));
    if (previous) {
      previous.handle?.close(1000, "handover");
      this.notice("handed over to a new connection");
    }
  }

  private onMessage(attempt: Attempt, data: string): void {
    if (this.attempt !== attempt) return;
    const pending = this.reauth;
    const answer = pending?.attempt === attempt ? reauthAnswer(data, pending.id) : undefined;
    if (pending && answer) this.reauthAnswered(pending, answer);
    else this.options.onMessage?.(data);
  }

  private async onClose(attempt: Attempt, event: { code: number; reason: string }): Promise<void> {
    if (attempt === this.successor) {
      this.successor = undefined;
      this.notice("the replacement connection could not open; this one stays until the server closes it, then the page reconnects");
      return;
    }
    if (this.attempt !== attempt) return; // closed on purpose, or replaced
    this.attempt = undefined;
    this.dropConnectionTimers();
    if (!this.wanted) return;

    if (this.successor) {
      // Closed before its replacement opened: the replacement carries on as an ordinary attempt.
      this.attempt = this.successor;
      this.successor = undefined;
      this.setState({ status: "connecting", attempt: this.failures });
      return;
    }

    if (attempt.opened) {
      this.scheduleRetry(describeClose(event.code, event.reason));
      return;
    }

    // A failed handshake: a bad token, a server error or no network, indistinguishable here.
    const now = this.timers.now();
    const vouched = this.reauthenticated || now - attempt.token.issuedAt < (this.options.freshTokenMs ?? 60_000);
    if (!vouched || attempt.token.expiresAt <= now) {
      const generation = ++this.generation;
      this.setState({ status: "refreshing", reason: "the server refused the connection; renewing the sign-in once" });
      try {
        await this.options.tokens.refresh();
      } catch (error) {
        if (generation === this.generation) this.refreshFailed(error, "Cannot reach Cognito to renew the sign-in");
        return;
      }
      if (generation !== this.generation) return;
      this.reauthenticated = true;
      void this.open();
      return;
    }
    // Refused with a token Cognito vouches for: the server's doing (a 403, a 500, a wrong pool).
    this.refusals++;
    const limit = this.options.maxHandshakeFailures ?? 8;
    if (this.refusals >= limit) {
      this.fail(
        `The server refused the connection ${this.refusals} times in a row although Cognito accepts the sign-in: ` +
          "there may be too many connections for this account (close this page in other tabs or windows), " +
          "the account may not be allowed to connect, or the server is unavailable. Retry later, or sign in again.",
        false,
      );
      return;
    }
    this.scheduleRetry("the server refused or could not complete the handshake (too many connections for this account, a refused sign-in and a server error look alike here)");
  }

  private refreshFailed(error: unknown, transientReason: string): void {
    if (error instanceof SessionEndedError) {
      this.fail("Your sign-in is no longer valid. Sign in again.", true);
      return;
    }
    this.scheduleRetry(transientReason);
  }

  private scheduleRetry(reason: string): void {
    const delayMs = backoffDelay(this.failures, this.random, this.options.backoff ?? defaultBackoff);
    this.failures++;
    this.setState({ status: "waiting", attempt: this.failures, delayMs, reason });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delayMs);
  }

  private scheduleRefresh(attempt: Attempt, delayMs: number): void {
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshWhileOpen(attempt);
    }, delayMs);
  }

  /** Renews the token ahead of expiry, then hands it to the server on the open connection. */
  private async refreshWhileOpen(attempt: Attempt): Promise<void> {
    if (this.attempt !== attempt) return;
    const generation = this.generation;
    let token: IdToken;
    try {
      token = await this.options.tokens.refresh();
    } catch (error) {
      if (generation !== this.generation || this.attempt !== attempt) return;
      if (error instanceof SessionEndedError) {
        this.closeAttempt("session ended");
        this.fail("Your sign-in is no longer valid. Sign in again.", true);
        return;
      }
      // The connection stays up (API Gateway does not re-check tokens); try again later.
      this.scheduleRefresh(attempt, backoffDelay(this.refreshFailures++, this.random, this.options.backoff ?? defaultBackoff));
      return;
    }
    if (generation !== this.generation || this.attempt !== attempt) return;
    const id = `reauth-${++this.reauthCount}`;
    const pending: PendingReauth = { attempt, token, id };
    this.reauth = pending;
    this.reauthTimer = this.timers.setTimeout(() => {
      this.reauthTimer = undefined;
      this.reauthAnswered(pending, { accepted: false, reason: "no answer" });
    }, this.options.reauthTimeoutMs ?? 10_000);
    attempt.handle?.send(reauthFrame(token.token, id));
  }

  /** Accepted, the connection goes on with the new token; refused, it is reopened with it (closing this one with 1000 first). */
  private reauthAnswered(pending: PendingReauth, answer: { accepted: true } | { accepted: false; reason: string }): void {
    if (this.reauth !== pending) return;
    this.reauth = undefined;
    this.clear("reauthTimer");
    if (!answer.accepted) {
      this.notice(`the server did not renew the sign-in on this connection (${answer.reason}); reconnecting with the renewed one`);
      this.reauthenticated = true;
      void this.open("token refreshed");
      return;
    }
    const { attempt, token } = pending;
    attempt.token = token;
    this.refreshFailures = 0;
    this.notice("the sign-in was renewed on the open connection");
    // The page's own clock, not the server's `expiresAt`: immune to the device's clock skew.
    this.scheduleRefresh(attempt, refreshDelay(token, this.timers.now(), this.options.refreshMarginMs ?? defaultRefreshMarginMs));
  }

  private fail(reason: string, signInAgain: boolean): void {
    this.generation++;
    this.clear("retryTimer");
    this.dropConnectionTimers();
    this.setState({ status: "failed", reason, signInAgain });
  }

  /** Closes the connection and a handover's replacement, if any. */
  private closeAttempt(reason: string): void {
    const attempts = [this.attempt, this.successor];
    this.attempt = undefined;
    this.successor = undefined;
    this.dropConnectionTimers();
    for (const attempt of attempts) attempt?.handle?.close(1000, reason);
  }

  /** Forgets the timers and the pending reauth that belong to the connection in place. */
  private dropConnectionTimers(): void {
    this.clear("stableTimer");
    this.clear("refreshTimer");
    this.clear("reauthTimer");
    this.reauth = undefined;
  }

  private expiresSoon(token: IdToken): boolean {
    return token.expiresAt - this.timers.now() < (this.options.minTokenValidityMs ?? 30_000);
  }

  private notice(text: string): void {
    this.options.onNotice?.(text);
  }

  private clear(timer: TimerName): void {
    if (this[timer] !== undefined) this.timers.clearTimeout(this[timer]);
    this[timer] = undefined;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.options.onState?.(state);
  }
}
