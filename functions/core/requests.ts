/** Parsing of client frames for the seeds' routes (README, "Message protocol"). */
import { RequestError } from "./errors.js";

/** PostToConnection accepts at most 128 KiB of data. */
export const maxFrameDataBytes = 128 * 1024;

export interface SendMessageRequest {
  /** The frame every connection receives, already encoded. */
  readonly data: string;
}

export interface SendToUserRequest extends SendMessageRequest {
  readonly userId: string;
}

export function parseSendMessage(body: string | undefined): SendMessageRequest {
  const request = parseFrameObject(body);
  return { data: encodeData(request) };
}

export function parseSendToUser(body: string | undefined): SendToUserRequest {
  const request = parseFrameObject(body);
  const userId = request.userId;
  if (typeof userId !== "string" || userId.length === 0 || userId.length > 256) {
    throw new RequestError("BadRequest", '"userId" must be a non-empty string (the Cognito sub of the recipient)');
  }
  return { userId, data: encodeData(request) };
}

/**
 * `data` as the recipients see it: a string as-is, anything else as JSON. What would read as a
 * server frame (a JSON object with a `type`) is refused: recipients must be able to trust that a
 * `message` or `join` frame comes from the server, with its true `from`.
 */
function encodeData(request: Record<string, unknown>): string {
  if (!("data" in request) || request.data === undefined) {
    throw new RequestError("BadRequest", '"data" is required');
  }
  const data = typeof request.data === "string" ? request.data : JSON.stringify(request.data);
  if (looksLikeServerFrame(data)) {
    throw new RequestError("BadRequest", '"data" must not be a JSON object with a "type": that is how server frames look');
  }
  if (Buffer.byteLength(data) > maxFrameDataBytes) {
    throw new RequestError("PayloadTooLarge", `"data" must encode to at most ${maxFrameDataBytes} bytes`);
  }
  return data;
}

/** The frame as a JSON object, or BadRequest. */
export function parseFrameObject(body: string | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body ?? "");
  } catch {
    throw new RequestError("BadRequest", "The frame must be a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RequestError("BadRequest", "The frame must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function looksLikeServerFrame(data: string): boolean {
  if (!/^\s*\{/.test(data)) return false;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === "object" && value !== null && Object.hasOwn(value, "type");
  } catch {
    return false;
  }
}
