/** The connection-limit handover on the local stack, with the 2-hour limit shortened to 12 s. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame, framesOf, messagesOf, request } from "../support/channel-frames.js";
import { signUp, startTestStack, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { TestClient } from "../support/ws-client.js";

describe("handover before the connection limit", () => {
  const limitMs = 12_000;
  let stack: TestStack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  beforeAll(async () => {
    stack = await startTestStack({ limits: { maxConnectionMs: limitMs }, expirySweepIntervalMs: 200 });
    [alice, bob] = [await signUp(stack.outputs, "alice@handover.example.com"), await signUp(stack.outputs, "bob@handover.example.com")];
  });
  afterAll(() => stack?.destroy());

  it("tells the client when its connection will close; a client that follows it loses no channel message and gets none twice", async () => {
    const url = (user: SignedInUser) => `${stack.outputs.webSocketUrl}?idToken=${encodeURIComponent(user.idToken)}`;
    const channel = "public/handover";
    const openingAt = Date.now();
    const old = await TestClient.open(url(alice));
    await request(old, { action: "subscribe", channel, id: "s1" });
    // Opened a second later, the publisher's own connection outlives the handover by that much.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const publisher = await TestClient.open(url(bob));

    // Bob publishes throughout, across the handover, ten a second (within his rate).
    let published = 0;
    let publishing = true;
    const publishes = (async () => {
      for (let i = 1; publishing; i++) {
        const ack = await request(publisher, { action: "publish", channel, data: i, id: `p${i}` });
        expect(ack).toMatchObject({ type: "published", seq: i });
        published = ack.seq;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const notice = await frame(old, (f) => f.type === "reconnect");
    expect(notice).toEqual({ type: "reconnect", reason: "connection-limit", closeAt: expect.any(String) });
    const closeAt = Date.parse(notice.closeAt);
    // The limit runs from the handshake's start (requestContext.connectedAt).
    expect(closeAt - openingAt).toBeGreaterThanOrEqual(limitMs - 50);
    expect(closeAt - openingAt).toBeLessThan(limitMs + 5000);
    expect(Date.now()).toBeLessThan(closeAt);

    // What the web client does: a new connection, resubscribed after the last seq seen, then the old one closed.
    const seen = () => messagesOf(old, channel).map((f) => f.seq as number);
    const last = Math.max(0, ...seen());
    const fresh = await TestClient.open(url(alice));
    const resumed = await request(fresh, { action: "subscribe", channel, since: last, id: "s2" });
    expect(resumed).toMatchObject({ type: "subscribed", resumed: true });
    old.socket.close();
    await old.closed;
    await new Promise((resolve) => setTimeout(resolve, 500));
    publishing = false;
    await publishes;
    await frame(fresh, () => messagesOf(fresh, channel).some((f) => f.seq === published));

    const received = [...seen(), ...messagesOf(fresh, channel).map((f) => f.seq as number)];
    const shown = [...new Set(received)].sort((a, b) => a - b);
    expect(shown).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    // After the resume, each later message arrives once; one still in flight around the subscribe
    // may come twice (replayed and delivered), which the protocol allows and clients drop.
    const later = messagesOf(fresh, channel).map((f) => f.seq as number).filter((seq) => seq > resumed.seq);
    expect(new Set(later).size).toBe(later.length);
    expect(framesOf(fresh).filter((f) => f.type === "reconnect")).toEqual([]);
    publisher.socket.close();
    fresh.socket.close();
  });
});
