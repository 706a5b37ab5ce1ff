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
  const notices: string[] = [];
  const tokens = options.tokens ?? tokenSource();
  const connection = new Connection({
    url,
    protocol: "json",
    random: () => 0.5,
    onState: (state) => states.push(state),
    onMessage: (data) => messages.push(data),
    onNotice: (text) => notices.push(text),
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
  return { connection, sockets, states, messages, notices, tokens, last, status: () => connection.state.status };
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

  it("refused for too many connections of the account (a 429, which a browser sees as 1006): says so, retries a bounded number of times, then stops for good", async () => {
    const { connection, sockets, states, last } = harness();
    connection.start();
    await settle();

    for (let i = 0; i < 20; i++) {
      last().handlers.close({ code: 1006, reason: "" });
      await settle();
      await vi.advanceTimersByTimeAsync(2 * minute);
    }

    const waits = states.filter((state) => state.status === "waiting");
    expect(waits.length).toBeGreaterThan(0);
    for (const wait of waits) expect(wait.reason).toContain("too many connections for this account");
    expect(states.at(-1)).toMatchObject({ status: "failed", signInAgain: false, reason: expect.stringContaining("too many connections for this account") });
    const attempts = sockets.length;
    expect(attempts).toBeLessThanOrEqual(9); // maxHandshakeFailures (8), plus the failure that renewed the token
    await vi.advanceTimersByTimeAsync(5 * 60 * minute);
    expect(sockets).toHaveLength(attempts);
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
  it("renews the ID token five minutes before it expires and, with a server that does not renew in place, reconnects with it", async () => {
    const { connection, sockets, last, tokens } = harness();
    connection.start();
    await settle();
    last().handlers.open("json");

    await vi.advanceTimersByTimeAsync(55 * minute - 1);
    expect(tokens.refreshes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    await vi.advanceTimersByTimeAsync(10_000); // the reauth goes unanswered

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

describe("renewing the sign-in on the open connection (reauth)", () => {
  /** Opens a connection and runs it to its first renewal: the reauth frame is on the socket. */
  async function renewing(options: Parameters<typeof harness>[0] = {}) {
    const opened = harness(options);
    opened.connection.start();
    await settle();
    opened.last().handlers.open("json");
    await vi.advanceTimersByTimeAsync(55 * minute);
    await settle();
    const request = JSON.parse(opened.last().sent.at(-1)!) as { action: string; token: string; id: string };
    return { ...opened, request };
  }
  const reply = (frame: object) => JSON.stringify(frame);

  it("sends the renewed ID token with reauth on the same socket; reauthenticated keeps the connection and times the next renewal from the new token", async () => {
    const { sockets, last, tokens, states, messages, request, status } = await renewing();
    const renewed = tokens.current()!;

    expect(request).toEqual({ action: "reauth", token: renewed.token, id: expect.any(String) });
    const statesBefore = states.length;
    last().handlers.message(reply({ type: "reauthenticated", id: request.id, expiresAt: renewed.expiresAt / 1000 }));
    await vi.advanceTimersByTimeAsync(60_000);

    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.closedWith).toBeUndefined();
    expect(status()).toBe("open");
    expect(states.length).toBe(statesBefore); // nothing but "open" ever reported
    expect(messages).toEqual([]); // the answer is the connection's, not the page's

    // The new token was received at 55 min and lives an hour: the next renewal is at 110 min, on the same socket.
    await vi.advanceTimersByTimeAsync(54 * minute - 1);
    expect(tokens.refreshes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(tokens.refreshes).toBe(2);
    expect(sockets).toHaveLength(1);
    expect(JSON.parse(sockets[0]!.sent.at(-1)!)).toEqual({ action: "reauth", token: tokens.current()!.token, id: expect.any(String) });
    expect(JSON.parse(sockets[0]!.sent.at(-1)!).id).not.toBe(request.id);
  });

  it("falls back to reconnecting with the renewed token when the server refuses it (Unauthorized)", async () => {
    const { sockets, last, tokens, messages, notices, request, status } = await renewing();

    last().handlers.message(reply({ error: { code: "Unauthorized", message: "The token was refused; the connection keeps its current expiry" }, id: request.id }));
    await settle();

    expect(sockets[0]!.closedWith).toEqual({ code: 1000, reason: "token refreshed" });
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.protocols[1]).toBe(tokens.current()!.token);
    expect(messages).toEqual([]);
    expect(notices.at(-1)).toMatch(/did not renew the sign-in on this connection \(Unauthorized\); reconnecting/);
    sockets[1]!.handlers.open("json");
    expect(status()).toBe("open");
  });

  it("falls back to reconnecting when no answer comes within reauthTimeoutMs, and ignores a late answer", async () => {
    const { sockets, last, request } = await renewing({ reauthTimeoutMs: 5000 });
    const first = last();

    await vi.advanceTimersByTimeAsync(4999);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(first.closedWith).toEqual({ code: 1000, reason: "token refreshed" });
    expect(sockets).toHaveLength(2);

    first.handlers.message(reply({ type: "reauthenticated", id: request.id, expiresAt: 1 }));
    last().handlers.open("json");
    await vi.advanceTimersByTimeAsync(10 * minute);
    expect(sockets).toHaveLength(2);
  });

  it("takes its request echoed back (a server without the reauth route) as a refusal, and never shows it: it holds the token", async () => {
    const consoleSpies = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method));
    try {
      const { sockets, last, messages, notices, states, request } = await renewing();

      last().handlers.message(reply(request));
      await settle();

      expect(sockets).toHaveLength(2);
      const seen = JSON.stringify([messages, notices, states, consoleSpies.map((spy) => spy.mock.calls)]);
      expect(seen).not.toContain(request.token);
      expect(seen).not.toContain(sockets[0]!.protocols[1]);
    } finally {
      for (const spy of consoleSpies) spy.mockRestore();
    }
  });

  it("passes every other frame on while waiting for the answer", async () => {
    const { last, messages, request } = await renewing();

    last().handlers.message("hello");
    last().handlers.message(reply({ type: "published", channel: "public/lobby", id: "r1", seq: 1 }));
    last().handlers.message(reply({ type: "reauthenticated", id: request.id, expiresAt: 1 }));

    expect(messages).toEqual(["hello", reply({ type: "published", channel: "public/lobby", id: "r1", seq: 1 })]);
  });
});

describe("handover (the server closes the connection soon)", () => {
  async function open(options: Parameters<typeof harness>[0] = {}) {
    const opened = harness(options);
    opened.connection.start();
    await settle();
    opened.last().handlers.open("json");
    return opened;
  }

  it("opens a second socket while the first goes on, reports open again once it is open, and only then closes the first with 1000; the state never leaves open", async () => {
    const states: ConnectionState[] = [];
    /** Whether the first socket was still open when "open" was reported for the second. */
    const firstOpenWhenReported: boolean[] = [];
    let opened: ReturnType<typeof harness> | undefined;
    opened = await open({
      onState: (state) => {
        states.push(state);
        if (state.status === "open" && opened?.sockets.length === 2) firstOpenWhenReported.push(opened.sockets[0]!.closedWith === undefined);
      },
    });
    const { connection, sockets, messages, tokens } = opened;
    states.length = 0;

    connection.handover();
    const [first, second] = sockets;
    expect(second!.protocols).toEqual(["json", tokens.current()!.token]);
    expect(connection.send("still the first")).toBe(true);
    first!.handlers.message("from the first");

    second!.handlers.open("json");
    expect(connection.send("on the second")).toBe(true);

    expect(first!.sent).toEqual(["still the first"]);
    expect(second!.sent).toEqual(["on the second"]);
    expect(firstOpenWhenReported).toEqual([true]);
    expect(first!.closedWith).toEqual({ code: 1000, reason: "handover" });
    expect(states).toEqual([{ status: "open", protocol: "json" }]);
    // Late frames of the first are dropped (the second resumes after what was received), its close changes nothing.
    first!.handlers.message("late");
    first!.handlers.close({ code: 1000, reason: "handover" });
    second!.handlers.message("from the second");
    await vi.advanceTimersByTimeAsync(30 * minute);
    expect(messages).toEqual(["from the first", "from the second"]);
    expect(states).toEqual([{ status: "open", protocol: "json" }]);
    expect(sockets).toHaveLength(2);
  });

  it("when the replacement cannot open (429 at the connection cap looks like any failed handshake): the first stays, and its close is followed by the usual reconnect", async () => {
    const { connection, sockets, states, notices } = await open();
    const statesBefore = states.length;

    connection.handover();
    sockets[1]!.handlers.close({ code: 1006, reason: "" });
    await vi.advanceTimersByTimeAsync(10 * minute);

    expect(sockets).toHaveLength(2);
    expect(sockets[0]!.closedWith).toBeUndefined();
    expect(states.length).toBe(statesBefore);
    expect(connection.send("still here")).toBe(true);
    expect(notices.at(-1)).toMatch(/could not open; this one stays until the server closes it/);

    sockets[0]!.handlers.close({ code: 1001, reason: "Going away" });
    expect(connection.state.status).toBe("waiting");
    await vi.advanceTimersByTimeAsync(minute);
    expect(sockets).toHaveLength(3);
  });

  it("when the first closes before the replacement opens, the replacement carries on as the connection", async () => {
    const { connection, sockets, states } = await open();
    connection.handover();

    sockets[0]!.handlers.close({ code: 1001, reason: "Going away" });
    expect(states.at(-1)).toEqual({ status: "connecting", attempt: 0 });
    sockets[1]!.handlers.open("json");

    expect(connection.state.status).toBe("open");
    expect(sockets).toHaveLength(2);
    expect(connection.send("x")).toBe(true);
    expect(sockets[1]!.sent).toEqual(["x"]);
  });

  it("happens once at a time, only while open, and stop() closes both sockets", async () => {
    const idle = harness();
    idle.connection.handover();
    expect(idle.sockets).toHaveLength(0);

    const { connection, sockets } = await open();
    connection.handover();
    connection.handover();
    expect(sockets).toHaveLength(2);

    connection.stop();
    expect(sockets.map((socket) => socket.closedWith?.code)).toEqual([1000, 1000]);
    sockets[1]!.handlers.open("json");
    expect(connection.state).toEqual({ status: "idle" });
  });

  it("moves the token renewal to the replacement", async () => {
    const { connection, sockets, tokens } = await open();
    await vi.advanceTimersByTimeAsync(30 * minute);
    connection.handover();
    sockets[1]!.handlers.open("json");

    await vi.advanceTimersByTimeAsync(25 * minute);
    await settle();

    expect(tokens.refreshes).toBe(1);
    expect(JSON.parse(sockets[1]!.sent.at(-1)!)).toMatchObject({ action: "reauth" });
    expect(sockets[0]!.sent).toEqual([]);
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
