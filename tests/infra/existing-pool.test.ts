/** A stack that uses an existing user pool and app client instead of creating them. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, poolJwks, resource, runProgram, type ProgramRun } from "./harness.js";

const userPoolId = "us-west-2_ExIsTiNg1";
const userPoolClientId = "existingclient0123456789ab";
let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ existingUserPoolId: userPoolId, existingUserPoolClientId: userPoolClientId });
});

describe("with existingUserPoolId and existingUserPoolClientId", () => {
  it("creates no pool and no client", () => {
    expect(ofType(run, "aws:cognito/userPool:UserPool")).toEqual([]);
    expect(ofType(run, "aws:cognito/userPoolClient:UserPoolClient")).toEqual([]);
  });

  it("verifies tokens against that pool's issuer (its region comes from the pool id) and client", () => {
    const variables = resource(run, "aws:lambda/function:Function", "websocket-authorizer-function").inputs.environment.variables;

    expect(variables).toMatchObject({
      TOKEN_ISSUER: `https://cognito-idp.us-west-2.amazonaws.com/${userPoolId}`,
      APP_CLIENT_ID: userPoolClientId,
    });
  });

  it("fetches that pool's JWKS at deploy time for the authorizer", () => {
    expect(run.fetches).toEqual([`https://cognito-idp.us-west-2.amazonaws.com/${userPoolId}/.well-known/jwks.json`]);
    const variables = resource(run, "aws:lambda/function:Function", "websocket-authorizer-function").inputs.environment.variables;
    expect(JSON.parse(variables.INITIAL_JWKS)).toEqual(poolJwks);
  });

  it("exports the given ids", () => {
    expect(run.outputs).toMatchObject({ userPoolId, userPoolClientId });
  });
});
