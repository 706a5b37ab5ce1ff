/** A custom domain, on an account whose API Gateway CloudWatch role is managed elsewhere. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { certificateRegionProblem } from "../../infra/websocket-api.js";
import { apiId, ofType, region, resource, runProgram, type ProgramRun, type RecordedResource } from "./harness.js";

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

  it("exports what DNS must point at, and without hostedZoneId creates no record", () => {
    expect(run.outputs.customDomainTarget).toEqual({ targetDomainName: "d-abc123.execute-api.eu-west-1.amazonaws.com", hostedZoneId: "Z2IFOLAFXWLO4F" });
    expect(ofType(run, "aws:route53/record:Record")).toEqual([]);
  });
});

describe("with hostedZoneId too", () => {
  it("creates the Route 53 alias record of the domain in that zone", async () => {
    vi.resetModules();
    const withZone = await runProgram({ customDomainName: "ws.example.com", certificateArn, hostedZoneId: "Z0123456789ABCDEFGHIJ" });

    expect(resource(withZone, "aws:route53/record:Record", "websocket-dns").inputs).toEqual({
      zoneId: "Z0123456789ABCDEFGHIJ",
      name: "ws.example.com",
      type: "A",
      aliases: [{ name: "d-abc123.execute-api.eu-west-1.amazonaws.com", zoneId: "Z2IFOLAFXWLO4F", evaluateTargetHealth: false }],
    });
  });
});

describe("a certificate in another region than the stack's", () => {
  it("is named as the problem, with both regions", () => {
    expect(certificateRegionProblem(certificateArn, "eu-west-1")).toBeUndefined();
    expect(certificateRegionProblem(certificateArn.replace("eu-west-1", "us-east-1"), "eu-west-1")).toBe(
      `certificateArn: the certificate is in us-east-1, but the stack deploys to eu-west-1; a regional custom domain needs an ACM certificate in eu-west-1 (${certificateArn.replace("eu-west-1", "us-east-1")})`,
    );
  });

  it("stops `pulumi preview` with that message before anything is declared", async () => {
    // Prepare: the mocked provider deploys to eu-west-1; the certificate is in us-east-1 (CloudFront's region, a common mix-up).
    vi.resetModules();
    const resources: RecordedResource[] = [];

    // Act
    const failure = await runProgram({ customDomainName: "ws.example.com", certificateArn: certificateArn.replace("eu-west-1", "us-east-1") }, { preview: true, resources }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // Assess
    expect(pulumi.RunError.isInstance(failure)).toBe(true); // Pulumi prints it without a stack trace
    expect(failure?.message).toMatch(/^certificateArn: the certificate is in us-east-1, but the stack deploys to eu-west-1/);
    await new Promise((resolve) => setTimeout(resolve, 100)); // registrations are asynchronous
    expect(resources).toEqual([]);
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
