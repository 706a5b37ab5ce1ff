/**
 * The channel protocol's frames: parsing what a client sends (`subscribe`, `unsubscribe`,
 * `publish`, `presence`) and building what the server sends. Every server frame is a JSON object
 * with a `type`, so a client can always tell it from user data, which travels only inside `data`.
 */
import { channelNameRule, isChannelName } from "./channel-rules.js";
import { RequestError, type Echo } from "./errors.js";
import type { Member } from "./ports.js";
import { maxFrameDataBytes, parseFrameObject } from "./requests.js";

export interface ChannelRequest {
  readonly channel: string;
  readonly id?: string;
}

export interface SubscribeRequest extends ChannelRequest {
  /** Replay the retained messages after this seq. */
  readonly since?: number;
}

export interface PublishRequest extends ChannelRequest {
  /** `data` as JSON text, exactly as the client sent it (any JSON value). */
  readonly data: string;
}

/**
 * What the reply to this frame echoes, read leniently so that even a frame refused for another
 * field gets its `id` back; the strict checks are the parsers' below.
 */
export function echoOf(body: string | undefined): Echo {
  let frame: unknown;
  try {
    frame = JSON.parse(body ?? "");
  } catch {
    return {};
  }
  if (typeof frame !== "object" || frame === null) return {};
  const { id, channel } = frame as Record<string, unknown>;
  return { ...(isRequestId(id) ? { id } : {}), ...(isChannelName(channel) ? { channel } : {}) };
}

const isRequestId = (id: unknown): id is string => typeof id === "string" && id.length >= 1 && id.length <= 64;

export const parseChannelRequest = (body: string | undefined): ChannelRequest => channelRequest(parseFrameObject(body));

/** A frame's optional `id`, which its reply echoes: 1 to 64 characters, else BadRequest. */
export function requestIdOf({ id }: Record<string, unknown>): string | undefined {
  if (id !== undefined && !isRequestId(id)) throw new RequestError("BadRequest", '"id" must be a string of 1 to 64 characters');
  return id;
}

function channelRequest(frame: Record<string, unknown>): ChannelRequest {
  const id = requestIdOf(frame);
  const { channel } = frame;
  if (!isChannelName(channel)) throw new RequestError("BadRequest", `"channel" must be a channel name: ${channelNameRule}`);
  return { channel, ...(id === undefined ? {} : { id }) };
}

export function parseSubscribe(body: string | undefined): SubscribeRequest {
  const frame = parseFrameObject(body);
  const request = channelRequest(frame);
  const { since } = frame;
  if (since === undefined) return request;
  if (!Number.isSafeInteger(since) || (since as number) < 0) throw new RequestError("BadRequest", '"since" must be an integer ≥ 0 (a seq)');
  return { ...request, since: since as number };
}

export function parsePublish(body: string | undefined): PublishRequest {
  const frame = parseFrameObject(body);
  const request = channelRequest(frame);
  const { data } = frame;
  if (data === undefined) throw new RequestError("BadRequest", '"data" is required');
  return { ...request, data: JSON.stringify(data) };
}

/** `from` is absent for server-side publishes. */
export function messageFrame(channel: string, seq: number, data: string, sentAt: Date, from?: Member): string {
  // `data` is spliced in as the JSON text it arrived as, so it is not parsed and encoded again.
  const head = JSON.stringify({ type: "message", channel, seq });
  const tail = JSON.stringify({ ...(from ? { from: { userId: from.userId, username: from.username } } : {}), sentAt: sentAt.toISOString() });
  const frame = `${head.slice(0, -1)},"data":${data},${tail.slice(1)}`;
  if (Buffer.byteLength(frame) > maxFrameDataBytes) {
    throw new RequestError("PayloadTooLarge", `"data" is too large: a message must encode to at most ${maxFrameDataBytes} bytes`);
  }
  return frame;
}

export const subscribedFrame = (request: ChannelRequest, seq: number, resumed?: boolean): string =>
  JSON.stringify({ type: "subscribed", channel: request.channel, id: request.id, seq, resumed });

export const unsubscribedFrame = (request: ChannelRequest): string =>
  JSON.stringify({ type: "unsubscribed", channel: request.channel, id: request.id });

export const publishedFrame = (request: ChannelRequest, seq: number): string =>
  JSON.stringify({ type: "published", channel: request.channel, id: request.id, seq });

export const presenceFrame = (request: ChannelRequest, members: readonly Member[]): string =>
  JSON.stringify({ type: "presence", channel: request.channel, id: request.id, members: members.map(({ userId, username }) => ({ userId, username })) });

export const memberFrame = (type: "join" | "leave", channel: string, member: Member): string =>
  JSON.stringify({ type, channel, member: { userId: member.userId, username: member.username } });
