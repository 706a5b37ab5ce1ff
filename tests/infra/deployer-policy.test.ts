/**
 * `npm run deployer-policy`: the policy covers every resource the program declares for a config,
 * on the names it declares them with, and grants a feature's permissions only when it is on.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../infra/config.js";
import { deployerPolicy, deployerStatements, type DeployerStatement } from "../../infra/deployer-policy.js";
import { stackConfigValues } from "../../scripts/deployer-policy.js";
import { accountId, region, runProgram, type ProgramRun, type RecordedResource } from "./harness.js";

const target = { accountId, region };
const source = (values: Record<string, string>) => (key: string) => values[key];
const everything = {
  customDomainName: "ws.example.com",
  certificateArn: `arn:aws:acm:${region}:${accountId}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
  hostedZoneId: "Z0123456789ABCDEFGHIJ",
  vpc: "create",
};

/** Whether a statement allows `action` on `arn` (IAM's `*` matches any run of characters). */
const allows = (statements: readonly DeployerStatement[], action: string, arn: string): boolean =>
  statements.some(
    (statement) =>
      statement.Action.includes(action) &&
      statement.Resource.some((pattern) => new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.?+^$()[\]{}|\\/]/g, "\\$&")).join(".*")}$`).test(arn)),
  );

/** The call that creates each declared type, and the ARN it is authorized on (from what the mocks answered). */
const apis = `arn:aws:apigateway:${region}::/apis`;
const creates: Record<string, (resource: RecordedResource) => [string, string][]> = {
  "aws:iam/role:Role": (r) => [["iam:CreateRole", r.state.arn], ["iam:PassRole", r.state.arn]],
  "aws:iam/rolePolicy:RolePolicy": (r) => [["iam:PutRolePolicy", `arn:aws:iam::${accountId}:role/${r.inputs.role}`]],
  "aws:lambda/function:Function": (r) => [["lambda:CreateFunction", r.state.arn]],
  "aws:lambda/permission:Permission": (r) => [["lambda:AddPermission", `arn:aws:lambda:${region}:${accountId}:function:${r.inputs.function}`]],
  "aws:cloudwatch/logGroup:LogGroup": (r) => [["logs:CreateLogGroup", r.state.arn], ["logs:PutRetentionPolicy", r.state.arn]],
  "aws:dynamodb/table:Table": (r) => [["dynamodb:CreateTable", r.state.arn], ["dynamodb:UpdateTimeToLive", r.state.arn]],
  "aws:sqs/queue:Queue": (r) => [["sqs:CreateQueue", r.state.arn], ["sqs:GetQueueAttributes", r.state.arn]],
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (r) => [
    ["lambda:PutFunctionEventInvokeConfig", `arn:aws:lambda:${region}:${accountId}:function:${r.inputs.functionName}`],
  ],
  "aws:cognito/userPool:UserPool": () => [["cognito-idp:CreateUserPool", "*"]],
  "aws:cognito/userPoolClient:UserPoolClient": (r) => [["cognito-idp:CreateUserPoolClient", `arn:aws:cognito-idp:${region}:${accountId}:userpool/${r.inputs.userPoolId}`]],
  "aws:apigatewayv2/api:Api": () => [["apigateway:POST", apis]],
  "aws:apigatewayv2/authorizer:Authorizer": (r) => [["apigateway:POST", `${apis}/${r.inputs.apiId}/authorizers`]],
  "aws:apigatewayv2/integration:Integration": (r) => [["apigateway:POST", `${apis}/${r.inputs.apiId}/integrations`]],
  "aws:apigatewayv2/route:Route": (r) => [["apigateway:POST", `${apis}/${r.inputs.apiId}/routes`]],
  "aws:apigatewayv2/stage:Stage": (r) => [["apigateway:POST", `${apis}/${r.inputs.apiId}/stages`]],
  "aws:apigatewayv2/domainName:DomainName": () => [["apigateway:POST", `arn:aws:apigateway:${region}::/domainnames`]],
  "aws:apigatewayv2/apiMapping:ApiMapping": (r) => [["apigateway:POST", `arn:aws:apigateway:${region}::/domainnames/${r.inputs.domainName}/apimappings`]],
  "aws:apigateway/account:Account": () => [["apigateway:PATCH", `arn:aws:apigateway:${region}::/account`]],
  "aws:cloudwatch/eventRule:EventRule": (r) => [["events:PutRule", r.state.arn]],
  "aws:cloudwatch/eventTarget:EventTarget": (r) => [["events:PutTargets", `arn:aws:events:${region}:${accountId}:rule/${r.inputs.rule}`]],
  "aws:route53/record:Record": (r) => [["route53:ChangeResourceRecordSets", `arn:aws:route53:::hostedzone/${r.inputs.zoneId}`]],
  "aws:ec2/securityGroup:SecurityGroup": () => [["ec2:CreateSecurityGroup", "*"]],
  "awsx:ec2:Vpc": () => [["ec2:CreateVpc", "*"], ["ec2:CreateSubnet", "*"], ["ec2:CreateNatGateway", "*"], ["ec2:AllocateAddress", "*"]],
};

describe("for a stack with every feature its program can declare under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(everything);
  });

  it("allows creating every declared resource, on the name the program gives it", () => {
    const statements = deployerStatements(readConfig(source(everything)), target);
    const declared = run.resources.filter((r) => !r.type.startsWith("websocket-cognito:"));

    expect(declared.length).toBeGreaterThan(30);
    for (const resource of declared) {
      const calls = creates[resource.type];
      expect(calls, `${resource.type} is missing from this test's table`).toBeDefined();
      for (const [action, arn] of calls!(resource)) expect(allows(statements, action, arn), `${action} on ${arn} (${resource.name})`).toBe(true);
    }
  });
});

describe("deployerStatements", () => {
  const sids = (values: Record<string, string>) => deployerStatements(readConfig(source(values)), target).map((s) => s.Sid);

  it("grants each feature's permissions only when it is on", () => {
    expect(sids({ closeExpiredConnections: "false", manageApiGatewayAccount: "false", existingUserPoolId: "eu-west-1_Abc", existingUserPoolClientId: "abc" })).toEqual([
      "Roles",
      "PassRolesToLambda",
      "Functions",
      "LogGroups",
      "ListLogGroups",
      "Tables",
      "FailedDeliveriesQueue",
      "WebSocketApi",
    ]);
    expect(sids({})).toEqual(expect.arrayContaining(["CreateUserPool", "UserPool", "ApiGatewayAccountSetting", "PassRoleToApiGateway", "ExpirySchedule"]));
    expect(sids({})).not.toEqual(expect.arrayContaining(["Network"]));
    for (const sid of ["Network", "CustomDomain", "DnsRecord", "DnsChange", "WebClientBucket", "WebClientDistribution"]) expect(sids({}), sid).not.toContain(sid);
    expect(sids({ ...everything, webClient: "true" })).toEqual(expect.arrayContaining(["Network", "CustomDomain", "DnsRecord", "DnsChange", "WebClientBucket", "WebClientDistribution"]));
  });

  it("lets API Gateway's role go only to API Gateway, and the functions' roles only to Lambda", () => {
    const statements = deployerStatements(readConfig(source({})), target);

    expect(statements.filter((s) => s.Action.includes("iam:PassRole"))).toEqual([
      expect.objectContaining({ Resource: [`arn:aws:iam::${accountId}:role/websocket-*`], Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } } }),
      expect.objectContaining({ Resource: [`arn:aws:iam::${accountId}:role/apigateway-account-*`], Condition: { StringEquals: { "iam:PassedToService": "apigateway.amazonaws.com" } } }),
    ]);
  });

  it("names exact actions, and holds every statement on `*` to the stack's region", () => {
    for (const statement of deployerStatements(readConfig(source({ ...everything, webClient: "true" })), target)) {
      for (const action of statement.Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
      if (statement.Resource.includes("*")) expect(statement.Condition, statement.Sid).toEqual({ StringEquals: { "aws:RequestedRegion": region } });
    }
  });
});

describe("npm run deployer-policy", () => {
  it("reads the stack file as Pulumi does: prefixes off, lists as JSON, secrets left out", () => {
    const values = stackConfigValues(
      ["config:", "  aws:region: eu-west-1", "  websocket-cognito:vpc: create", "  websocket-cognito:requiredGroups:", "    - admins", "  websocket-cognito:token:", "    secure: AAAA"].join("\n"),
    );

    expect(values).toEqual({ "aws:region": "eu-west-1", vpc: "create", requiredGroups: '["admins"]' });
  });

  it("prints the dev stack's policy for an account, and refuses without one", () => {
    const printed = spawnSync(process.execPath, ["--import", "tsx", "scripts/deployer-policy.ts", "--account", accountId], { encoding: "utf8" });
    const refused = spawnSync(process.execPath, ["--import", "tsx", "scripts/deployer-policy.ts"], { encoding: "utf8" });

    const devRegion = /aws:region: (\S+)/.exec(readFileSync("Pulumi.dev.yaml", "utf8"))![1]!;
    expect(printed.status, printed.stderr).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(deployerPolicy(readConfig(() => undefined), { accountId, region: devRegion }));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--account needs the 12-digit AWS account id/);
  });
});
