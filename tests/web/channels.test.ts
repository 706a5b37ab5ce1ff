/** The page's channel state: frames out, server frames in, resume after a drop. No DOM, no socket. */
import { describe, expect, it, vi } from "vitest";
import { Channels, isChannelName } from "../../web/src/channels.js";
import { Connection, type SocketHandlers } from "../../web/src/connection.js";
import { classify, FrameError, maxFrameBytes, type ChannelFrame, type Member } from "../../web/src/protocol.js";

const alice: Member = { userId: "sub-alice", username: "alice" };
const bob: Member = { userId: "sub-bob", username: "bob" };
const lobby = "public/lobby";

const parse = (frame: string | undefined) => JSON.parse(frame!) as Record<string, unknown>;

function message(seq: number, data: unknown = `m${seq}`, channel = lobby): ChannelFrame {
  return { type: "message", channel, seq, data, from: alice, sentAt: "2026-01-01T00:00:00.000Z" };
}

/** Channels joined and subscribed: `channel` at seq `latest`. */
function joined(latest = 0, channel = lobby, channels = new Channels()) {
  const { id } = parse(channels.join(channel));
  channels.handle({ type: "subscribed", channel, id: id as string, seq: latest });
  return channels;
}

const seqs = (channels: Channels, channel = lobby) => channels.get(channel)!.messages.map((shown) => shown.seq);

/** A Connection with fake sockets wired to Channels as main.ts wires them; call with fake timers. */
function wiredPage() {
  const sockets: { handlers: SocketHandlers; sent: string[]; closedWith?: { code: number; reason: string } }[] = [];
  const statuses: string[] = [];
  const channels = new Channels();
  const token = { token: "h.p.s", claims: { sub: alice.userId, iat: 0, exp: 3600 }, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 };
  const connection: Connection = new Connection({
    url: "wss://example.com/dev",
    protocol: "json",
    tokens: { current: () => token, refresh: async () => token },
    random: () => 0.5,
    createSocket: (_url, _protocols, handlers) => {
      const socket: (typeof sockets)[number] = { handlers, sent: [] };
      sockets.push(socket);
      return { send: (data) => socket.sent.push(data), close: (code, reason) => (socket.closedWith = { code, reason }) };
    },
    // As main.ts does: resubscribe on open, feed channel frames in and send what they ask, hand over on a reconnect frame.
    onState: (state) => {
      statuses.push(state.status);
      if (state.status === "open") for (const frame of channels.resubscribe()) connection.send(frame);
    },
    onMessage: (data) => {
      const incoming = classify(data);
      if (incoming.kind === "channel") for (const frame of channels.handle(incoming.frame)) connection.send(frame);
      if (incoming.kind === "reconnect") connection.handover();
    },
  });
  const deliver = (socket: number, frame: object) => sockets[socket]!.handlers.message(JSON.stringify(frame));
  /** Connected on the first socket, in the lobby at seq `latest`. */
  const joinLobby = (latest: number) => {
    connection.start();
    sockets[0]!.handlers.open("json");
    connection.send(channels.join(lobby)!);
    deliver(0, { type: "subscribed", channel: lobby, id: parse(sockets[0]!.sent[0]).id, seq: latest });
  };
  return { connection, channels, sockets, statuses, deliver, joinLobby };
}

describe("channel names", () => {
  it("accept 1–5 segments of [A-Za-z0-9_-]{1,64}, at most 255 characters", () => {
    const segment64 = "a".repeat(64);
    for (const name of ["public/lobby", "a", "A-z_0/9", "a/b/c/d/e", segment64, [segment64, segment64, segment64, "b".repeat(60)].join("/")]) {
      expect(isChannelName(name), name).toBe(true);
    }
  });

  it("refuse empty segments, other characters, a sixth segment, a 65-character segment and 256 characters", () => {
    const segment64 = "a".repeat(64);
    for (const name of ["", "/", "a/", "/a", "a//b", "a b", "a.b", "é", "public/*", "a/b/c/d/e/f", "a".repeat(65), [segment64, segment64, segment64, "b".repeat(61)].join("/")]) {
      expect(isChannelName(name), name).toBe(false);
    }
  });

  it("are checked before anything is sent: a bad name throws, a good one gives a subscribe frame", () => {
    const channels = new Channels();

    expect(() => channels.join("a//b")).toThrow(FrameError);
    expect(() => channels.join("a//b")).toThrow(/not a channel name: 1–5 segments/);
    expect(() => channels.join("")).toThrow(/Enter a channel name/);
    expect(channels.list).toEqual([]);
    expect(parse(channels.join(lobby))).toEqual({ action: "subscribe", channel: lobby, id: "r1" });
  });
});

describe("joining, leaving, publishing", () => {
  it("gives every request its own id, and joining a channel twice sends nothing more", () => {
    const channels = new Channels();
    const ids = [parse(channels.join(lobby)).id, parse(channels.join("public/other")).id, parse(channels.publish(lobby, "hi")).id, parse(channels.presence(lobby)).id];

    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => typeof id === "string" && id.length >= 1 && id.length <= 64)).toBe(true);
    expect(channels.join(lobby)).toBeUndefined();
    expect(channels.list.map((channel) => channel.name)).toEqual([lobby, "public/other"]);
  });

  it("is joined once subscribed, remembers the channel's seq, and then asks who is there", () => {
    const channels = new Channels();
    const { id } = parse(channels.join(lobby));
    expect(channels.get(lobby)).toMatchObject({ status: "joining", seq: undefined });

    const replies = channels.handle({ type: "subscribed", channel: lobby, id: id as string, seq: 41 });

    expect(channels.get(lobby)).toMatchObject({ status: "joined", seq: 41 });
    expect(replies.map(parse)).toEqual([{ action: "presence", channel: lobby, id: expect.any(String) }]);
  });

  it("publishes the text as data, shows it as sending until the server confirms it by id", () => {
    const channels = joined(3);
    const frame = parse(channels.publish(lobby, "hello"));

    expect(frame).toEqual({ action: "publish", channel: lobby, id: expect.any(String), data: "hello" });
    expect(channels.get(lobby)!.sending).toEqual(["hello"]);
    channels.handle({ type: "published", channel: lobby, id: "someone else's", seq: 4 });
    expect(channels.get(lobby)!.sending).toEqual(["hello"]);
    channels.handle({ type: "published", channel: lobby, id: frame.id as string, seq: 4 });
    expect(channels.get(lobby)!.sending).toEqual([]);
  });

  it("refuses to publish to a channel not joined, or a message larger than one frame", () => {
    const channels = joined();

    expect(() => channels.publish("public/elsewhere", "hi")).toThrow(/Join public\/elsewhere/);
    expect(() => channels.publish(lobby, "é".repeat(maxFrameBytes / 2))).toThrow(/at most 32768/);
    expect(channels.get(lobby)!.sending).toEqual([]);
  });

  it("leaves at once: an unsubscribe frame, and whatever still arrives for the channel is ignored", () => {
    const channels = joined(0);

    expect(parse(channels.leave(lobby))).toEqual({ action: "unsubscribe", channel: lobby, id: expect.any(String) });
    expect(channels.handle(message(1))).toEqual([]);
    expect(channels.get(lobby)).toBeUndefined();
    expect(channels.leave(lobby)).toBeUndefined();
  });
});

describe("messages", () => {
  it("shows data with who sent it and when; a server publish has no sender, and JSON data is shown as JSON", () => {
    const channels = joined(0);
    channels.handle(message(1, "hi"));
    channels.handle({ type: "message", channel: lobby, seq: 2, data: { n: 1 }, sentAt: "2026-01-01T00:00:01.000Z" });

    expect(channels.get(lobby)!.messages).toEqual([
      { seq: 1, text: "hi", from: alice, sentAt: "2026-01-01T00:00:00.000Z" },
      { seq: 2, text: '{"n":1}', sentAt: "2026-01-01T00:00:01.000Z" },
    ]);
  });

  it("drops a seq already received, however often it arrives", () => {
    const channels = joined(5);

    channels.handle(message(6, "first"));
    channels.handle(message(6, "again"));
    channels.handle(message(8));
    channels.handle(message(8));
    channels.handle(message(7));
    channels.handle(message(6));

    expect(seqs(channels)).toEqual([6, 7, 8]);
    expect(channels.get(lobby)!.messages[0]!.text).toBe("first");
  });

  it("drops messages up to the seq of the first subscribe: they predate the join", () => {
    const channels = new Channels();
    const { id } = parse(channels.join(lobby));
    channels.handle(message(4)); // in flight around the subscribe
    channels.handle(message(6)); // published just after it, arriving before the reply

    channels.handle({ type: "subscribed", channel: lobby, id: id as string, seq: 5 });
    channels.handle(message(3));

    expect(seqs(channels)).toEqual([6]);
    expect(channels.get(lobby)!.seq).toBe(6);
  });

  it("keeps messages sorted by seq whatever order they arrive in", () => {
    const channels = joined(0);

    for (const seq of [3, 1, 5, 2, 4]) channels.handle(message(seq));

    expect(seqs(channels)).toEqual([1, 2, 3, 4, 5]);
  });

  it("moves the high-water mark only over a contiguous run: a gap holds it until filled", () => {
    const channels = joined(5);

    channels.handle(message(7));
    channels.handle(message(8));
    expect(channels.get(lobby)!.seq).toBe(5);
    channels.handle(message(6));
    expect(channels.get(lobby)!.seq).toBe(8);
    channels.handle(message(10));
    expect(channels.get(lobby)!.seq).toBe(8);
  });

  it("keeps the latest maxMessages, and a trimmed message arriving again is still not shown twice", () => {
    const channels = joined(0, lobby, new Channels({ maxMessages: 3 }));

    for (const seq of [1, 2, 3, 4, 5]) channels.handle(message(seq));
    channels.handle(message(1));

    expect(seqs(channels)).toEqual([3, 4, 5]);
  });
});

describe("resuming after a reconnect", () => {
  it("resubscribes every channel after its last contiguous seq; one still being joined starts afresh; a refused one stays out", () => {
    const channels = joined(5);
    joined(0, "public/quiet", channels);
    channels.join("public/pending");
    const refused = parse(channels.join("private/x"));
    channels.handleError({ code: "Forbidden", message: "Forbidden", id: refused.id as string, channel: "private/x" });
    channels.handle(message(6));
    channels.handle(message(8)); // 7 missing: the resume must ask for it

    const frames = channels.resubscribe().map(parse);

    expect(frames).toEqual([
      { action: "subscribe", channel: lobby, id: expect.any(String), since: 6 },
      { action: "subscribe", channel: "public/quiet", id: expect.any(String), since: 0 },
      { action: "subscribe", channel: "public/pending", id: expect.any(String) },
    ]);
    expect(channels.list.map((channel) => channel.status)).toEqual(["joining", "joining", "joining", "refused"]);
  });

  it("fills the gap from the replay: nothing shown twice, nothing missing, in order", () => {
    const channels = joined(5);
    channels.handle(message(6));
    channels.handle(message(8));
    const [resume] = channels.resubscribe().map(parse);

    // Live messages of the new connection may overtake the reply and the replay.
    channels.handle(message(10));
    channels.handle({ type: "subscribed", channel: lobby, id: resume!.id as string, seq: 9, resumed: true });
    for (const seq of [7, 8, 9]) channels.handle(message(seq));
    channels.handle(message(10));

    expect(seqs(channels)).toEqual([6, 7, 8, 9, 10]);
    expect(channels.get(lobby)).toMatchObject({ status: "joined", seq: 10, unrecovered: false });
  });

  it("ignores the reply to a subscribe of the old connection", () => {
    const channels = new Channels();
    const first = parse(channels.join(lobby));
    channels.resubscribe();

    channels.handle({ type: "subscribed", channel: lobby, id: first.id as string, seq: 3 });

    expect(channels.get(lobby)).toMatchObject({ status: "joining", seq: undefined });
  });

  it('says "some messages could not be recovered" on resumed:false when messages were missed, and goes on from the seq given', () => {
    const channels = joined(5);
    channels.handle(message(7));
    const [resume] = channels.resubscribe().map(parse);

    channels.handle({ type: "subscribed", channel: lobby, id: resume!.id as string, seq: 200, resumed: false });
    channels.handle(message(150));
    channels.handle(message(201));

    expect(channels.get(lobby)).toMatchObject({ unrecovered: true, seq: 201 });
    expect(seqs(channels)).toEqual([7, 201]);
  });

  it("says nothing on resumed:false when nothing was missed (a channel without history)", () => {
    const channels = joined(5);
    channels.handle(message(6));
    const [resume] = channels.resubscribe().map(parse);

    channels.handle({ type: "subscribed", channel: lobby, id: resume!.id as string, seq: 6, resumed: false });

    expect(channels.get(lobby)).toMatchObject({ unrecovered: false, seq: 6, status: "joined" });
  });

  it("starts again when the channel's seq went backwards (its history is gone), and says so", () => {
    const channels = joined(5);
    channels.handle(message(6));
    const [resume] = channels.resubscribe().map(parse);

    channels.handle({ type: "subscribed", channel: lobby, id: resume!.id as string, seq: 2, resumed: false });
    channels.handle(message(3));

    expect(channels.get(lobby)).toMatchObject({ unrecovered: true, seq: 3 });
    expect(seqs(channels)).toEqual([3]);
  });

  it("says which publishes the old connection never confirmed", () => {
    const channels = joined(0);
    channels.publish(lobby, "lost?");

    channels.resubscribe();

    expect(channels.get(lobby)).toMatchObject({ sending: [], error: expect.stringMatching(/dropped before the server confirmed a message/) });
  });

  it("happens on every reopen of the connection: the page's wiring resubscribes on the new socket with since", async () => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
    try {
      const { sockets, deliver, joinLobby } = wiredPage();
      joinLobby(2);
      deliver(0, message(3));

      sockets[0]!.handlers.close({ code: 1006, reason: "" });
      await vi.runOnlyPendingTimersAsync();
      sockets[1]!.handlers.open("json");

      expect(sockets[1]!.sent.map(parse)).toEqual([{ action: "subscribe", channel: lobby, id: expect.any(String), since: 3 }]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("handing over to a new connection (the server's reconnect frame)", () => {
  it("opens a second socket, resubscribes there with since, closes the first with 1000, and shows every message once, with no reconnecting state", () => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
    try {
      const { channels, sockets, statuses, deliver, joinLobby } = wiredPage();
      joinLobby(2);
      deliver(0, message(3));
      deliver(0, message(4));

      deliver(0, { type: "reconnect", reason: "connection-limit", closeAt: "2026-01-01T02:00:00.000Z" });
      expect(sockets).toHaveLength(2);
      deliver(0, message(5)); // the first connection still delivers while the second opens
      sockets[1]!.handlers.open("json");

      expect(sockets[1]!.sent.map(parse)).toEqual([{ action: "subscribe", channel: lobby, id: expect.any(String), since: 5 }]);
      expect(sockets[0]!.closedWith).toEqual({ code: 1000, reason: "handover" });
      deliver(0, message(6)); // too late: the first is closed, the second replays it
      const resume = parse(sockets[1]!.sent[0]);
      deliver(1, message(5)); // in flight around the subscribe
      deliver(1, { type: "subscribed", channel: lobby, id: resume.id, seq: 6, resumed: true });
      deliver(1, message(6));
      deliver(1, message(7));

      expect(seqs(channels)).toEqual([3, 4, 5, 6, 7]);
      expect(channels.get(lobby)).toMatchObject({ status: "joined", seq: 7, unrecovered: false });
      expect(statuses).toEqual(["connecting", "open", "open"]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("presence", () => {
  it("counts a user once however many connections they have, follows join and leave, and a presence reply replaces the list", () => {
    const channels = joined(0);

    channels.handle({ type: "presence", channel: lobby, id: "x", members: [alice, bob, { ...alice }] });
    expect(channels.get(lobby)!.members).toEqual([alice, bob]);

    channels.handle({ type: "join", channel: lobby, member: bob });
    channels.handle({ type: "join", channel: lobby, member: { userId: "sub-carol", username: "carol" } });
    expect(channels.get(lobby)!.members.map((member) => member.username)).toEqual(["alice", "bob", "carol"]);

    channels.handle({ type: "leave", channel: lobby, member: bob });
    expect(channels.get(lobby)!.members.map((member) => member.username)).toEqual(["alice", "carol"]);

    channels.handle({ type: "presence", channel: lobby, members: [bob] });
    expect(channels.get(lobby)!.members).toEqual([bob]);
  });

  it("belongs to its channel only", () => {
    const channels = joined(0);
    joined(0, "public/other", channels);

    channels.handle({ type: "join", channel: "public/other", member: bob });

    expect(channels.get(lobby)!.members).toEqual([]);
    expect(channels.get("public/other")!.members).toEqual([bob]);
  });
});

describe("errors", () => {
  it("are shown on the channel of the request they answer, by id", () => {
    const channels = joined(0);
    const refusedJoin = parse(channels.join("private/x"));
    const publish = parse(channels.publish(lobby, "too fast"));

    expect(channels.handleError({ code: "Forbidden", message: "Forbidden", id: refusedJoin.id as string })).toBe(true);
    expect(channels.handleError({ code: "TooManyRequests", message: "Slow down", id: publish.id as string })).toBe(true);

    expect(channels.get("private/x")).toMatchObject({ status: "refused", error: "Could not join private/x: Forbidden (Forbidden)" });
    expect(channels.get(lobby)).toMatchObject({ status: "joined", sending: [], error: 'Not published: "too fast": Slow down (TooManyRequests)' });
  });

  it("TooManyRequests says how long to wait, on the channel whose request was dropped", () => {
    const channels = joined(0);
    const publish = parse(channels.publish(lobby, "too fast"));
    const presence = parse(channels.presence(lobby));
    const error = classify(JSON.stringify({ error: { code: "TooManyRequests", message: "More than 40 frames in 2 s; wait before sending more", retryAfterMs: 1200 }, id: publish.id }));

    expect(error).toMatchObject({ kind: "error", code: "TooManyRequests", retryAfterMs: 1200 });
    channels.handleError(error as Extract<typeof error, { kind: "error" }>);
    expect(channels.get(lobby)).toMatchObject({ sending: [], error: 'Not published: "too fast": slow down: try again in 2 s' });

    channels.handleError({ code: "TooManyRequests", message: "", retryAfterMs: 1, id: presence.id as string });
    expect(channels.get(lobby)!.error).toBe("Could not list the members: slow down: try again in 1 s");
  });

  it("without a known id, go to the channel they name; otherwise they are not the channels' (the page logs them)", () => {
    const channels = joined(0);

    expect(channels.handleError({ code: "InternalError", message: "Try again", channel: lobby })).toBe(true);
    expect(channels.get(lobby)!.error).toBe("Try again (InternalError)");
    expect(channels.handleError({ code: "BadRequest", message: '"data" is required' })).toBe(false);
    expect(channels.handleError({ code: "BadRequest", message: "x", id: "unknown", channel: "public/never-joined" })).toBe(false);
  });

  it("a refused channel can be joined again, and is not resubscribed until then", () => {
    const channels = new Channels();
    const refused = parse(channels.join("private/x"));
    channels.handleError({ code: "Forbidden", message: "Forbidden", id: refused.id as string });
    expect(channels.resubscribe()).toEqual([]);

    const retry = parse(channels.join("private/x"));

    expect(retry).toEqual({ action: "subscribe", channel: "private/x", id: expect.any(String) });
    expect(channels.get("private/x")).toMatchObject({ status: "joining", error: undefined });
  });
});

describe("telling channel frames from broadcast data", () => {
  it("reads server frames: objects with a known type and the fields it needs", () => {
    const frames: ChannelFrame[] = [
      { type: "subscribed", channel: lobby, id: "r1", seq: 0, resumed: true },
      { type: "unsubscribed", channel: lobby, id: "r2" },
      { type: "published", channel: lobby, id: "r3", seq: 4 },
      message(4),
      { type: "message", channel: lobby, seq: 5, data: null, sentAt: "2026-01-01T00:00:00.000Z" },
      { type: "join", channel: lobby, member: bob },
      { type: "leave", channel: lobby, member: bob },
      { type: "presence", channel: lobby, id: "r4", members: [alice, bob] },
    ];
    for (const frame of frames) expect(classify(JSON.stringify(frame))).toEqual({ kind: "channel", frame });
    expect(classify('{"type":"reconnect","reason":"connection-limit","closeAt":"2026-01-01T02:00:00Z"}')).toEqual({
      kind: "reconnect",
      reason: "connection-limit",
      closeAt: "2026-01-01T02:00:00Z",
    });
  });

  it("reads error frames with their id and channel", () => {
    expect(classify('{"error":{"code":"Forbidden","message":"Forbidden"},"id":"r7","channel":"private/x"}')).toEqual({
      kind: "error",
      code: "Forbidden",
      message: "Forbidden",
      id: "r7",
      channel: "private/x",
    });
  });

  it("takes anything else with a type for data: a broadcast is shown as text", () => {
    for (const data of [
      '{"type":"hello"}',
      '{"type":"message","channel":"public/lobby","seq":1}',
      '{"type":"message","channel":"public/lobby","seq":0,"data":"x","sentAt":"t"}',
      '{"type":"message","channel":"public/lobby","seq":1.5,"data":"x","sentAt":"t"}',
      '{"type":"message","channel":"public/lobby","seq":1,"data":"x","sentAt":"t","from":"alice"}',
      '{"type":"presence","channel":"public/lobby","members":[{"username":"no id"}]}',
      '{"type":"subscribed","channel":"public/lobby","seq":-1}',
      '{"type":"join","channel":"public/lobby"}',
      '"subscribed"',
    ]) {
      expect(classify(data), data).toEqual({ kind: "text", text: data });
    }
  });
});
