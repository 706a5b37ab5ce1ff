import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRateLimiter, windowAt, type RateWindow } from "../../../functions/core/rate-limit.js";
import { RequestError } from "../../../functions/core/errors.js";

/** A window counter in memory, as DynamoDB keeps it (`{userId}#{window}`), recording every request and its lease. */
function memoryCounter() {
  const counts = new Map<string, number>();
  const requests: string[] = [];
  const leases: number[] = [];
  let release: Promise<void> | undefined;
  return {
    counts,
    requests,
    leases,
    /** Makes the next requests wait for the promise before they count. */
    holdUntil(promise: Promise<void>) {
      release = promise;
    },
    count: async (userId: string, window: RateWindow, lease: number) => {
      const key = `${userId}#${window.index}`;
      requests.push(key);
      leases.push(lease);
      await release;
      const frames = (counts.get(key) ?? 0) + lease;
      counts.set(key, frames);
      return frames;
    },
  };
}

/** What `admit` did: admitted, or refused with the error; `at once` when it threw before returning a promise. */
async function outcome(admit: () => Promise<void>): Promise<"admitted" | { refused: RequestError; atOnce: boolean }> {
  let pending: Promise<void>;
  try {
    pending = admit();
  } catch (error) {
    return { refused: error as RequestError, atOnce: true };
  }
  try {
    await pending;
    return "admitted";
  } catch (error) {
    return { refused: error as RequestError, atOnce: false };
  }
}

describe("createRateLimiter", () => {
  // Windows of burst / rate = 2 s admitting 4 frames each.
  const limit = { rate: 2, burst: 4 };
  const start = 1_000_000_000_000;

  it("admits burst frames per user and window, then refuses with TooManyRequests and the wait until the window ends", async () => {
    const counter = memoryCounter();
    let now = start + 500;
    const limiter = createRateLimiter(limit, counter.count, { now: () => now });
    for (let i = 0; i < 4; i++) expect(await outcome(() => limiter.admit("alice"))).toBe("admitted");
    now += 300;
    const refused = await outcome(() => limiter.admit("alice"));
    expect(refused).toMatchObject({ refused: { code: "TooManyRequests", retryAfterMs: windowAt(now, limit).endsAt - now } });
    expect((refused as { refused: RequestError }).refused).toBeInstanceOf(RequestError);
    // Another user has a window of their own.
    expect(await outcome(() => limiter.admit("bob"))).toBe("admitted");
  });

  it("refuses a full window's further frames at once, without counting them, until the next window; tells of the full window once", async () => {
    const counter = memoryCounter();
    let now = start;
    const full: [string, RateWindow][] = [];
    const limiter = createRateLimiter(limit, counter.count, { now: () => now, onFull: (userId, window) => full.push([userId, window]) });
    for (let i = 0; i < 4; i++) await limiter.admit("alice");
    expect(counter.requests).toHaveLength(4);

    // The fourth count said the window is full: no request for the next ones.
    now += 1000;
    for (let i = 0; i < 3; i++) {
      expect(await outcome(() => limiter.admit("alice"))).toMatchObject({ refused: { code: "TooManyRequests", retryAfterMs: 1000 }, atOnce: true });
    }
    expect(counter.requests).toHaveLength(4);
    expect(counter.counts.get(`alice#${windowAt(start, limit).index}`)).toBe(4);
    expect(full).toEqual([["alice", windowAt(start, limit)]]);

    // The next window counts again.
    now = windowAt(start, limit).endsAt;
    expect(await outcome(() => limiter.admit("alice"))).toBe("admitted");
    expect(counter.requests).toHaveLength(5);
  });

  it("remembers a window that the count found over the limit (filled by another instance or connection)", async () => {
    const counter = memoryCounter();
    const now = start;
    counter.counts.set(`alice#${windowAt(now, limit).index}`, 4);
    const limiter = createRateLimiter(limit, counter.count, { now: () => now });
    expect(await outcome(() => limiter.admit("alice"))).toMatchObject({ refused: { code: "TooManyRequests" }, atOnce: false });
    expect(await outcome(() => limiter.admit("alice"))).toMatchObject({ refused: { code: "TooManyRequests" }, atOnce: true });
    expect(counter.requests).toHaveLength(1);
  });

  it("does not carry a full window into the next one when the count answers after the window changed", async () => {
    const counter = memoryCounter();
    let now = start;
    const first = windowAt(start, limit);
    counter.counts.set(`alice#${first.index}`, 3);
    const limiter = createRateLimiter(limit, counter.count, { now: () => now });
    let answer!: () => void;
    counter.holdUntil(new Promise((resolve) => (answer = resolve)));
    const fourth = limiter.admit("alice");
    // A frame of the next window is counted while alice's fourth is still on its way.
    now = first.endsAt + 10;
    const bobs = limiter.admit("bob");
    answer();
    await Promise.all([fourth, bobs]);
    // Alice filled the window that has ended: the new one counts from its own item.
    expect(await outcome(() => limiter.admit("alice"))).toBe("admitted");
    expect(counter.requests).toEqual([`alice#${first.index}`, `bob#${first.index + 1}`, `alice#${first.index + 1}`]);
  });

  it("takes a steady user's frames in leases that double, up to a quarter of what the window has left: one request for several frames, never more than burst", async () => {
    const counter = memoryCounter();
    const wide = { rate: 100, burst: 100 };
    const limiter = createRateLimiter(wide, counter.count, { now: () => start });
    for (let i = 0; i < 100; i++) expect(await outcome(() => limiter.admit("alice"))).toBe("admitted");
    expect(counter.leases).toEqual([1, 2, 4, 8, 16, 17, 13, 9, 7, 5, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(counter.counts.get(`alice#${windowAt(start, wide).index}`)).toBe(100);
    // The last lease filled the window: the next frame is refused without a request.
    expect(await outcome(() => limiter.admit("alice"))).toMatchObject({ refused: { code: "TooManyRequests" }, atOnce: true });
    expect(counter.requests).toHaveLength(21);
  });

  it("admits, across instances sharing a window, never more than burst frames, and exactly burst once each has been refused (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        // Each step: the instance a frame lands on, and whether the next frame arrives before this one is answered.
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 150 }),
        async (burst, instances, steps) => {
          const counter = memoryCounter();
          const limiters = Array.from({ length: instances }, () => createRateLimiter({ rate: burst, burst }, counter.count, { now: () => start }));
          let admitted = 0;
          let pending: Promise<unknown>[] = [];
          const frame = (limiter: (typeof limiters)[number]) =>
            outcome(() => limiter.admit("alice")).then((result) => {
              if (result === "admitted") admitted += 1;
              return result;
            });
          for (const [instance, together] of steps) {
            pending.push(frame(limiters[instance % instances]!));
            if (!together) await Promise.all(pending.splice(0));
          }
          await Promise.all(pending);
          expect(admitted).toBeLessThanOrEqual(burst);
          // Each instance sends until refused, which uses up every lease it holds.
          for (const limiter of limiters) while ((await frame(limiter)) === "admitted");
          expect(admitted).toBe(burst);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts nothing and admits everything when the rate is 0", async () => {
    const counter = memoryCounter();
    const limiter = createRateLimiter({ rate: 0, burst: 4 }, counter.count, { now: () => start });
    for (let i = 0; i < 10; i++) expect(await outcome(() => limiter.admit("alice"))).toBe("admitted");
    expect(counter.requests).toEqual([]);
  });
});
