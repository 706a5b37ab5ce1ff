import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  admits,
  defaultChannelRules,
  isChannelName,
  parseChannelRules,
  ruleFor,
  type ChannelRule,
  type Permission,
} from "../../../functions/core/channel-rules.js";
import { readConfig } from "../../../infra/config.js";

const alice = { userId: "alice-sub", groups: [] };
const moderator = { userId: "mod-sub", groups: ["moderators"] };
/** The decision channels.ts makes: the first matching rule, then its principals for the permission. */
const isAllowed = (rules: readonly ChannelRule[], channel: string, caller: { userId: string; groups: readonly string[] }, permission: Permission) => {
  const found = ruleFor(rules, channel, caller.userId);
  return found !== undefined && admits(found, permission, caller.groups);
};
const rule = (channel: string, subscribe: ChannelRule["subscribe"], publish: ChannelRule["publish"] = []): ChannelRule => ({ channel, subscribe, publish });

describe("channel names", () => {
  it.each(["a", "public/lobby", "a/b/c/d/e", "x".repeat(64), "A-Z_0-9/-"])("accepts %j", (name) => expect(isChannelName(name)).toBe(true));
  it.each(["", "/a", "a/", "a//b", "a/b/c/d/e/f", "x".repeat(65), "a b", "ä", "a.b", "*", `${"a".repeat(64)}/${"b".repeat(64)}/${"c".repeat(64)}/${"d".repeat(64)}`, 1, null])(
    "refuses %j",
    (name) => expect(isChannelName(name)).toBe(false),
  );
});

describe("ruleFor and admits", () => {
  it("takes the first rule whose pattern matches, and forbids when none does", () => {
    const rules = [rule("news/*", ["authenticated"], ["group:moderators"]), rule("news/*", ["authenticated"], ["authenticated"])];
    expect(isAllowed(rules, "news/today", moderator, "publish")).toBe(true);
    expect(isAllowed(rules, "news/today", alice, "publish")).toBe(false);
    expect(isAllowed(rules, "news/today", alice, "subscribe")).toBe(true);
    expect(isAllowed(rules, "sport/today", alice, "subscribe")).toBe(false);
    expect(isAllowed([], "news/today", moderator, "subscribe")).toBe(false);
  });

  it("matches * as exactly one segment and ** as one or more, last", () => {
    const star = [rule("rooms/*", ["authenticated"])];
    const globstar = [rule("rooms/**", ["authenticated"])];
    expect(["rooms/1", "rooms/1/chat", "rooms"].map((channel) => isAllowed(star, channel, alice, "subscribe"))).toEqual([true, false, false]);
    expect(["rooms/1", "rooms/1/chat", "rooms"].map((channel) => isAllowed(globstar, channel, alice, "subscribe"))).toEqual([true, true, false]);
  });

  it("admits a group only to its members, and nobody with an empty list", () => {
    const rules = [rule("ops/*", ["group:ops"], [])];
    expect(isAllowed(rules, "ops/x", { userId: "u", groups: ["ops"] }, "subscribe")).toBe(true);
    expect(isAllowed(rules, "ops/x", { userId: "u", groups: ["opsx", "op"] }, "subscribe")).toBe(false);
    expect(isAllowed(rules, "ops/x", { userId: "u", groups: ["ops"] }, "publish")).toBe(false);
  });

  it("never lets {sub} reach another user's channel", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(segment, segment, fc.boolean(), (me, other, tenant) => {
        fc.pre(me !== other);
        const rules = tenant ? [rule("tenants/{sub}/**", ["authenticated"], ["authenticated"])] : defaultChannelRules;
        const channel = tenant ? `tenants/${other}/orders` : `users/${other}`;
        const caller = { userId: me, groups: [] };
        return !isAllowed(rules, channel, caller, "subscribe") && !isAllowed(rules, channel, caller, "publish");
      }),
    );
    expect(isAllowed(defaultChannelRules, "users/alice-sub", alice, "subscribe")).toBe(true);
    expect(isAllowed(defaultChannelRules, "users/alice-sub", alice, "publish")).toBe(false);
  });
});

describe("parseChannelRules", () => {
  it.each([
    [{}, /must be a JSON array/],
    [[42], /^rule 0: must be an object/],
    [[rule("a/*", ["authenticated"]), { channel: "b", subscribe: [], publish: [], extra: 1 }], /^rule 1: unknown field "extra"/],
    [[{ subscribe: [] }], /^rule 0: "channel" must be a pattern string/],
    [[rule("a/**/b", [])], /^rule 0: "channel" "a\/\*\*\/b" uses "\*\*" before its last segment/],
    [[rule("a/b c", [])], /^rule 0: "channel" "a\/b c" has the segment "b c"/],
    [[rule("a/b/c/d/e/f", [])], /has more than 5 segments/],
    [[rule("a", ["everyone" as never])], /^rule 0: "subscribe" has "everyone"; it must be a list of "authenticated" or "group:NAME"/],
    [[rule("a", [], "group:x" as never)], /^rule 0: "publish" must be a list/],
  ])("names the rule and what is wrong: %j", (rules, message) => {
    expect(() => parseChannelRules(rules)).toThrow(message);
  });

  it("reads missing permission lists as admitting nobody", () => {
    expect(parseChannelRules([{ channel: "a/*" }])).toEqual([{ channel: "a/*", subscribe: [], publish: [] }]);
  });

  it("stops the stack configuration with the key, the rule's index and the problem", () => {
    const config = (channelRules: string) => () => readConfig((key) => (key === "channelRules" ? channelRules : undefined));
    expect(config('[{"channel":"public/*","subscribe":["authenticated"]},{"channel":"x","publish":["admins"]}]')).toThrow(
      /channelRules: rule 1: "publish" has "admins"; it must be a list of "authenticated" or "group:NAME"/,
    );
    expect(config("[{")).toThrow(/channelRules: must be a JSON array of rules; this is not valid JSON/);
    expect(readConfig(() => undefined).messaging.channelRules).toEqual(defaultChannelRules);
  });
});
