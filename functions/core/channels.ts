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

/** Sends frames to the sender, in this order. */
export type Reply = (...frames: string[]) => Promise<void>;


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
  const now = dependencies.now();
  // Read together; the second answer matters only for a connection new to the channel.
  const [held, othersHere] = await Promise.all([
    channels.channelsOf(sender.connectionId),
    channels.hasOtherSubscription(channel, sender.userId, sender.connectionId, seconds(now)),
  ]);
  if (!held.includes(channel) && held.length >= policy.maxSubscriptionsPerConnection) {
    throw new RequestError("LimitExceeded", `A connection may hold at most ${policy.maxSubscriptionsPerConnection} subscriptions`);
  }
  // A renewal of this connection's own subscription is no join; nor is a second connection's.
  const joins = !held.includes(channel) && !othersHere;
  await channels.subscribe({ channel, connectionId: sender.connectionId, userId: sender.userId, username: sender.username, ttl: sender.ttl });
  // Read after the subscription is stored: every message with a later seq is published after it
  // and finds it, so the sender receives every message after `seq`.
  const [latest, candidates] = await Promise.all([channels.latestSeq(channel), replayCandidates(request.since, channel, now, dependencies)]);
  if (request.since === undefined) {
    await reply(subscribedFrame(request, latest));
  } else {
    const replay = replayable(request.since, latest, candidates, dependencies.policy);
    // One sequence: each replayed message is posted once the one before it is answered.
    await reply(subscribedFrame(request, latest, replay !== undefined), ...(replay ?? []).map((message) => message.frame));
  }
  if (joins) await tellOthers(channel, memberFrame("join", channel, sender), sender.connectionId, dependencies);
}

/**
 * What a resume from `since` may replay, read alongside the latest seq rather than after it: the
 * retained messages up to `replayLimit` past `since`.
 */
async function replayCandidates(since: number | undefined, channel: string, now: Date, { channels, policy }: ChannelDependencies): Promise<StoredMessage[]> {
  if (since === undefined || policy.historySeconds === 0) return [];
  return channels.messages(channel, since, since + policy.replayLimit, seconds(now));
}

/**
 * The messages after `since` up to `latest`, or undefined when not all of them can be replayed: a gap
 * longer than the limit, or a message expired or not yet stored (its publish took its seq before
 * `latest` was read but had not stored it when the candidates were).
 */
function replayable(since: number, latest: number, candidates: readonly StoredMessage[], policy: ChannelPolicy): StoredMessage[] | undefined {
  const gap = latest - since;
  if (policy.historySeconds === 0 || gap < 0 || gap > policy.replayLimit) return undefined;
  const replay = candidates.filter((message) => message.seq <= latest);
  return replay.length === gap ? replay : undefined;
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
