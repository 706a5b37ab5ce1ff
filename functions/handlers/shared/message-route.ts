/**
 * The wrapper of every function that answers frames: it turns any outcome into a reply. No input
 * makes a handler throw: errors become an error frame to the sender.
 */
import { errorFrame, RequestError } from "../../core/errors.js";
import type { WebSocketEvent } from "./events.js";
import { describe, logger, withLambdaContext } from "./logger.js";
import { notifier, store } from "./messaging.js";

/** What a route does with a frame; a returned string is sent back to the sender. */
export type RouteAction = (event: WebSocketEvent) => Promise<string | void>;

export function messageRoute(action: RouteAction) {
  return withLambdaContext(async (event: WebSocketEvent) => {
    const { connectionId, routeKey } = event.requestContext;
    logger.appendKeys({ connectionId, routeKey });
    let reply: string | void;
    try {
      reply = await action(event);
    } catch (error) {
      if (error instanceof RequestError) logger.warn("bad request", { code: error.code, reason: error.message });
      else logger.error("route failed", { error: describe(error) });
      reply = errorFrame(error);
    }
    if (reply !== undefined) await replyTo(connectionId, reply);
    return { statusCode: 200 };
  });
}

async function replyTo(connectionId: string, data: string): Promise<void> {
  try {
    if ((await notifier.send(connectionId, data)) === "gone") await store.removeStale(connectionId);
  } catch (error) {
    logger.error("reply failed", { error: describe(error) });
  }
}
