/**
 * The program bundles every function from source each time it runs (as CDK's NodejsFunction does),
 * so `pulumi up` after an edit uploads the edit, with or without `npm run build` first.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundleDirectory, bundleFile, functionNames } from "../../functions/routes.js";
import { buildFunction } from "../../build/functions.js";
import { resource, runProgram, type ProgramRun } from "./harness.js";

// The program's bundler, watched: every call still bundles for real.
vi.mock(import("../../build/functions.js"), async (importOriginal) => {
  const actual = await importOriginal();
  return { ...actual, buildFunction: vi.fn(actual.buildFunction) };
});

describe("buildFunction", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "bundle-"));
    await mkdir(join(root, "functions/handlers"), { recursive: true });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("bundles the handler's current source: an edit reaches the next bundle", async () => {
    // Prepare
    const source = join(root, "functions/handlers/whoami.ts");
    const bundle = join(root, bundleDirectory("whoami"), bundleFile);
    await writeFile(source, `export const handler = async (): Promise<string> => "first version";\n`);

    // Act
    const directory = await buildFunction("whoami", root);
    const first = await readFile(bundle, "utf8");
    await writeFile(source, `export const handler = async (): Promise<string> => "edited version";\n`);
    await buildFunction("whoami", root);
    const second = await readFile(bundle, "utf8");

    // Assess
    expect(directory).toBe(join(root, bundleDirectory("whoami")));
    expect(first).toContain("first version");
    expect(second).toContain("edited version");
    expect(second).not.toContain("first version");
    expect(await readFile(`${bundle}.map`, "utf8")).toContain("whoami.ts");
  });
});

describe("the program", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.mocked(buildFunction).mockClear();
    run = await runProgram();
  });

  it("bundles every function as it runs and uploads what it bundled", async () => {
    expect(vi.mocked(buildFunction).mock.calls.map(([name]) => name).sort()).toEqual([...functionNames].sort());
    for (const [index, [name]] of vi.mocked(buildFunction).mock.calls.entries()) {
      const code = resource(run, "aws:lambda/function:Function", `websocket-${name}-function`).inputs.code as pulumi.asset.FileArchive;
      expect(await code.path, name).toBe(await vi.mocked(buildFunction).mock.results[index]!.value);
    }
  });
});
