/** closeExpiredConnections false: no schedule, nothing may invoke the sweeper. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, type ProgramRun } from "./harness.js";


let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ closeExpiredConnections: "false" });
});

describe("with closeExpiredConnections false", () => {
  it("does not deploy the sweeper: no function, role or policy that could close connections", () => {
    expect(run.resources.filter((r) => r.name.startsWith("websocket-sweeper"))).toEqual([]);
    const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").map((p) => JSON.stringify(p.inputs.policy));
    expect(policies.join("\n")).not.toContain("/DELETE/@connections/");
  });

  it("still deploys the fan-out worker and its invocation settings: every fan-out may need them", () => {
    expect(ofType(run, "aws:lambda/function:Function").map((f) => f.name)).toContain("websocket-deliver-function");
    expect(ofType(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")).toHaveLength(1);
  });

  it("declares no schedule and lets no one but API Gateway invoke a function", () => {
    expect(ofType(run, "aws:cloudwatch/eventRule:EventRule")).toEqual([]);
    expect(ofType(run, "aws:cloudwatch/eventTarget:EventTarget")).toEqual([]);
    expect(ofType(run, "aws:lambda/permission:Permission").map((p) => p.inputs.principal)).not.toContain("events.amazonaws.com");
  });
});
