/** Functions placed in subnets of an existing VPC, with and without given security groups. */
import { describe, expect, it, vi } from "vitest";
import { functionNames } from "../../functions/routes.js";
import { createdSecurityGroupId, ofType, resource, runProgram } from "./harness.js";

const vpc = "vpc-0fedcba9876543210";
const subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"];

describe("with vpc set to an existing VPC id", () => {
  it("uses its subnets and a new outbound-HTTPS group in it, and creates no VPC", async () => {
    vi.resetModules();
    const run = await runProgram({ vpc, vpcSubnetIds: subnets.join(",") });

    expect(ofType(run, "awsx:ec2:Vpc")).toEqual([]);
    expect(resource(run, "aws:ec2/securityGroup:SecurityGroup", "network-functions").inputs.vpcId).toBe(vpc);
    for (const fn of functionNames) {
      expect(resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs.vpcConfig, fn).toEqual({
        subnetIds: subnets,
        securityGroupIds: [createdSecurityGroupId],
      });
    }
  });

  it("uses the given security groups instead of creating one", async () => {
    vi.resetModules();
    const run = await runProgram({ vpc, vpcSubnetIds: JSON.stringify(subnets), vpcSecurityGroupIds: "sg-0aaaaaaaaaaaaaaaa" });

    expect(ofType(run, "aws:ec2/securityGroup:SecurityGroup")).toEqual([]);
    expect(resource(run, "aws:lambda/function:Function", "websocket-connect-function").inputs.vpcConfig).toEqual({
      subnetIds: subnets,
      securityGroupIds: ["sg-0aaaaaaaaaaaaaaaa"],
    });
  });
});
