/** Client-visible errors: every failure a sender can see maps to one stable code, here. */

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
