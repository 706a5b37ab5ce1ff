import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";

/** One logger per function, built once; its service name comes from POWERTOOLS_SERVICE_NAME. Never log a token. */
export const logger = new Logger();

/**
 * Every line of an invocation carries its request id and cold start; keys appended during one
 * invocation (its connection id) end with it.
 */
export function withLambdaContext<E, R>(handler: (event: E) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await handler(event);
    } finally {
      logger.resetKeys();
    }
  };
}

/** Name and message only: error objects can carry request data (never log a token). */
export function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: "NonError", message: String(error) };
}
