/** The page's connection state machine, with a fake socket, fake timers and fake tokens. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection, describeClose, type ConnectionOptions, type ConnectionState, type SocketHandlers } from "../../web/src/connection.js";
import { SessionEndedError, type IdToken } from "../../web/src/session.js";

const url = "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev";
const minute = 60_000;

interface FakeSocket {
  readonly url: string;
  readonly protocols: string[];
  readonly handlers: SocketHandlers;
  readonly sent: string[];
  closedWith?: { code: number; reason: string };
}

let serial = 0;
function token(lifetimeMs = 60 * minute, issuedAt = Date.now()): IdToken {
  serial++;
  return { token: `header.payload${serial}.signature`, claims: { sub: "user-1", iat: 0, exp: lifetimeMs / 1000 }, issuedAt, expiresAt: issuedAt + lifetimeMs };
}

/** A fake token source: `refresh` answers with a new token unless told to fail. */
function tokenSource(initial: IdToken | null = token()) {
  let current = initial ?? undefined;
  const source = {
    failWith: undefined as Error | undefined,
    refreshes: 0,
    lifetimeMs: 60 * minute,
    current: () => current,
    refresh: async (): Promise<IdToken> => {
      source.refreshes++;
      if (source.failWith) throw source.failWith;
      current = token(source.lifetimeMs);
      return current;
    },
  };
  return source;
}

function harness(options: Partial<ConnectionOptions> & { tokens?: ReturnType<typeof tokenSource> } = {}) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const messages: string[] = [];
  const tokens = options.tokens ?? tokenSource();
  const connection = new Connection({
    url,
    protocol: "json",
    random: () => 0.5,
    onState: (state) => states.push(state),
    onMessage: (data) => messages.push(data),
    createSocket: (socketUrl, protocols, handlers) => {
      const socket: FakeSocket = { url: socketUrl, protocols, handlers, sent: [] };
      sockets.push(socket);
      return {
        send: (data) => socket.sent.push(data),
        close: (code, reason) => (socket.closedWith = { code, reason }),
      };
    },
    ...options,
    tokens,
  });
  const last = () => sockets.at(-1)!;
  return { connection, sockets, states, messages, tokens, last, status: () => connection.state.status };
}

/** Lets pending promise callbacks (token refreshes) run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("connecting", () => {
  it("offers the application protocol and then the ID token as subprotocols, with the URL as given", async () => {
    const { connection, sockets, tokens } = harness();

    connection.start();
    await settle();

    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).toBe(url);
    expect(sockets[0]!.protocols).toEqual(["json", tokens.current()!.token]);
  });

  it("keeps one connection per page: start() while connecting or open opens nothing more", async () => {
    const { connection, sockets, last, status } = harness();

    connection.start();
    connection.start();
    await settle();
    last().handlers.open("json");
    connection.start();
    await settle();

    expect(sockets).toHaveLength(1);
    expect(status()).toBe("open");
  });

  it("sends only while open and passes received frames on", async () => {
    const { connection, last, messages } = harness();
    connection.start();
    await settle();

    expect(connection.send("early")).toBe(false);
    last().handlers.open("json");
    expect(connection.send("hello")).toBe(true);
    last().handlers.message("world");

    expect(last().sent).toEqual(["hello"]);
    expect(messages).toEqual(["world"]);
  });

  it("refreshes a token about to expire before offering it", async () => {
    const tokens = tokenSource(token(60 * minute, Date.now() - 59.9 * minute));
    const { connection, sockets } = harness({ tokens });

    connection.start();
    await settle();

    expect(tokens.refreshes).toBe(1);
    expect(sockets[0]!.protocols[1]).toBe(tokens.current()!.token);
  });

  it("asks for a sign-in when there is no token", async () => {
    const { connection, sockets, states } = harness({ tokens: tokenSource(null) });

    connection.start();
    await settle();

    expect(sockets).toEqual([]);
    expect(states.at(-1)).toMatchObject({ status: "failed", signInAgain: true });
  });
});

describe("reconnecting after a drop", () => {
  it("waits with exponential backoff and jitter, and resets once a connection stays up", async () => {
    const { connection, sockets, states, last } = harness({ backoff: { baseMs: 1000, maxMs: 8000 }, stableAfterMs: 10_000 });
    connection.start();
    await settle();
    last().handlers.open("json");

    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      last().handlers.close({ code: 1006, reason: "" });
      const waiting = states.at(-1) as Extract<ConnectionState, { status: "waiting" }>;
      expect(waiting.status).toBe("waiting");
      delays.push(waiting.delayMs);
      await vi.advanceTimersByTimeAsync(waiting.delayMs);
      last().handlers.open("json"); // opens, then drops again at once
    }
    // random() = 0.5: three quarters of min(8000, 1000·2^n)
    expect(delays).toEqual([750, 1500, 3000, 6000, 6000]);
    expect(sockets).toHaveLength(6);

    await vi.advanceTimersByTimeAsync(10_000); // stays up: the backoff starts over
    last().handlers.close({ code: 1001, reason: "Going away" });
    expect(states.at(-1)).toMatchObject({ status: "waiting", delayMs: 750, reason: describeClose(1001, "Going away") });
  });

  it("spreads clients with jitter: the delay lies between half and all of the ceiling", () => {
    const delays = [0, 0.999999].map((r) => {
      const { connection, states, last } = harness({ random: () => r, backoff: { baseMs: 1000, maxMs: 30_000 } });
      connection.start();
      return (async () => {
        await settle();
        last().handlers.open("json");
        last().handlers.close({ code: 1006, reason: "" });
        return (states.at(-1) as { delayMs: number }).delayMs;
      })();
    });
    return expect(Promise.all(delays)).resolves.toEqual([500, 1000]);
  });

  it("retries at once when asked (the browser came back online)", async () => {
    const { connection, sockets, last } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");
    last().handlers.close({ code: 1006, reason: "" });

    connection.retryNow();
    await settle();

    expect(sockets).toHaveLength(2);
  });
});

describe("a failed handshake (a 401, a 500 and no network all look alike: close 1006 before open)", () => {
  it("with a token Cognito just issued: retries with backoff, then gives up after maxHandshakeFailures (no storm)", async () => {
    const { connection, sockets, states, last, tokens } = harness({ maxHandshakeFailures: 4, backoff: { baseMs: 1000, maxMs: 30_000 } });
    connection.start();
    await settle();

    for (let i = 0; i < 10; i++) {
      last().handlers.close({ code: 1006, reason: "" });
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
    }

    // Four refusals with a token Cognito vouched for, plus the failure after the first minute that
    // renewed the token (once; never again until a connection opens).
    expect(sockets).toHaveLength(5);
    expect(tokens.refreshes).toBe(1);
    expect(states.at(-1)).toMatchObject({ status: "failed", signInAgain: false });
    await vi.advanceTimersByTimeAsync(60 * minute);
    expect(sockets).toHaveLength(5);
  });

  it("with an older token: renews it once at Cognito and retries at once with the new token", async () => {
    const tokens = tokenSource(token(60 * minute, Date.now() - 10 * minute));
    const { connection, sockets, last } = harness({ tokens });
    connection.start();
    await settle();
    const first = sockets[0]!.protocols[1];

    last().handlers.close({ code: 1006, reason: "" });
    await settle();

    expect(tokens.refreshes).toBe(1);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.protocols[1]).not.toBe(first);

    // The new token fails too: no second refresh, a backoff instead.
    last().handlers.close({ code: 1006, reason: "" });
    await settle();
    expect(tokens.refreshes).toBe(1);
    expect(connection.state.status).toBe("waiting");
  });

  it("stops and asks for a sign-in when Cognito refuses the refresh token, without retrying", async () => {
    const tokens = tokenSource(token(60 * minute, Date.now() - 10 * minute));
    tokens.failWith = new SessionEndedError("revoked");
    const { connection, sockets, states, last } = harness({ tokens });
    connection.start();
    await settle();

    last().handlers.close({ code: 1006, reason: "" });
    await settle();
    await vi.advanceTimersByTimeAsync(60 * minute);

    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toEqual({ status: "failed", reason: "Your sign-in is no longer valid. Sign in again.", signInAgain: true });
  });

  it("keeps retrying with backoff while Cognito cannot be reached (offline), renewing each time", async () => {
    const tokens = tokenSource(token(60 * minute, Date.now() - 10 * minute));
    tokens.failWith = new Error("NetworkError");
    const { connection, sockets, last } = harness({ tokens, maxHandshakeFailures: 3 });
    connection.start();
    await settle();

    for (let i = 0; i < 6; i++) {
      last().handlers.close({ code: 1006, reason: "" });
      await settle();
      expect(connection.state.status).toBe("waiting");
      await vi.advanceTimersByTimeAsync(60_000);
    }

    expect(sockets).toHaveLength(7);
    tokens.failWith = undefined;
    last().handlers.open("json");
    expect(connection.state.status).toBe("open");
  });

  it("recovers from a server outage (JWKS down: 500s) once the server answers again", async () => {
    const { connection, sockets, last } = harness({ maxHandshakeFailures: 8 });
    connection.start();
    await settle();
    for (let i = 0; i < 5; i++) {
      last().handlers.close({ code: 1006, reason: "" });
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
    }

    last().handlers.open("json");

    expect(connection.state.status).toBe("open");
    expect(sockets).toHaveLength(6);
  });
});

describe("token refresh while connected", () => {
  it("renews the ID token five minutes before it expires and reconnects with it", async () => {
    const { connection, sockets, last, tokens } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");

    await vi.advanceTimersByTimeAsync(55 * minute - 1);
    expect(tokens.refreshes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();

    expect(tokens.refreshes).toBe(1);
    expect(sockets[0]!.closedWith).toEqual({ code: 1000, reason: "token refreshed" });
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.protocols[1]).toBe(tokens.current()!.token);
  });

  it("refreshes short-lived tokens at 80% of their lifetime", async () => {
    const tokens = tokenSource(token(10 * minute));
    const { connection, last } = harness({ tokens });
    connection.start();
    await settle();
    last().handlers.open("json");

    await vi.advanceTimersByTimeAsync(8 * minute);

    expect(tokens.refreshes).toBe(1);
  });

  it("keeps the connection when the refresh fails for now, and tries again later", async () => {
    const { connection, sockets, last, tokens } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");
    tokens.failWith = new Error("NetworkError");

    await vi.advanceTimersByTimeAsync(55 * minute);
    expect(tokens.refreshes).toBe(1);
    expect(connection.state.status).toBe("open");
    tokens.failWith = undefined;
    await vi.advanceTimersByTimeAsync(minute);

    expect(tokens.refreshes).toBe(2);
    expect(sockets).toHaveLength(2);
  });

  it("closes the connection and asks for a sign-in when the session has ended", async () => {
    const { connection, sockets, last, tokens, states } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");
    tokens.failWith = new SessionEndedError("revoked");

    await vi.advanceTimersByTimeAsync(55 * minute);

    expect(sockets[0]!.closedWith?.code).toBe(1000);
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toMatchObject({ status: "failed", signInAgain: true });
  });
});

describe("stop (sign-out)", () => {
  it("closes the open socket with 1000 and never reconnects", async () => {
    const { connection, sockets, last, states } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");

    connection.stop();
    last().handlers.close({ code: 1000, reason: "signed out" });
    await vi.advanceTimersByTimeAsync(2 * 60 * minute);

    expect(sockets[0]!.closedWith).toEqual({ code: 1000, reason: "signed out" });
    expect(sockets).toHaveLength(1);
    expect(states.at(-1)).toEqual({ status: "idle" });
    expect(connection.send("x")).toBe(false);
  });

  it("cancels a pending retry and drops a refresh that answers afterwards", async () => {
    const tokens = tokenSource(token(60 * minute, Date.now() - 10 * minute));
    let answer!: (value: IdToken) => void;
    const slow = harness({ tokens: { ...tokens, refresh: () => new Promise<IdToken>((resolve) => (answer = resolve)) } as never });
    slow.connection.start();
    await settle();
    slow.last().handlers.close({ code: 1006, reason: "" }); // → renewing the token

    slow.connection.stop();
    answer(token());
    await vi.advanceTimersByTimeAsync(60 * minute);

    expect(slow.sockets).toHaveLength(1);
    expect(slow.connection.state).toEqual({ status: "idle" });

    const waiting = harness();
    waiting.connection.start();
    await settle();
    waiting.last().handlers.open("json");
    waiting.last().handlers.close({ code: 1006, reason: "" });
    waiting.connection.stop();
    await vi.advanceTimersByTimeAsync(60 * minute);
    expect(waiting.sockets).toHaveLength(1);
  });

  it("can start again after a stop", async () => {
    const { connection, sockets } = harness();
    connection.start();
    await settle();
    connection.stop();

    connection.start();
    await settle();

    expect(sockets).toHaveLength(2);
    expect(sockets[0]!.closedWith?.code).toBe(1000);
  });
});
