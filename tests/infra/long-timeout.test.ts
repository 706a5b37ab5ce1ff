/** lambdaTimeoutSeconds above what API Gateway waits: only the functions no route invokes get it all. */
import { beforeAll, describe, expect, it } from "vitest";
import { deliverFunction, expirySweeperFunction, functionNames } from "../../functions/routes.js";
import { resource, runProgram, type ProgramRun } from "./harness.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ lambdaTimeoutSeconds: "120" });
});

describe("with lambdaTimeoutSeconds 120", () => {
  it("caps every function API Gateway invokes at 29 s, the time API Gateway waits", () => {
    for (const fn of functionNames.filter((name) => name !== expirySweeperFunction && name !== deliverFunction)) {
      expect(resource(run, "aws:lambda/function:Function", `websocket-${fn}-function`).inputs.timeout, fn).toBe(29);
    }
  });

  it("gives the scheduled sweeper and the asynchronously invoked fan-out worker the whole timeout", () => {
    expect(resource(run, "aws:lambda/function:Function", "websocket-sweeper-function").inputs.timeout).toBe(120);
    expect(resource(run, "aws:lambda/function:Function", "websocket-deliver-function").inputs.timeout).toBe(120);
  });
});
