/**
 * The core's errors. Client-visible failures map to one stable PascalCase code, here; a rejected
 * token carries jose's `ERR_*` code, which reaches the log only (the client sees 401).
 */

export type ErrorCode = "BadRequest" | "PayloadTooLarge" | "InternalError";

/** A request the sender can fix; its message is safe to show and names the field at fault. */
export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    readonly code: Exclude<ErrorCode, "InternalError">,
    message: string,
  ) {
    super(message);
  }
}

/** The error frame sent back to the sender: `{"error":{"code","message"}}`, never a stack trace. */
export function errorFrame(error: unknown): string {
  const { code, message } =
    error instanceof RequestError
      ? error
      : { code: "InternalError" as const, message: "The request could not be processed; try again later" };
  return JSON.stringify({ error: { code, message } });
}

/** Thrown by a verifier for a token that is not acceptable; `code` is safe to log. */
export class TokenRejected extends Error {
  override readonly name = "TokenRejected";
  constructor(readonly code: string, options?: ErrorOptions) {
    super(`token rejected: ${code}`, options);
  }
}
