/**
 * The frames the page sends (README "Message protocol"; routes on `action`) and how it shows what
 * arrives. Pure: no DOM, no socket.
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
  const bytes = new TextEncoder().encode(frame).length;
  if (bytes > maxFrameBytes) throw new FrameError(`That message is ${bytes} bytes; one frame may carry at most ${maxFrameBytes}.`);
  return frame;
}

export type Incoming =
  | { readonly kind: "identity"; readonly connectionId: string; readonly userId: string; readonly username: string }
  | { readonly kind: "error"; readonly code: string; readonly message: string }
  | { readonly kind: "echo"; readonly text: string }
  | { readonly kind: "text"; readonly text: string };

/** What a received frame is, as far as the page can tell (broadcasts arrive as bare data). */
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
      return { kind: "error", code: error.code, message: typeof error.message === "string" ? error.message : "" };
    }
    if (typeof fields.connectionId === "string" && typeof fields.userId === "string") {
      return { kind: "identity", connectionId: fields.connectionId, userId: fields.userId, username: typeof fields.username === "string" ? fields.username : "" };
    }
    if (fields.action === "echo" && typeof fields.data === "string" && Object.keys(fields).length === 2) {
      return { kind: "echo", text: fields.data };
    }
  }
  return { kind: "text", text: data };
}
