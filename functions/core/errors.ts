/**
 * The core's errors. Client-visible failures map to one stable PascalCase code, here; a rejected
 * token carries jose's `ERR_*` code, which reaches the log only (the client sees 401).
 */

export type ErrorCode =
  | "BadRequest"
  | "Forbidden"
  | "Unauthorized"
  | "TooManyRequests"
  | "LimitExceeded"
  | "PayloadTooLarge"
  | "InternalError";

/** What a reply echoes of the request: its `id`, and the channel it was about. */
export interface Echo {
  readonly id?: string;
  readonly channel?: string;
}

/** A request the sender can fix or may not make; its message is safe to show and names the field at fault. */
export class RequestError extends Error {
  override readonly name = "RequestError";
  /** With `TooManyRequests`: how long to wait before sending again. */
  readonly retryAfterMs?: number;
  constructor(
    readonly code: Exclude<ErrorCode, "InternalError">,
    message: string,
    details: { readonly retryAfterMs?: number } = {},
  ) {
    super(message);
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * The error frame sent back to the sender: `{"error":{"code","message"}}` plus the request's `id`
 * and channel when it had them; never a stack trace.
 */
export function errorFrame(error: unknown, echo: Echo = {}): string {
  const { code, message, retryAfterMs } =
    error instanceof RequestError
      ? error
      : { code: "InternalError" as const, message: "The request could not be processed; try again later", retryAfterMs: undefined };
  return JSON.stringify({ error: { code, message, retryAfterMs }, id: echo.id, channel: echo.channel });
}

/** Thrown by a verifier for a token that is not acceptable; `code` is safe to log. */
export class TokenRejected extends Error {
  override readonly name = "TokenRejected";
  constructor(readonly code: string, options?: ErrorOptions) {
    super(`token rejected: ${code}`, options);
  }
}
