/**
 * The frames the page sends (README "Message protocol"; routes on `action`) and how it tells apart
 * what arrives. Pure: no DOM, no socket. The channel frames themselves are built in channels.ts.
 */

/** API Gateway's frame limit: a larger frame closes the connection with 1009. Browsers send one frame per message. */
export const maxFrameBytes = 32 * 1024;

export type Outgoing =
  | { readonly kind: "echo"; readonly text: string }
  | { readonly kind: "broadcast"; readonly text: string }
  | { readonly kind: "sendtouser"; readonly userId: string; readonly text: string }
  | { readonly kind: "whoami" };

export class FrameError extends Error {
  override readonly name = "FrameError";
}

/** The frame for a request; throws FrameError for what the server would refuse anyway. */
export function frameFor(request: Outgoing): string {
  const frame = ((): string => {
    switch (request.kind) {
      // No route matches "echo": $default sends the frame back unchanged.
      case "echo":
        return JSON.stringify({ action: "echo", data: request.text });
      case "broadcast":
        return JSON.stringify({ action: "sendmessage", data: request.text });
      case "sendtouser": {
        const userId = request.userId.trim();
        if (userId === "") throw new FrameError("Enter the user id (sub) to send to.");
        return JSON.stringify({ action: "sendtouser", userId, data: request.text });
      }
      case "whoami":
        return JSON.stringify({ action: "whoami" });
    }
  })();
  return checkFrameSize(frame);
}

/** The frame itself; throws FrameError when API Gateway would close the connection for its size. */
export function checkFrameSize(frame: string): string {
  const bytes = new TextEncoder().encode(frame).length;
  if (bytes > maxFrameBytes) throw new FrameError(`That message is ${bytes} bytes; one frame may carry at most ${maxFrameBytes}.`);
  return frame;
}

export interface Member {
  readonly userId: string;
  readonly username: string;
}

/** What the server sends about channels: JSON objects with a `type` (user data travels inside `data`). */
export type ChannelFrame =
  | { readonly type: "subscribed"; readonly channel: string; readonly id?: string; readonly seq: number; readonly resumed?: boolean }
  | { readonly type: "unsubscribed"; readonly channel: string; readonly id?: string }
  | { readonly type: "published"; readonly channel: string; readonly id?: string; readonly seq: number }
  | { readonly type: "message"; readonly channel: string; readonly seq: number; readonly data: unknown; readonly from?: Member; readonly sentAt: string }
  | { readonly type: "join" | "leave"; readonly channel: string; readonly member: Member }
  | { readonly type: "presence"; readonly channel: string; readonly id?: string; readonly members: readonly Member[] };

export type Incoming =
  | { readonly kind: "identity"; readonly connectionId: string; readonly userId: string; readonly username: string }
  | { readonly kind: "error"; readonly code: string; readonly message: string; readonly id?: string; readonly channel?: string }
  | { readonly kind: "channel"; readonly frame: ChannelFrame }
  /** The server closes this connection at `closeAt` (API Gateway's connection time limit). */
  | { readonly kind: "reconnect"; readonly reason: string; readonly closeAt: string }
  | { readonly kind: "echo"; readonly text: string }
  | { readonly kind: "text"; readonly text: string };

/**
 * What a received frame is, as far as the page can tell (broadcasts arrive as bare data). An object
 * with a `type` that is not a well-formed server frame is data like any other.
 */
export function classify(data: string): Incoming {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: "text", text: data };
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const fields = value as Record<string, unknown>;
    const error = fields.error as Record<string, unknown> | undefined;
    if (typeof error === "object" && error !== null && typeof error.code === "string") {
      const { id, channel } = fields;
      return {
        kind: "error",
        code: error.code,
        message: typeof error.message === "string" ? error.message : "",
        ...(typeof id === "string" ? { id } : {}),
        ...(typeof channel === "string" ? { channel } : {}),
      };
    }
    if (fields.type === "reconnect" && typeof fields.reason === "string" && typeof fields.closeAt === "string") {
      return { kind: "reconnect", reason: fields.reason, closeAt: fields.closeAt };
    }
    const frame = channelFrame(fields);
    if (frame) return { kind: "channel", frame };
    if (typeof fields.connectionId === "string" && typeof fields.userId === "string") {
      return { kind: "identity", connectionId: fields.connectionId, userId: fields.userId, username: typeof fields.username === "string" ? fields.username : "" };
    }
    if (fields.action === "echo" && typeof fields.data === "string" && Object.keys(fields).length === 2) {
      return { kind: "echo", text: fields.data };
    }
  }
  return { kind: "text", text: data };
}

const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function member(value: unknown): Member | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { userId, username } = value as Record<string, unknown>;
  if (typeof userId !== "string" || userId === "") return undefined;
  return { userId, username: typeof username === "string" ? username : "" };
}

function channelFrame(fields: Record<string, unknown>): ChannelFrame | undefined {
  const { type, channel, id, seq } = fields;
  if (typeof channel !== "string" || (id !== undefined && typeof id !== "string")) return undefined;
  const reply = { channel, ...(id === undefined ? {} : { id }) };
  switch (type) {
    case "subscribed":
      if (!isSeq(seq)) return undefined;
      return { type, ...reply, seq, ...(typeof fields.resumed === "boolean" ? { resumed: fields.resumed } : {}) };
    case "unsubscribed":
      return { type, ...reply };
    case "published":
      return isSeq(seq) ? { type, ...reply, seq } : undefined;
    case "message": {
      const from = fields.from === undefined ? undefined : member(fields.from);
      if (!isSeq(seq) || seq === 0 || !("data" in fields) || typeof fields.sentAt !== "string" || (fields.from !== undefined && !from)) return undefined;
      return { type, channel, seq, data: fields.data, sentAt: fields.sentAt, ...(from ? { from } : {}) };
    }
    case "join":
    case "leave": {
      const who = member(fields.member);
      return who ? { type, channel, member: who } : undefined;
    }
    case "presence": {
      if (!Array.isArray(fields.members)) return undefined;
      const members = fields.members.map(member);
      return members.every((entry) => entry !== undefined) ? { type, ...reply, members: members as Member[] } : undefined;
    }
    default:
      return undefined;
  }
}
