/**
 * The wrapper of every function that answers frames: it turns any outcome into a reply. No input
 * makes a handler throw: errors become an error frame to the sender.
 */
import { echoOf } from "../../core/channel-frames.js";
import { errorFrame, RequestError, type Echo } from "../../core/errors.js";
import type { WebSocketEvent } from "./events.js";
import { describe, logger, withLambdaContext } from "./logger.js";
import { fanOutDependencies, notifier, rateLimiter } from "./messaging.js";

/**
 * What a route does with a frame once it is admitted: `reply` sends frames to the sender at once
 * (before a fan-out, say), in the order given; `read` is what the route's `read` option read; a
 * returned string is sent back to the sender last.
 */
export type RouteAction<Read> = (event: WebSocketEvent, reply: (...frames: string[]) => Promise<void>, read: Read) => Promise<string | void>;

export interface RouteOptions<Read> {
  /** Error frames echo the request's `id` and channel (the channel routes' protocol). */
  readonly echo?: boolean;
  /**
   * The frame's first reads, started while the frame is counted against its user's rate, so that
   * the frame waits for the two together rather than one after the other. Reads only: nothing may
   * be posted or stored before the frame is admitted, and a refused frame's reads are dropped.
   */
  readonly read?: (event: WebSocketEvent) => Promise<Read>;
}

export function messageRoute<Read = undefined>(action: RouteAction<Read>, { echo = false, read }: RouteOptions<Read> = {}) {
  return withLambdaContext(async (event: WebSocketEvent) => {
    const { connectionId, routeKey } = event.requestContext;
    logger.appendKeys({ connectionId, routeKey });
    const reply = (...frames: string[]) => replyTo(connectionId, frames);
    let last: string | void;
    try {
      // Before anything else, fan-outs included: a frame over the user's rate is dropped here (at
      // once, before any read, when this instance already knows the user's window is full).
      const admission = rateLimiter.admit(String(event.requestContext.authorizer?.userId ?? connectionId));
      // Started from a settled promise, so that even a read that throws at once leaves the admission awaited.
      const reading = read ? Promise.resolve(event).then(read) : Promise.resolve(undefined as Read);
      // Awaited below, or abandoned with a refused frame.
      reading.catch(() => undefined);
      await admission;
      last = await action(event, reply, await reading);
    } catch (error) {
      // Refusals over the rate are logged once per full window (messaging.ts), not once per frame.
      if (error instanceof RequestError) logger[error.code === "TooManyRequests" ? "debug" : "warn"]("bad request", { code: error.code, reason: error.reason ?? error.message });
      else logger.error("route failed", { error: describe(error) });
      last = errorFrame(error, echo || (error instanceof RequestError && error.code === "TooManyRequests") ? echoOf(event.body) : ({} satisfies Echo));
    }
    if (last !== undefined) await reply(last);
    return { statusCode: 200 };
  });
}

async function replyTo(connectionId: string, frames: readonly string[]): Promise<void> {
  try {
    if ((await notifier.sendInOrder(connectionId, frames, { retryThrottling: true })) === "gone") await fanOutDependencies.forget([connectionId]);
  } catch (error) {
    logger.error("reply failed", { error: describe(error) });
  }
}
