/** A bad stack config stops the program before it declares anything, with a message naming the key. */
import { describe, expect, it, vi } from "vitest";
import { runProgram, type RecordedResource } from "./harness.js";

/** Runs the program with this config; returns what it declared and how it failed. */
async function failedRun(config: Record<string, string>): Promise<{ error: unknown; declared: number }> {
  vi.resetModules(); // a fresh program, config and all
  const resources: RecordedResource[] = [];
  try {
    await runProgram(config, { resources });
  } catch (error) {
    // Anything the program had started to declare would be registered by now.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { error, declared: resources.length };
  }
  throw new Error(`the program accepted ${JSON.stringify(config)} and declared ${resources.length} resources`);
}

describe("the program with a bad config", () => {
  it.each<[Record<string, string>, RegExp]>([
    [{ logRetentionDays: "10" }, /logRetentionDays: accepts one of CloudWatch's retention periods/],
    [{ subprotocolToken: "maybe" }, /subprotocolToken: accepts true or false; got "maybe"/],
    [{ existingUserPoolId: "eu-west-1_Abc" }, /existingUserPoolId and existingUserPoolClientId: accepts both set/],
    [{ certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b" }, /customDomainName and certificateArn: accepts both set/],
    [{ vpc: "vpc-0123abcd" }, /vpcSubnetIds: accepts one or more private subnet ids/],
    [{ stageName: "my stage" }, /stageName: accepts 1-128 letters, digits, _ and -/],
    [{ stagename: "prod" }, /stagename: unknown key; known keys: tokenQueryParameter, /],
  ])("%j stops with %s and declares nothing", async (config, message) => {
    // Act
    const { error, declared } = await failedRun(config);

    // Assess
    // The module graph was reset, so the class differs from an import here: compare by name.
    expect((error as Error).name).toBe("ConfigError");
    expect((error as Error).message).toMatch(message);
    expect(declared).toBe(0);
  });
});
