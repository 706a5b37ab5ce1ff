/**
 * Scheduled: close every connection whose token (or record) has expired, and tell the ones near
 * API Gateway's connection limit to reconnect. API Gateway checks tokens only at `$connect`;
 * without this a socket would outlive its token by up to the 2 h connection limit. Closing runs
 * `$disconnect`, which removes the record; a connection already gone loses its record here.
 */
import { closeAll } from "../core/fan-out.js";
import { announceHandovers } from "../core/handover.js";
import { logger, withLambdaContext } from "./shared/logger.js";
import { fanOutDependencies, settings, store } from "./shared/messaging.js";

export const handler = withLambdaContext(async (): Promise<void> => {
  const now = Date.now();
  const { recipients, delivered, ...rest } = await closeAll(store.expiredConnectionIds(Math.floor(now / 1000)), fanOutDependencies);
  logger.info("expired connections closed", { expired: recipients, closed: delivered, ...rest });
  const handovers = await announceHandovers(now, settings.connectionLimitMs, { ...fanOutDependencies, store });
  if (handovers.told + handovers.gone + handovers.failed > 0) logger.info("told to reconnect", { ...handovers });
});
