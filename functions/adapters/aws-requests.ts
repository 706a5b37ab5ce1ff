/**
 * What the adapters that send AWS requests without a generated client share: the SDK's standard
 * retry rules around each attempt, and the SDK's names for an error answer.
 */
import { getRetryAfterHint, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import type { Provider, SdkError } from "@smithy/types";
import { AwsApiError } from "./errors.js";

/** Sends one request: resolves with its answer, throws an error the retry rules can classify. */
export type Attempt<T> = () => Promise<T>;

/**
 * The SDK's standard retries: throttling and transient errors (5xx, resets, timeouts), at most
 * `maxAttempts` attempts, with its backoff and its retry quota shared by every request made here.
 */
export function standardRetries(maxAttempts: number | Provider<number>): <T>(scope: string, attempt: Attempt<T>) => Promise<T> {
  const retries = new StandardRetryStrategy(typeof maxAttempts === "number" ? async () => maxAttempts : maxAttempts);
  return async (scope, attempt) => {
    let token = await retries.acquireInitialRetryToken(scope);
    for (;;) {
      try {
        const answer = await attempt();
        retries.recordSuccess(token);
        return answer;
      } catch (error) {
        const known = error as SdkError;
        const errorType = isThrottlingError(known) ? "THROTTLING" : isTransientError(known) ? "TRANSIENT" : undefined;
        if (errorType === undefined) throw error;
        try {
          const retryAfterHint = error instanceof AwsApiError ? error.retryAfter : undefined;
          token = await retries.refreshRetryTokenForRetry(token, { errorType, ...(retryAfterHint ? { retryAfterHint } : {}) });
        } catch {
          throw error;
        }
      }
    }
  };
}

/**
 * An error answer, named as the SDK names its exceptions: by its `x-amzn-ErrorType` header or, in
 * the JSON protocols, its body's `__type`; either may carry a namespace (`aws#`) or a suffix (`:http://…`).
 */
export function errorOf(api: string, response: { statusCode: number; headers: Record<string, string | undefined> }, answer: string): AwsApiError {
  const body = jsonObject(answer);
  const typed = response.headers["x-amzn-errortype"] ?? (typeof body?.__type === "string" ? body.__type : undefined);
  const type = typed?.split(":")[0]?.split("#").at(-1);
  const message = body?.message ?? body?.Message;
  const { statusCode } = response;
  return new AwsApiError(type || `HTTP${statusCode}`, statusCode, typeof message === "string" ? message : `${api} answered ${statusCode}`, getRetryAfterHint(response));
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
