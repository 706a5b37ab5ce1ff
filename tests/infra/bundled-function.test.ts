/** BundledFunction refuses to declare a function whose bundle was not built. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleDirectory } from "../../functions/routes.js";
import { BundledFunction, handlerModuleFile } from "../../infra/bundled-function.js";
import { createMocks, project, type RecordedResource } from "./harness.js";

const record = { resources: [] as RecordedResource[], calls: [] as string[], events: [] as string[] };
beforeAll(async () => {
  await pulumi.runtime.setMocks(createMocks(record), project, "dev", false);
});

describe("BundledFunction", () => {
  it("stops with a message naming the directory and `npm run build` when the bundle is missing, before registering anything", async () => {
    expect(() => new BundledFunction("ghost", { bundleDirectory: "dist/functions/ghost", environment: {} })).toThrow(
      /ghost: no bundle for handler "index.handler" in dist\/functions\/ghost\/ .*run `npm run build` before `pulumi up`/,
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // registrations are asynchronous
    expect(record.resources.filter((r) => r.name.startsWith("ghost"))).toEqual([]);
  });

  it("finds the module file Lambda loads for the handler", () => {
    expect(handlerModuleFile(bundleDirectory("connect"), "index.handler")).toBe("dist/functions/connect/index.mjs");
    expect(handlerModuleFile(bundleDirectory("connect"), "main.handler")).toBeUndefined();
  });
});
