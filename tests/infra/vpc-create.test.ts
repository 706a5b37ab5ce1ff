/** Functions placed in a VPC the stack creates. */
import { beforeAll, describe, expect, it } from "vitest";
import { functionNames } from "../../functions/routes.js";
import { vpcNetworkInterfaceActions } from "../../infra/bundled-function.js";
import { createdPrivateSubnetIds, createdSecurityGroupId, createdVpcId, ofType, resource, rolePolicy, runProgram, type ProgramRun } from "./harness.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ vpc: "create" });
});

describe("with vpc create", () => {
  it("creates an awsx VPC over two zones with one NAT gateway", () => {
    const vpc = resource(run, "awsx:ec2:Vpc", "network-vpc");

    expect(vpc.inputs).toMatchObject({ numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } });
  });

  it("names its subnet layout, so that awsx's next default cannot re-address the subnets", () => {
    expect(resource(run, "awsx:ec2:Vpc", "network-vpc").inputs.subnetStrategy).toBe("Legacy");
  });

  it("creates a security group in it that allows outbound HTTPS only", () => {
    const group = resource(run, "aws:ec2/securityGroup:SecurityGroup", "network-functions");

    expect(group.inputs.vpcId).toBe(createdVpcId);
    expect(group.inputs.egress).toEqual([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS APIs" }]);
    expect(group.inputs.ingress ?? []).toEqual([]);
  });

  it("places every function in the private subnets with that group", () => {
    for (const fn of functionNames) {
      expect(resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs.vpcConfig, fn).toEqual({
        subnetIds: createdPrivateSubnetIds,
        securityGroupIds: [createdSecurityGroupId],
      });
    }
  });

  it("adds exactly the network-interface actions Lambda needs, the one statement on `*`", () => {
    for (const fn of functionNames) {
      const unscoped = rolePolicy(run, `websocket-${fn}-policy`).Statement.filter((s) => s.Resource.includes("*"));

      expect(unscoped, fn).toEqual([{ Effect: "Allow", Action: vpcNetworkInterfaceActions, Resource: ["*"] }]);
      for (const action of unscoped[0]!.Action) expect(action).toMatch(/^ec2:[A-Za-z]+$/);
    }
    expect(vpcNetworkInterfaceActions).toEqual([
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:UnassignPrivateIpAddresses",
    ]);
  });

  it("is one component owning the VPC and the group", () => {
    expect(ofType(run, "websocket-cognito:aws:Network").map((c) => c.name)).toEqual(["network"]);
  });
});
