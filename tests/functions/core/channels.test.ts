import { describe, expect, it } from "vitest";
import { forgetConnections, presence, publishFromServer, subscribe, unsubscribe, type ChannelDependencies, type Sender } from "../../../functions/core/channels.js";
import { defaultChannelRules } from "../../../functions/core/channel-rules.js";
import { farFuture, InMemoryChannelStore, InMemoryRecipients, RecordingNotifier } from "../../support/in-memory.js";

function setup() {
  const channels = new InMemoryChannelStore();
  const notifier = new RecordingNotifier();
  const dependencies: ChannelDependencies = {
    channels,
    delivery: {
      recipients: new InMemoryRecipients({ channels }),
      fanOut: { forget: (ids) => forgetConnections(ids, dependencies), notifier, concurrency: 4 },
      shardSize: 3,
      summarize: () => undefined,
      refused: () => undefined,
      now: () => new Date(1_000_000_000_000),
    },
    policy: { rules: defaultChannelRules, historySeconds: 60, replayLimit: 10, maxSubscriptionsPerConnection: 5 },
    now: () => new Date(1_000_000_000_000),
  };
  const sender = (connectionId: string, userId: string): Sender => ({ connectionId, userId, username: `${userId}-name`, groups: async () => [], ttl: farFuture });
  const replies: string[] = [];
  /** Each reply's frames, as one sequence. */
  const sequences: string[][] = [];
  const reply = async (...frames: string[]) => {
    sequences.push(frames);
    replies.push(...frames);
  };
  const joinsAndLeaves = (to: string) => notifier.sent.filter(([id, frame]) => id === to && /"type":"(join|leave)"/.test(frame)).map(([, frame]) => JSON.parse(frame).type);
  return { channels, notifier, dependencies, sender, reply, replies, sequences, joinsAndLeaves };
}

describe("join and leave", () => {
  it("announce a user once: not for a second connection, not for a renewed subscription, and leave only after the last", async () => {
    const { dependencies, sender, reply, joinsAndLeaves } = setup();
    const watcher = sender("w", "watcher");
    const [first, second] = [sender("a1", "alice"), sender("a2", "alice")];
    await subscribe({ channel: "public/x" }, watcher, reply, dependencies);
    await subscribe({ channel: "public/x" }, first, reply, dependencies);
    await subscribe({ channel: "public/x" }, first, reply, dependencies);
    await subscribe({ channel: "public/x" }, second, reply, dependencies);
    expect(joinsAndLeaves("w")).toEqual(["join"]);

    await unsubscribe({ channel: "public/x" }, first, reply, dependencies);
    expect(joinsAndLeaves("w")).toEqual(["join"]);
    await forgetConnections(["a2"], dependencies);
    expect(joinsAndLeaves("w")).toEqual(["join", "leave"]);
  });

  it("count a user once in presence, however many connections", async () => {
    const { dependencies, sender, reply, replies } = setup();
    await subscribe({ channel: "public/x" }, sender("a1", "alice"), reply, dependencies);
    await subscribe({ channel: "public/x" }, sender("a2", "alice"), reply, dependencies);
    await presence({ channel: "public/x", id: "p" }, sender("a1", "alice"), reply, dependencies);
    expect(JSON.parse(replies.at(-1)!)).toEqual({ type: "presence", channel: "public/x", id: "p", members: [{ userId: "alice", username: "alice-name" }] });
  });
});

/** Publishes the channel's next message as `deliver` stores it: seq first, then the retained copy. */
async function store(channels: InMemoryChannelStore, channel: string) {
  const seq = await channels.nextSeq(channel);
  await channels.saveMessage(channel, { seq, frame: `m${seq}` }, farFuture);
}

describe("resume", () => {
  it("replays the gap after `subscribed` as one reply, in seq order", async () => {
    const { channels, dependencies, sender, reply, sequences } = setup();
    for (let i = 0; i < 4; i++) await store(channels, "public/x");
    await subscribe({ channel: "public/x", since: 1, id: "s" }, sender("a1", "alice"), reply, dependencies);
    expect(sequences).toEqual([[JSON.stringify({ type: "subscribed", channel: "public/x", id: "s", seq: 4, resumed: true }), "m2", "m3", "m4"]]);
  });

  it("replays up to the seq it answers, leaving a message stored meanwhile to the fan-out", async () => {
    const { channels, dependencies, sender, reply, replies } = setup();
    for (let i = 0; i < 3; i++) await store(channels, "public/x");
    // A publish lands between the latest seq's read and the retained messages' read.
    const read = channels.messages.bind(channels);
    channels.messages = async (...args) => {
      await store(channels, "public/x");
      return read(...args);
    };
    await subscribe({ channel: "public/x", since: 1, id: "s" }, sender("a1", "alice"), reply, dependencies);
    expect(replies).toEqual([JSON.stringify({ type: "subscribed", channel: "public/x", id: "s", seq: 3, resumed: true }), "m2", "m3"]);
  });

  it("says resumed:false, replaying nothing, for a gap longer than the replay limit", async () => {
    const { channels, dependencies, sender, reply, replies } = setup();
    for (let i = 0; i < 12; i++) await store(channels, "public/x");
    await subscribe({ channel: "public/x", since: 1, id: "s" }, sender("a1", "alice"), reply, dependencies);
    expect(replies).toEqual([JSON.stringify({ type: "subscribed", channel: "public/x", id: "s", seq: 12, resumed: false })]);
  });

  it("says resumed:false when a message inside the gap is no longer retained", async () => {
    const { channels, dependencies, sender, reply, replies } = setup();
    for (const seq of [1, 2, 3]) {
      await channels.nextSeq("public/x");
      if (seq !== 2) await channels.saveMessage("public/x", { seq, frame: `m${seq}` }, farFuture);
    }
    await subscribe({ channel: "public/x", since: 0, id: "s" }, sender("a1", "alice"), reply, dependencies);
    expect(replies).toEqual([JSON.stringify({ type: "subscribed", channel: "public/x", id: "s", seq: 3, resumed: false })]);
  });
});

describe("connections found gone during a publish", () => {
  it("are ended after the message reached every live subscriber, all before any leave, so no leave goes to a departed one", async () => {
    const { dependencies, sender, reply, notifier } = setup();
    const live = ["l1", "l2", "l3"];
    const gone = ["g1", "g2", "g3"];
    for (const id of [...live, ...gone]) await subscribe({ channel: "public/x" }, sender(id, `user-${id}`), reply, dependencies);
    for (const id of gone) notifier.gone.add(id);
    notifier.sent.length = 0;
    notifier.attempts.length = 0;

    const { delivery } = await publishFromServer("public/x", '"hi"', dependencies);

    expect(delivery).toMatchObject({ report: { recipients: 6, delivered: 3, gone: 3, failed: 0 } });
    expect(notifier.attempts.filter((id) => gone.includes(id)).sort()).toEqual(gone);
    for (const id of live) {
      const frames = notifier.sent.filter(([to]) => to === id).map(([, frame]) => JSON.parse(frame));
      expect(frames.map((frame) => frame.type)).toEqual(["message", "leave", "leave", "leave"]);
      expect(frames.slice(1).map((frame) => frame.member.userId).sort()).toEqual(gone.map((g) => `user-${g}`));
    }
  });
});
