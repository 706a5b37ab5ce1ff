/**
 * Per-user rate limit: a window counter with the token bucket's rate and burst. Each window lasts
 * `burst / rate` seconds and admits `burst` frames, so a user averages `rate` frames per second
 * and may send `burst` at once; across a window's edge, up to twice `burst` can pass in a moment.
 * It needs exactly one conditional write per frame (a token bucket needs a read as well).
 */
import { RequestError } from "./errors.js";

export interface RateLimit {
  /** Frames per second a user may average; 0 turns the limit off. */
  readonly rate: number;
  /** Frames a user may send at once. */
  readonly burst: number;
}

export interface RateWindow {
  /** Names the window: the same for every frame of it, for every connection of the user. */
  readonly index: number;
  /** When it ends, epoch milliseconds. */
  readonly endsAt: number;
}

export function windowAt(nowMs: number, { rate, burst }: RateLimit): RateWindow {
  const lengthMs = (burst / rate) * 1000;
  const index = Math.floor(nowMs / lengthMs);
  return { index, endsAt: Math.ceil((index + 1) * lengthMs) };
}

/** Counts one frame in a user's window; false when the window already holds `burst` frames. */
export type TakeFrame = (userId: string, window: RateWindow, burst: number) => Promise<boolean>;

/** Throws `TooManyRequests` (with the wait) when the user's frame is over the limit. */
export async function checkRate(userId: string, limit: RateLimit, take: TakeFrame, nowMs: number): Promise<void> {
  if (limit.rate === 0) return;
  const window = windowAt(nowMs, limit);
  if (await take(userId, window, limit.burst)) return;
  throw new RequestError("TooManyRequests", `More than ${limit.burst} frames in ${limit.burst / limit.rate} s; wait before sending more`, {
    retryAfterMs: Math.max(1, window.endsAt - nowMs),
  });
}
