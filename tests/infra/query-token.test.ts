/** The seed's setup: token in the `ID_Token` query parameter only, access tokens allowed, a required group. */
import { beforeAll, describe, expect, it } from "vitest";
import { optionsOf, resource, runProgram, type ProgramRun } from "./harness.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({
    tokenQueryParameter: "ID_Token",
    subprotocolToken: "false",
    allowAccessTokens: "true",
    requiredGroups: "admins,ops",
    clockToleranceSeconds: "30",
  });
});

describe("with subprotocolToken false and tokenQueryParameter ID_Token", () => {
  it("makes the query parameter the authorizer's only identity source", () => {
    const authorizer = resource(run, "aws:apigatewayv2/authorizer:Authorizer", "websocket-authorizer");

    expect(authorizer.inputs.identitySources).toEqual(["route.request.querystring.ID_Token"]);
    expect(authorizer.inputs).not.toHaveProperty("authorizerResultTtlInSeconds");
  });

  it("replaces the authorizer when its identity sources change (created first, so the route moves to it)", () => {
    expect(optionsOf(run, "aws:apigatewayv2/authorizer:Authorizer", "websocket-authorizer")).toMatchObject({
      replaceOnChanges: ["identitySources"],
      deleteBeforeReplace: false,
    });
  });

  it("tells the authorizer where the token is and what it accepts", () => {
    const variables = resource(run, "aws:lambda/function:Function", "websocket-authorizer-function").inputs.environment.variables;

    expect(variables).toMatchObject({
      TOKEN_QUERY_PARAMETER: "ID_Token",
      SUBPROTOCOL_TOKEN: "false",
      ALLOWED_TOKEN_USES: "id,access",
      REQUIRED_GROUPS: "admins,ops",
      CLOCK_TOLERANCE_SECONDS: "30",
    });
  });
});
