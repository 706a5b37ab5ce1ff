import { Logger } from "@aws-lambda-powertools/logger";

/** One logger per function; its service name comes from POWERTOOLS_SERVICE_NAME. Never log a token. */
export const logger = new Logger();

/** Name and message only: error objects can carry request data (never log a token). */
export function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: "NonError", message: String(error) };
}
