/**
 * Channels: subscribe (with resume), unsubscribe, publish, presence, server-side publish, and the
 * end of a connection's subscriptions. The store and the notifier are injected; replies to the
 * sender go out through `reply`, before any fan-out to the others.
 */
import {
  memberFrame,
  messageFrame,
  presenceFrame,
  publishedFrame,
  subscribedFrame,
  unsubscribedFrame,
  type ChannelRequest,
  type PublishRequest,
  type SubscribeRequest,
} from "./channel-frames.js";
import { admits, namesGroups, ruleFor, type ChannelRule, type Permission } from "./channel-rules.js";
import pMap from "p-map";
import { RequestError } from "./errors.js";
import { dispatch, handOver, seconds, type DeliveryDependencies, type Dispatched } from "./delivery.js";
import type { ChannelStore, Member, StoredMessage } from "./ports.js";

export interface ChannelPolicy {
  readonly rules: readonly ChannelRule[];
  /** How long messages are retained for resumes; 0 retains none. */
  readonly historySeconds: number;
  /** At most this many messages are replayed on one resume; a longer gap is not resumed. */
  readonly replayLimit: number;
  readonly maxSubscriptionsPerConnection: number;
}

export interface ChannelDependencies {
  readonly channels: ChannelStore;
  /** How fan-outs reach the subscribers; its `fanOut.forget` should end with `forgetConnections`. */
  readonly delivery: DeliveryDependencies;
  readonly policy: ChannelPolicy;
  readonly now: () => Date;
}

/** The connection a frame came from, and the user behind it. */
export interface Sender extends Member {
  readonly connectionId: string;
  /** The groups of the connection's current token (a `reauth` replaces them), read when a rule needs them. */
  readonly groups: () => Promise<readonly string[]>;
  /** The connection record's TTL, epoch seconds. */
  readonly ttl: number;
}

/** Sends one frame to the sender. */
export type Reply = (frame: string) => Promise<void>;


async function authorize(policy: ChannelPolicy, channel: string, sender: Sender, permission: Permission): Promise<void> {
  const rule = ruleFor(policy.rules, channel, sender.userId);
  const groups = rule !== undefined && namesGroups(rule, permission) ? await sender.groups() : [];
  // The same answer whatever the reason (no rule, or a rule that does not admit this caller).
  if (rule === undefined || !admits(rule, permission, groups)) throw new RequestError("Forbidden", `Not allowed to ${permission} to this channel`);
}

export async function subscribe(request: SubscribeRequest, sender: Sender, reply: Reply, dependencies: ChannelDependencies): Promise<void> {
  const { channels, policy } = dependencies;
  const { channel } = request;
  await authorize(policy, channel, sender, "subscribe");
  const held = await channels.channelsOf(sender.connectionId);
  if (!held.includes(channel) && held.length >= policy.maxSubscriptionsPerConnection) {
    throw new RequestError("LimitExceeded", `A connection may hold at most ${policy.maxSubscriptionsPerConnection} subscriptions`);
  }
  const now = dependencies.now();
  // A renewal of this connection's own subscription is no join; nor is a second connection's.
  const joins = !held.includes(channel) && !(await channels.hasOtherSubscription(channel, sender.userId, sender.connectionId, seconds(now)));
  await channels.subscribe({ channel, connectionId: sender.connectionId, userId: sender.userId, username: sender.username, ttl: sender.ttl });
  // Read after the subscription is stored: every message with a later seq is published after it
  // and finds it, so the sender receives every message after `seq`.
  const latest = await channels.latestSeq(channel);
  if (request.since === undefined) {
    await reply(subscribedFrame(request, latest));
  } else {
    const replay = await retained(request.since, latest, channel, now, dependencies);
    await reply(subscribedFrame(request, latest, replay !== undefined));
    for (const message of replay ?? []) await reply(message.frame);
  }
  if (joins) await tellOthers(channel, memberFrame("join", channel, sender), sender.connectionId, dependencies);
}

/** The messages after `since`, or undefined when not all of them can be replayed. */
async function retained(since: number, latest: number, channel: string, now: Date, { channels, policy }: ChannelDependencies): Promise<StoredMessage[] | undefined> {
  const gap = latest - since;
  if (policy.historySeconds === 0 || gap < 0 || gap > policy.replayLimit) return undefined;
  if (gap === 0) return [];
  const messages = await channels.messages(channel, since, latest, seconds(now));
  return messages.length === gap ? messages : undefined;
}

export async function unsubscribe(request: ChannelRequest, sender: Sender, reply: Reply, dependencies: ChannelDependencies): Promise<void> {
  const { channels } = dependencies;
  const existed = await channels.unsubscribe(request.channel, sender.userId, sender.connectionId);
  await reply(unsubscribedFrame(request));
  if (existed) await leaveIfLast(request.channel, sender, sender.connectionId, dependencies);
}

export interface Published {
  readonly seq: number;
  readonly delivery: Dispatched;
}

export async function publish(request: PublishRequest, sender: Sender, reply: Reply, dependencies: ChannelDependencies): Promise<Published> {
  await authorize(dependencies.policy, request.channel, sender, "publish");
  return deliver(request.channel, request.data, sender, (seq) => reply(publishedFrame(request, seq)), dependencies);
}

/** A publish by the system itself: not subject to the rules, no `from`. */
export async function publishFromServer(channel: string, data: string, dependencies: ChannelDependencies): Promise<Published> {
  return deliver(channel, data, undefined, async () => undefined, dependencies);
}

async function deliver(
  channel: string,
  data: string,
  from: Member | undefined,
  stored: (seq: number) => Promise<void>,
  { channels, policy, delivery, now: clock }: ChannelDependencies,
): Promise<Published> {
  const now = clock();
  // Checked before a seq is taken, so that a refused message leaves no gap in the history.
  messageFrame(channel, Number.MAX_SAFE_INTEGER, data, now, from);
  const seq = await channels.nextSeq(channel);
  const frame = messageFrame(channel, seq, data, now, from);
  if (policy.historySeconds > 0) await channels.saveMessage(channel, { seq, frame }, seconds(now) + policy.historySeconds);
  await stored(seq);
  return { seq, delivery: await dispatch({ kind: "channel", channel }, frame, delivery) };
}

export async function presence(request: ChannelRequest, sender: Sender, reply: Reply, { channels, policy, now }: ChannelDependencies): Promise<void> {
  await authorize(policy, request.channel, sender, "subscribe");
  await reply(presenceFrame(request, await channels.members(request.channel, seconds(now()))));
}

/**
 * Ends every subscription of connections that are gone (`$disconnect`, a 410, an expired record)
 * and tells each channel a user left where that was their last connection on it. Every
 * subscription goes before any `leave`, so that no `leave` is posted to another departed one.
 * `handOver`: the `leave`s go to the workers, for a caller with better things to do (a fan-out
 * that found these connections gone).
 */
export async function forgetConnections(connectionIds: readonly string[], dependencies: ChannelDependencies, { handOver = false } = {}): Promise<void> {
  const { channels, delivery } = dependencies;
  const ended = (await pMap(connectionIds, (connectionId) => channels.removeConnection(connectionId), { concurrency: delivery.fanOut.concurrency })).flat();
  for (const subscription of ended) await leaveIfLast(subscription.channel, subscription, subscription.connectionId, dependencies, handOver);
}

async function leaveIfLast(channel: string, member: Member, connectionId: string, dependencies: ChannelDependencies, handingOver = false): Promise<void> {
  const { channels, now } = dependencies;
  if (await channels.hasOtherSubscription(channel, member.userId, connectionId, seconds(now()))) return;
  await tellOthers(channel, memberFrame("leave", channel, member), connectionId, dependencies, handingOver);
}

async function tellOthers(channel: string, frame: string, except: string, { delivery }: ChannelDependencies, handingOver = false): Promise<void> {
  await (handingOver ? handOver : dispatch)({ kind: "channel", channel, except }, frame, delivery);
}
