import { describe, expect, it } from "vitest";
import { localSettingKeys, parseLocalSettings } from "../../local/stack.js";

describe("npm start -- --set KEY=VALUE", () => {
  it("reads settings exactly as the stack config reads them", () => {
    expect(
      parseLocalSettings(["postConcurrency=10", "tokenQueryParameter=ID_Token", "requiredGroups=admins, ops", 'channelRules=[{"channel":"rooms/*","subscribe":["authenticated"]}]']),
    ).toEqual({
      postConcurrency: 10,
      tokenQueryParameter: "ID_Token",
      requiredGroups: ["admins", "ops"],
      channelRules: [{ channel: "rooms/*", subscribe: ["authenticated"], publish: [] }],
    });
    expect(parseLocalSettings([])).toEqual({});
  });

  it("names every bad value, unknown key and malformed pair at once", () => {
    const problems = () => parseLocalSettings(["postConcurrency=0", "vpc=create", "logLevel", 'channelRules=[{"channel":"a/**/b"}]']);
    expect(problems).toThrow(/postConcurrency: accepts an integer from 1 to 1000; got "0"/);
    expect(problems).toThrow(/vpc: not a setting of the local stack; its settings are .*channelHistorySeconds/);
    expect(problems).toThrow(/--set logLevel: expected KEY=VALUE/);
    expect(problems).toThrow(/channelRules: rule 0: "channel" "a\/\*\*\/b" uses "\*\*" before its last segment/);
  });

  it("honours every setting the functions read, and the deployment settings the local stack has", () => {
    expect(localSettingKeys).toEqual(
      expect.arrayContaining(["postConcurrency", "connectionTtlSeconds", "channelRules", "logLevel", "routeSelectionExpression", "allowAccessTokens", "lambdaTimeoutSeconds"]),
    );
    expect(localSettingKeys).not.toContain("stageName");
  });
});
