/**
 * The channels the page is in: their members, their messages and the frames that keep them in step
 * with the server. Pure: no DOM, no socket; the page sends the frames these methods return.
 *
 * Delivery is unordered, and at least once across a resume. So each channel keeps its messages
 * sorted by seq, drops a seq it has already received, and remembers the seq up to which it has
 * received every message (its high-water mark): a resume asks for what follows that mark, gaps
 * above it included.
 */
import { checkFrameSize, FrameError, type ChannelFrame, type Member } from "./protocol.js";

const maxSegments = 5;
const maxNameLength = 255;
const segmentPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether the server accepts `name` as a channel name (anything else is a BadRequest). */
export function isChannelName(name: string): boolean {
  const segments = name.split("/");
  return name.length <= maxNameLength && segments.length <= maxSegments && segments.every((segment) => segmentPattern.test(segment));
}

export interface ChannelMessage {
  readonly seq: number;
  /** `data` as shown: a string as it is, anything else as JSON. */
  readonly text: string;
  /** Absent for messages the server published. */
  readonly from?: Member;
  readonly sentAt: string;
}

/** `refused`: the server would not subscribe (or resubscribe) this connection; joining again retries. */
export type ChannelStatus = "joining" | "joined" | "refused";

export interface ChannelView {
  readonly name: string;
  readonly status: ChannelStatus;
  /** Every message up to this seq has been received or predates the join; undefined until subscribed. */
  readonly seq: number | undefined;
  /** Sorted by seq, each seq once; the latest `maxMessages`. */
  readonly messages: readonly ChannelMessage[];
  /** One entry per user, however many connections they have; by name. */
  readonly members: readonly Member[];
  /** Texts published and not yet confirmed by the server, oldest first. */
  readonly sending: readonly string[];
  /** A resume could not replay every message missed while disconnected. */
  readonly unrecovered: boolean;
  readonly error: string | undefined;
}

/** What a pending request was, to route its reply or error. */
type Request = { readonly kind: "subscribe" | "presence"; readonly channel: string } | { readonly kind: "publish"; readonly channel: string; readonly text: string };

class Channel implements ChannelView {
  status: ChannelStatus = "joining";
  seq: number | undefined;
  unrecovered = false;
  error: string | undefined;
  /** The latest subscribe: only its reply counts, and whether it resumes decides how. */
  subscription: { readonly id: string; readonly since: number | undefined } = { id: "", since: undefined };
  readonly messages: ChannelMessage[] = [];
  readonly present = new Map<string, Member>();
  readonly pending = new Map<string, string>();
  /** Seqs above the high-water mark already received: what is between them is still missing. */
  private readonly ahead = new Set<number>();

  constructor(
    readonly name: string,
    private readonly maxMessages: number,
  ) {}

  get members(): Member[] {
    return [...this.present.values()].sort((a, b) => (a.username || a.userId).localeCompare(b.username || b.userId));
  }

  get sending(): string[] {
    return [...this.pending.values()];
  }

  /** The reply to the latest subscribe: `latest` is the channel's seq when it was taken. */
  subscribed(latest: number, resumed: boolean | undefined): void {
    this.status = "joined";
    this.error = undefined;
    const mark = this.subscription.since === undefined ? undefined : this.seq;
    if (mark === undefined) {
      // A first join starts at the channel's present: older messages still in flight are not shown.
      this.seq = latest;
      this.forget((seq) => seq <= latest);
    } else if (resumed === true) {
      // The replay of everything after the mark follows.
    } else if (latest < mark) {
      // The channel's sequence started again (its history is gone): what is shown no longer lines up.
      this.seq = latest;
      this.forget(() => true);
      this.unrecovered = true;
    } else {
      const received = [...this.ahead].filter((seq) => seq <= latest).length;
      if (received < latest - mark) this.unrecovered = true;
      this.seq = latest;
    }
    this.advance();
  }

  /** False when the message's seq was already received (or predates the join). */
  receive(message: ChannelMessage): boolean {
    if ((this.seq !== undefined && message.seq <= this.seq) || this.ahead.has(message.seq)) return false;
    this.ahead.add(message.seq);
    const at = this.messages.findLastIndex((shown) => shown.seq < message.seq) + 1;
    this.messages.splice(at, 0, message);
    if (this.messages.length > this.maxMessages) this.messages.splice(0, this.messages.length - this.maxMessages);
    this.advance();
    return true;
  }

  /** Moves the high-water mark over the contiguous run of received seqs above it. */
  private advance(): void {
    if (this.seq === undefined) return;
    for (const seq of this.ahead) if (seq <= this.seq) this.ahead.delete(seq);
    while (this.ahead.delete(this.seq + 1)) this.seq++;
  }

  private forget(which: (seq: number) => boolean): void {
    for (const seq of this.ahead) if (which(seq)) this.ahead.delete(seq);
    const kept = this.messages.filter((message) => !which(message.seq));
    this.messages.splice(0, this.messages.length, ...kept);
  }
}

export interface ChannelsOptions {
  /** Request ids, unique per page. @default "r1", "r2", … */
  readonly nextId?: () => string;
  /** Messages kept per channel. @default 200 */
  readonly maxMessages?: number;
}

export class Channels {
  private readonly channels = new Map<string, Channel>();
  private readonly requests = new Map<string, Request>();
  private readonly nextId: () => string;
  private readonly maxMessages: number;

  constructor(options: ChannelsOptions = {}) {
    let counter = 0;
    this.nextId = options.nextId ?? (() => `r${++counter}`);
    this.maxMessages = options.maxMessages ?? 200;
  }

  /** In the order they were joined. */
  get list(): readonly ChannelView[] {
    return [...this.channels.values()];
  }

  get(name: string): ChannelView | undefined {
    return this.channels.get(name);
  }

  /**
   * The subscribe frame for a channel not joined yet (or refused: joining again retries);
   * undefined when already in it. @throws FrameError for a name the server would refuse.
   */
  join(name: string): string | undefined {
    if (name === "") throw new FrameError("Enter a channel name, such as public/lobby.");
    if (!isChannelName(name)) {
      throw new FrameError(`"${name}" is not a channel name: 1–${maxSegments} segments of letters, digits, _ and - (1–64 each) joined by "/", at most ${maxNameLength} characters.`);
    }
    const existing = this.channels.get(name);
    if (existing && existing.status !== "refused") return undefined;
    const channel = existing ?? new Channel(name, this.maxMessages);
    channel.error = undefined;
    this.channels.set(name, channel);
    return this.subscribe(channel);
  }

  /** Forgets the channel at once (late frames for it are ignored); the unsubscribe frame, if it was subscribed. */
  leave(name: string): string | undefined {
    const channel = this.channels.get(name);
    if (!channel) return undefined;
    this.channels.delete(name);
    for (const [id, request] of this.requests) if (request.channel === name) this.requests.delete(id);
    if (channel.status === "refused") return undefined;
    return JSON.stringify({ action: "unsubscribe", channel: name, id: this.nextId() });
  }

  /** @throws FrameError when not in the channel, or the frame would be too large. */
  publish(name: string, text: string): string {
    const channel = this.channels.get(name);
    if (!channel || channel.status === "refused") throw new FrameError(`Join ${name} before publishing to it.`);
    const id = this.nextId();
    const frame = checkFrameSize(JSON.stringify({ action: "publish", channel: name, id, data: text }));
    channel.pending.set(id, text);
    this.requests.set(id, { kind: "publish", channel: name, text });
    return frame;
  }

  /** Asks for the channel's members (the page does after each subscribe). */
  presence(name: string): string {
    const id = this.nextId();
    this.requests.set(id, { kind: "presence", channel: name });
    return JSON.stringify({ action: "presence", channel: name, id });
  }

  /**
   * For a new connection: a subscribe for every channel joined (or being joined), resuming after
   * each one's high-water mark. Requests of the old connection will get no reply.
   */
  resubscribe(): string[] {
    this.requests.clear();
    const frames: string[] = [];
    for (const channel of this.channels.values()) {
      if (channel.pending.size > 0) {
        channel.error = `The connection dropped before the server confirmed ${channel.pending.size === 1 ? "a message" : `${channel.pending.size} messages`}; what it stored appears here.`;
        channel.pending.clear();
      }
      if (channel.status !== "refused") frames.push(this.subscribe(channel));
    }
    return frames;
  }

  /** Applies a server frame; returns the frames to send in reply. */
  handle(frame: ChannelFrame): string[] {
    const id = "id" in frame ? frame.id : undefined;
    if (id !== undefined) this.requests.delete(id);
    const channel = this.channels.get(frame.channel);
    if (!channel) return [];
    switch (frame.type) {
      case "subscribed":
        if (id !== channel.subscription.id) return []; // the reply to an earlier subscribe
        channel.subscribed(frame.seq, frame.resumed);
        return [this.presence(channel.name)];
      case "published":
        if (id !== undefined) channel.pending.delete(id);
        return [];
      case "message":
        channel.receive({
          seq: frame.seq,
          text: typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data),
          ...(frame.from ? { from: frame.from } : {}),
          sentAt: frame.sentAt,
        });
        return [];
      case "join":
        channel.present.set(frame.member.userId, frame.member);
        return [];
      case "leave":
        channel.present.delete(frame.member.userId);
        return [];
      case "presence":
        channel.present.clear();
        for (const member of frame.members) channel.present.set(member.userId, member);
        return [];
      case "unsubscribed":
        return [];
    }
  }

  /** Shows an error frame on the channel of the request it answers (or that it names); false when it concerns none. */
  handleError(error: { readonly code: string; readonly message: string; readonly id?: string; readonly channel?: string }): boolean {
    const request = error.id === undefined ? undefined : this.requests.get(error.id);
    if (error.id !== undefined) this.requests.delete(error.id);
    const channel = this.channels.get(request?.channel ?? error.channel ?? "");
    if (!channel) return false;
    const reason = `${error.message || "refused"} (${error.code})`;
    switch (request?.kind) {
      case "subscribe":
        if (error.id === channel.subscription.id) channel.status = "refused";
        channel.error = `Could not join ${channel.name}: ${reason}`;
        break;
      case "publish":
        channel.pending.delete(error.id!);
        channel.error = `Not published: "${abbreviate(request.text)}": ${reason}`;
        break;
      case "presence":
        channel.error = `Could not list the members: ${reason}`;
        break;
      default:
        channel.error = reason;
    }
    return true;
  }

  /** Forgets every channel (sign-out): the next user starts with none. */
  clear(): void {
    this.channels.clear();
    this.requests.clear();
  }

  private subscribe(channel: Channel): string {
    const id = this.nextId();
    const since = channel.seq;
    channel.status = "joining";
    channel.subscription = { id, since };
    this.requests.set(id, { kind: "subscribe", channel: channel.name });
    return JSON.stringify({ action: "subscribe", channel: channel.name, id, ...(since === undefined ? {} : { since }) });
  }
}

const abbreviate = (text: string): string => (text.length > 40 ? `${text.slice(0, 39)}…` : text);
