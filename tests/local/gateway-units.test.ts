import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "../../local/gateway/authorizer.js";
import { clfTime, newId } from "../../local/gateway/events.js";
import { compileRouteSelection } from "../../local/gateway/route-selection.js";

describe("route selection expressions", () => {
  it.each([
    ["$request.body.action", '{"action":"sendmessage"}', "sendmessage"],
    ["$request.body.action", '{"action": 42}', "42"],
    ["$request.body.action", '{"action": true}', "true"],
    ["$request.body.action", '{"action": ["a", "b"]}', "[a, b]"],
    ["$request.body.action", '{"data":"x"}', ""],
    ["$request.body.action", '{"action":null}', ""],
    ["$request.body.action", '"just a string"', ""],
    ["$request.body.action", "not json", undefined],
    ["$request.body.action", "", undefined],
    ["$request.body.message.type", '{"message":{"type":"join"}}', "join"],
    ["$request.body.message.type", '{"message":"join"}', ""],
    ["${request.body.service}/${request.body.action}", '{"service":"chat","action":"join"}', "chat/join"],
    ["${request.body.service}/${request.body.action}", '{"service":"chat"}', "chat/"],
    ["${request.body.action}", '{"action":"whoami"}', "whoami"],
  ])("%s selects %j from %s", (expression, body, expected) => {
    // Prepare
    const select = compileRouteSelection(expression);

    // Act
    const selected = select(body);

    // Assess
    expect(selected).toBe(expected);
  });

  it("rejects expressions API Gateway cannot evaluate on a WebSocket message", () => {
    expect(() => compileRouteSelection("$request.header.action")).toThrow(/not supported/);
  });
});

describe("route selection on hostile frames", () => {
  it("survives nesting deep enough to exhaust a recursive stringify (found by the fuzz test)", () => {
    const select = compileRouteSelection("$request.body.action");
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    expect(() => select(`{"action":${deep}}`)).not.toThrow();
    expect(select(`{"action":${deep}}`)).toMatch(/^\[\[.*…/);
  });

  it("reads own properties only, never Object.prototype", () => {
    const select = compileRouteSelection("$request.body.constructor");
    expect(select('{"action":"x"}')).toBe("");
    expect(compileRouteSelection("$request.body.__proto__.x")('{"action":"x"}')).toBe("");
  });
});

describe("authorizer policy evaluation", () => {
  const arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";
  const statement = (Effect: string, Action: unknown, Resource: unknown) => ({ Effect, Action, Resource });

  it.each([
    [[statement("Allow", "execute-api:Invoke", arn)], "allow"],
    [[statement("Allow", "EXECUTE-API:invoke", arn)], "allow"],
    [[statement("Allow", "execute-api:*", "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*/$connect")], "allow"],
    [[statement("Allow", "*", "arn:aws:execute-api:*:*:abcdef1234/pro?/*")], "allow"],
    [[statement("Allow", "execute-api:Invoke", "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$default")], "deny"],
    [[statement("Allow", "execute-api:Invoke", "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect.")], "deny"],
    [[statement("Allow", "execute-api:ManageConnections", arn)], "deny"],
    [[statement("Allow", "*", "*"), statement("Deny", "execute-api:Invoke", arn)], "deny"],
    [[statement("Deny", "*", "arn:other"), statement("Allow", "*", "*")], "allow"],
    [[], "invalid"],
    [[statement("Maybe", "*", "*")], "invalid"],
    [[statement("Allow", 42, "*")], "invalid"],
  ])("%j → %s", (statements, expected) => {
    expect(evaluatePolicy({ Version: "2012-10-17", Statement: statements }, arn)).toBe(expected);
  });

  it("accepts a single statement object instead of a list", () => {
    expect(evaluatePolicy({ Statement: statement("Allow", "execute-api:Invoke", arn) }, arn)).toBe("allow");
    expect(evaluatePolicy(undefined, arn)).toBe("invalid");
  });
});

describe("event values", () => {
  it("formats requestTime in Common Log Format, in UTC", () => {
    expect(clfTime(Date.UTC(2025, 0, 27, 16, 39, 47, 617))).toBe("27/Jan/2025:16:39:47 +0000");
  });

  it("makes 16-character URL-safe ids ending in =, like AWS", () => {
    const ids = Array.from({ length: 200 }, newId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
