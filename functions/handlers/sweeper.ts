/**
 * Scheduled: close every connection whose token has expired. API Gateway checks tokens only at
 * `$connect`; without this a socket would outlive its token by up to the 2 h connection limit.
 * Closing runs `$disconnect`, which removes the record; a connection already gone loses its record here.
 */
import { closeAll } from "../core/fan-out.js";
import { logger, withLambdaContext } from "./shared/logger.js";
import { fanOutDependencies, store } from "./shared/messaging.js";

export const handler = withLambdaContext(async (): Promise<void> => {
  const now = Math.floor(Date.now() / 1000);
  const { recipients, delivered, ...rest } = await closeAll(store.expiredConnectionIds(now), fanOutDependencies);
  logger.info("expired connections closed", { expired: recipients, closed: delivered, ...rest });
});
