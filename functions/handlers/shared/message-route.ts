/**
 * The wrapper of every function that answers frames: it turns any outcome into a reply. No input
 * makes a handler throw: errors become an error frame to the sender.
 */
import { echoOf } from "../../core/channel-frames.js";
import { checkRate } from "../../core/rate-limit.js";
import { errorFrame, RequestError, type Echo } from "../../core/errors.js";
import type { WebSocketEvent } from "./events.js";
import { describe, logger, withLambdaContext } from "./logger.js";
import { fanOutDependencies, notifier, settings, takeFrame } from "./messaging.js";

const rateLimit = { rate: settings.userMessageRate, burst: settings.userMessageBurst };

/**
 * What a route does with a frame: `reply` sends a frame to the sender at once (before a fan-out,
 * say); a returned string is sent back to the sender last.
 */
export type RouteAction = (event: WebSocketEvent, reply: (frame: string) => Promise<void>) => Promise<string | void>;

export interface RouteOptions {
  /** Error frames echo the request's `id` and channel (the channel routes' protocol). */
  readonly echo?: boolean;
}

export function messageRoute(action: RouteAction, { echo = false }: RouteOptions = {}) {
  return withLambdaContext(async (event: WebSocketEvent) => {
    const { connectionId, routeKey } = event.requestContext;
    logger.appendKeys({ connectionId, routeKey });
    const reply = (frame: string) => replyTo(connectionId, frame);
    let last: string | void;
    try {
      // Before anything else, fan-outs included: a frame over the user's rate is dropped here.
      await checkRate(String(event.requestContext.authorizer?.userId ?? connectionId), rateLimit, takeFrame, Date.now());
      last = await action(event, reply);
    } catch (error) {
      if (error instanceof RequestError) logger.warn("bad request", { code: error.code, reason: error.reason ?? error.message });
      else logger.error("route failed", { error: describe(error) });
      last = errorFrame(error, echo || (error instanceof RequestError && error.code === "TooManyRequests") ? echoOf(event.body) : ({} satisfies Echo));
    }
    if (last !== undefined) await reply(last);
    return { statusCode: 200 };
  });
}

async function replyTo(connectionId: string, data: string): Promise<void> {
  try {
    const delivery = await notifier.send(connectionId, data);
    if (delivery === "gone") await fanOutDependencies.forget([connectionId]);
    if (delivery === "throttled") logger.warn("reply throttled");
  } catch (error) {
    logger.error("reply failed", { error: describe(error) });
  }
}
