/** Property: no frame body makes a message handler throw; every malformed one gets an error frame. */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseSendMessage, parseSendToUser } from "../../../functions/core/requests.js";
import { messageEvent } from "../../support/events.js";
import type { ManagementStub } from "../../support/management-stub.js";
import { loadMessagingHandlers, type MessagingFixture } from "../../support/messaging-handlers.js";

const routes = ["default", "sendmessage", "sendtouser", "whoami"] as const;
let fixture: MessagingFixture<(typeof routes)[number]>;
let management: ManagementStub;
let handlers: MessagingFixture<(typeof routes)[number]>["handlers"];
const identity = { userId: "u-1", username: "alice", tokenExpiresAt: "4102444800" };

beforeAll(async () => {
  fixture = await loadMessagingHandlers(routes, { POWERTOOLS_LOG_LEVEL: "CRITICAL", USER_MESSAGE_RATE: "0" });
  ({ management, handlers } = fixture);
});
afterAll(() => fixture?.close());

const frameBodies = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.json(),
  fc.record(
    { action: fc.constantFrom("sendmessage", "sendtouser", "whoami", "$default", ""), data: fc.jsonValue(), userId: fc.jsonValue() },
    { requiredKeys: [] },
  ).map((frame) => JSON.stringify(frame)),
  fc.constant(undefined),
);

it("no frame body makes a handler throw, and the sender always hears back on malformed input", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), frameBodies, async (route, body) => {
      const connectionId = `prop-${run++}`;
      const event = messageEvent(connectionId, route, body ?? "", identity);
      const result = await handlers[route](body === undefined ? { ...event, body: undefined } : event);
      expect(result).toEqual({ statusCode: 200 });
      // The table is empty, so a valid broadcast reaches no one: whatever the sender receives is a reply.
      const frames = management.received.get(connectionId) ?? [];
      if (route === "default") expect(frames).toEqual([body ?? ""]);
      else if (route === "whoami") expect(frames.map((frame) => JSON.parse(frame))).toEqual([{ connectionId, userId: "u-1", username: "alice" }]);
      else {
        // Malformed: exactly one error frame, to the sender. Well-formed: nothing (no one to reach).
        const malformed = (() => {
          try {
            (route === "sendmessage" ? parseSendMessage : parseSendToUser)(body);
            return false;
          } catch {
            return true;
          }
        })();
        expect(frames.map((frame) => JSON.parse(frame))).toEqual(
          malformed ? [{ error: { code: expect.stringMatching(/^(BadRequest|PayloadTooLarge)$/), message: expect.any(String) } }] : [],
        );
      }
    }),
    { numRuns: 300 },
  );
});
