/**
 * Per-user rate limit: a window counter with the token bucket's rate and burst. Each window lasts
 * `burst / rate` seconds and admits `burst` frames, so a user averages `rate` frames per second
 * and may send `burst` at once; across a window's edge, up to twice `burst` can pass in a moment.
 * It needs one write per frame (a token bucket needs a read as well), and none once full: a
 * window's count only grows, so an instance that has seen a user's window full refuses the user's
 * further frames in it by itself.
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

/** Counts one frame in a user's window; resolves to the window's count with it (1 for its first frame). */
export type CountFrame = (userId: string, window: RateWindow) => Promise<number>;

export interface RateLimiter {
  /**
   * Counts one frame of the user. Throws `TooManyRequests` at once, before any request, when this
   * instance has already seen the user's window full; otherwise returns the count under way, which
   * resolves when the frame is admitted and rejects with `TooManyRequests` when it is not.
   */
  admit(userId: string): Promise<void>;
}

export interface RateLimiterOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** Told once per user and window on this instance, when it learns that the window is full. */
  readonly onFull?: (userId: string, window: RateWindow) => void;
}

export function createRateLimiter(limit: RateLimit, count: CountFrame, { now = () => Date.now(), onFull }: RateLimiterOptions = {}): RateLimiter {
  if (limit.rate === 0) return { admit: () => Promise.resolve() };
  // The users whose current window is full; only one window's worth is ever kept.
  let full = { index: Number.NaN, users: new Set<string>() };
  const tooMany = (window: RateWindow, nowMs: number) =>
    new RequestError("TooManyRequests", `More than ${limit.burst} frames in ${limit.burst / limit.rate} s; wait before sending more`, {
      retryAfterMs: Math.max(1, window.endsAt - nowMs),
    });
  return {
    admit(userId) {
      const nowMs = now();
      const window = windowAt(nowMs, limit);
      if (full.index !== window.index) full = { index: window.index, users: new Set() };
      if (full.users.has(userId)) throw tooMany(window, nowMs);
      return count(userId, window).then((frames) => {
        if (frames >= limit.burst && full.index === window.index && !full.users.has(userId)) {
          full.users.add(userId);
          onFull?.(userId, window);
        }
        if (frames > limit.burst) throw tooMany(window, now());
      });
    },
  };
}
