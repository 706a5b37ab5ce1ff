/** A custom domain, on an account whose API Gateway CloudWatch role is managed elsewhere. */
import { beforeAll, describe, expect, it } from "vitest";
import { apiId, ofType, region, resource, runProgram, type ProgramRun } from "./harness.js";

const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ customDomainName: "ws.example.com", certificateArn, manageApiGatewayAccount: "false" });
});

describe("with customDomainName and certificateArn", () => {
  it("declares a regional TLS 1.2 domain with the certificate", () => {
    const domain = resource(run, "aws:apigatewayv2/domainName:DomainName", "websocket-domain");

    expect(domain.inputs).toEqual({
      domainName: "ws.example.com",
      domainNameConfiguration: { certificateArn, endpointType: "REGIONAL", securityPolicy: "TLS_1_2" },
    });
  });

  it("maps the stage at the domain's root", () => {
    const mapping = resource(run, "aws:apigatewayv2/apiMapping:ApiMapping", "websocket-mapping");

    expect(mapping.inputs).toEqual({ apiId, domainName: "ws.example.com", stage: "dev" });
    expect(mapping.inputs.apiMappingKey).toBeUndefined();
  });

  it("exports the domain's URL for clients, and keeps the execute-api URL for @connections calls", () => {
    expect(run.outputs.webSocketUrl).toBe("wss://ws.example.com");
    expect(run.outputs.managementApiUrl).toBe(`https://${apiId}.execute-api.${region}.amazonaws.com/dev`);
  });
});

describe("with manageApiGatewayAccount false", () => {
  it("leaves the region's API Gateway account setting and its role alone", () => {
    expect(ofType(run, "aws:apigateway/account:Account")).toEqual([]);
    expect(ofType(run, "websocket-cognito:aws:ApiGatewayAccount")).toEqual([]);
    expect(ofType(run, "aws:iam/role:Role").map((role) => role.name)).not.toContain("apigateway-account-role");
  });

  it("still writes access logs", () => {
    expect(resource(run, "aws:apigatewayv2/stage:Stage", "websocket-stage").inputs.accessLogSettings).toBeDefined();
  });
});
