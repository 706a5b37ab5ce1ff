import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errorFrame, RequestError } from "../../../functions/core/errors.js";
import { maxFrameDataBytes, parseSendMessage, parseSendToUser } from "../../../functions/core/requests.js";

describe("parseSendMessage", () => {
  it("keeps a string as-is and encodes anything else as JSON", () => {
    expect(parseSendMessage('{"action":"sendmessage","data":"hello"}')).toEqual({ data: "hello" });
    expect(parseSendMessage('{"data":{"a":[1,true,null]}}')).toEqual({ data: '{"a":[1,true,null]}' });
    expect(parseSendMessage('{"data":null}')).toEqual({ data: "null" });
    expect(parseSendMessage('{"data":""}')).toEqual({ data: "" });
  });

  it.each([undefined, "", "not json", "[]", "null", "42", '"data"', "{}", '{"datum":1}'])("refuses %j with BadRequest", (body) => {
    expect(() => parseSendMessage(body)).toThrow(RequestError);
  });

  it("refuses data larger than PostToConnection accepts", () => {
    const ok = "x".repeat(maxFrameDataBytes);
    expect(parseSendMessage(JSON.stringify({ data: ok })).data).toHaveLength(maxFrameDataBytes);
    expect(() => parseSendMessage(JSON.stringify({ data: `${ok}x` }))).toThrow(expect.objectContaining({ code: "PayloadTooLarge" }));
  });
});

describe("data that would pass for a server frame", () => {
  const spoof = { type: "message", channel: "public/lobby", seq: 99, data: "hi", from: { userId: "someone-else", username: "admin" } };

  it.each([
    ["as an object", { data: spoof }],
    ["as JSON text", { data: JSON.stringify(spoof) }],
    ["as JSON text with leading space", { data: ` ${JSON.stringify({ type: "join" })}` }],
  ])("is refused by sendmessage and sendtouser %s", (_, frame) => {
    expect(() => parseSendMessage(JSON.stringify(frame))).toThrow(expect.objectContaining({ code: "BadRequest", message: expect.stringMatching(/"type"/) }));
    expect(() => parseSendToUser(JSON.stringify({ ...frame, userId: "u1" }))).toThrow(expect.objectContaining({ code: "BadRequest" }));
  });

  it("leaves every other data alone: text, objects without a type, arrays, broken JSON", () => {
    for (const data of ["hello world", '{"kind":"message"}', '[{"type":"x"}]', "{type: not json", { types: 1 }]) {
      expect(() => parseSendMessage(JSON.stringify({ data })), JSON.stringify(data)).not.toThrow();
    }
  });
});

describe("parseSendToUser", () => {
  it("needs a userId string", () => {
    expect(parseSendToUser('{"userId":"u1","data":"x"}')).toEqual({ userId: "u1", data: "x" });
    expect(() => parseSendToUser('{"userId":"","data":"x"}')).toThrow(/"userId"/);
    expect(() => parseSendToUser('{"userId":["u1"],"data":"x"}')).toThrow(/"userId"/);
  });
});

describe("any frame body", () => {
  it("parses or fails with a RequestError, never anything else", () => {
    const bodies = fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((value) => JSON.stringify({ action: "x", data: value, userId: value })));
    fc.assert(
      fc.property(bodies, (body) => {
        for (const parse of [parseSendMessage, parseSendToUser]) {
          try {
            parse(body);
          } catch (error) {
            expect(error).toBeInstanceOf(RequestError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("errorFrame", () => {
  it("shows a RequestError's code and message", () => {
    expect(JSON.parse(errorFrame(new RequestError("BadRequest", '"data" is required')))).toEqual({ error: { code: "BadRequest", message: '"data" is required' } });
  });
  it("hides everything about other errors", () => {
    const frame = errorFrame(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(frame).not.toContain("secret");
    expect(JSON.parse(frame).error.code).toBe("InternalError");
  });
});
