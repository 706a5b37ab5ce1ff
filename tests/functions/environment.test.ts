import { describe, expect, it } from "vitest";
import {
  authorizerEnvironment,
  messagingEnvironment,
  readAuthorizerSettings,
  readMessagingSettings,
  type AuthorizerSettings,
  type MessagingSettings,
} from "../../functions/environment.js";

const authorizer: AuthorizerSettings = {
  issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
  clientId: "client",
  tokenUses: ["id", "access"],
  requiredGroups: ["admins", "ops"],
  clockToleranceSeconds: 10,
  tokenQueryParameter: "ID_Token",
  subprotocolToken: false,
};
const messaging: MessagingSettings = {
  connectionsTableName: "connections-1a2b",
  userIndexName: "userId-index",
  managementApiUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/dev",
  connectionTtlSeconds: 3600,
  postConcurrency: 20,
};

describe("the environment contract", () => {
  it("reads back exactly what was written", () => {
    expect(readAuthorizerSettings(authorizerEnvironment(authorizer))).toEqual(authorizer);
    expect(readMessagingSettings(messagingEnvironment(messaging))).toEqual(messaging);
  });

  it("fills defaults for optional variables", () => {
    const settings = readAuthorizerSettings({ TOKEN_ISSUER: authorizer.issuer, APP_CLIENT_ID: "c" });
    expect(settings).toMatchObject({ tokenUses: ["id"], requiredGroups: [], clockToleranceSeconds: 5, tokenQueryParameter: "idToken", subprotocolToken: true });
  });

  it.each([
    [{ TOKEN_ISSUER: "" }, /TOKEN_ISSUER is not set/],
    [{ TOKEN_ISSUER: "cognito" }, /TOKEN_ISSUER must look like/],
    [{ ALLOWED_TOKEN_USES: "" }, /ALLOWED_TOKEN_USES must name at least one/],
    [{ CLOCK_TOLERANCE_SECONDS: "-1" }, /CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 300/],
    [{ SUBPROTOCOL_TOKEN: "yes" }, /SUBPROTOCOL_TOKEN must be "true" or "false"/],
  ])("names the authorizer variable at fault: %j", (override, message) => {
    expect(() => readAuthorizerSettings({ ...authorizerEnvironment(authorizer), ...override })).toThrow(message);
  });

  it.each([
    [{ CONNECTIONS_TABLE_NAME: "" }, /CONNECTIONS_TABLE_NAME is not set/],
    [{ MANAGEMENT_API_URL: "wss://abc/dev" }, /MANAGEMENT_API_URL must be an http\(s\) URL/],
    [{ POST_CONCURRENCY: "0" }, /POST_CONCURRENCY must be an integer from 1 to 1000/],
    [{ CONNECTION_TTL_SECONDS: "1.5" }, /CONNECTION_TTL_SECONDS must be an integer/],
  ])("names the messaging variable at fault: %j", (override, message) => {
    expect(() => readMessagingSettings({ ...messagingEnvironment(messaging), ...override })).toThrow(message);
  });
});
