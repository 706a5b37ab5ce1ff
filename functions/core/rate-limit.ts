/**
 * Per-user rate limit: a window counter with the token bucket's rate and burst. Each window lasts
 * `burst / rate` seconds and admits `burst` frames, so a user averages `rate` frames per second
 * and may send `burst` at once; across a window's edge, up to twice `burst` can pass in a moment.
 *
 * The count lives in DynamoDB, one item per user and window, so that every connection and every
 * function instance counts against the same window. An instance takes frames from it in leases:
 * one `UpdateItem` adds a lease's worth to the count, and the lease admits that many of the
 * user's frames on this instance without another request. A user's first lease in a window is
 * one frame; each next one doubles while the user keeps sending, up to a quarter of what the
 * window had left, so leases shrink to single frames as the window fills. A window never admits
 * more than `burst` frames in all; a lease left unused when its window ends is lost, so a user
 * whose frames land on several instances may be refused slightly before `burst`. A count only
 * grows, so an instance that has seen a user's window full refuses the user's further frames in
 * it by itself, without a request.
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

/** Adds `frames` to a user's window; resolves to the window's count with them. */
export type CountFrames = (userId: string, window: RateWindow, frames: number) => Promise<number>;

export interface RateLimiter {
  /**
   * Counts one frame of the user. Throws `TooManyRequests` at once, before any request, when this
   * instance has already seen the user's window full; otherwise returns the admission under way,
   * which resolves when the frame is admitted and rejects with `TooManyRequests` when it is not.
   */
  admit(userId: string): Promise<void>;
}

export interface RateLimiterOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** Told once per user and window on this instance, when it learns that the window is full. */
  readonly onFull?: (userId: string, window: RateWindow) => void;
}

/** This instance's share of a user's window. */
interface Lease {
  /** Frames taken from the window and not yet used. */
  held: number;
  /** The last lease's size; 0 before the first. */
  size: number;
  /** What the window had left when its count last answered. */
  left: number;
}

export function createRateLimiter(limit: RateLimit, count: CountFrames, { now = () => Date.now(), onFull }: RateLimiterOptions = {}): RateLimiter {
  if (limit.rate === 0) return { admit: () => Promise.resolve() };
  // Only the current window's leases and full users are kept.
  let current = { index: Number.NaN, leases: new Map<string, Lease>(), full: new Set<string>() };
  const tooMany = (window: RateWindow, nowMs: number) =>
    new RequestError("TooManyRequests", `More than ${limit.burst} frames in ${limit.burst / limit.rate} s; wait before sending more`, {
      retryAfterMs: Math.max(1, window.endsAt - nowMs),
    });
  return {
    admit(userId) {
      const nowMs = now();
      const window = windowAt(nowMs, limit);
      if (current.index !== window.index) current = { index: window.index, leases: new Map(), full: new Set() };
      const { leases, full } = current;
      let lease = leases.get(userId);
      if (lease === undefined) leases.set(userId, (lease = { held: 0, size: 0, left: limit.burst }));
      if (lease.held > 0) {
        lease.held -= 1;
        return Promise.resolve();
      }
      if (full.has(userId)) throw tooMany(window, nowMs);
      const size = lease.size === 0 ? 1 : Math.min(2 * lease.size, Math.max(1, Math.floor(lease.left / 4)));
      lease.size = size;
      return count(userId, window, size).then((total) => {
        // DynamoDB applies the leases one after another: this one's frames are those still under the burst.
        const granted = Math.max(0, Math.min(size, limit.burst - (total - size)));
        // Kept only while the window lasts; the frame itself takes one.
        lease.held += Math.max(0, granted - 1);
        lease.left = Math.min(lease.left, Math.max(0, limit.burst - total));
        if (total >= limit.burst && current.index === window.index && !current.full.has(userId)) {
          current.full.add(userId);
          onFull?.(userId, window);
        }
        if (granted === 0) throw tooMany(window, now());
      });
    },
  };
}
