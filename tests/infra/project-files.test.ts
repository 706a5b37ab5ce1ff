/**
 * Pulumi.yaml and Pulumi.dev.yaml: how `pulumi up` starts the program, and the dev stack's config.
 * The last test runs the program the way the CLI does (node with Pulumi.yaml's nodeargs, Pulumi's
 * own loader, the stack config in PULUMI_CONFIG), only against mocks instead of the engine.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { lambdaRuntime } from "../../infra/bundled-function.js";
import { configKeys, readConfig } from "../../infra/config.js";
import { functionBundleOptions } from "../../build/functions.js";
import { functionNames } from "../../functions/routes.js";
import { configurationTable } from "../../scripts/config-table.js";
import { apiId, project, region, userPoolClientIdValue, userPoolIdValue } from "./harness.js";

const pulumiYaml = readFileSync("Pulumi.yaml", "utf8");
const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as {
  name: string;
  type: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The flat `config:` map of a stack file (one `key: value` per line; quotes removed; comments skipped). */
function stackConfig(file: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^ {2}([\w-]+:[\w-]+):\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const raw = match[2]!;
    entries[match[1]!] = /^".*"$/.test(raw) ? (JSON.parse(raw) as string) : raw;
  }
  return entries;
}

/** A scalar under `runtime.options` of Pulumi.yaml. */
const runtimeOption = (name: string): string | undefined => new RegExp(`^ {4}${name}:\\s*"?([^"\\n]*)"?\\s*$`, "m").exec(pulumiYaml)?.[1];

describe("Pulumi.yaml", () => {
  it("names the project as package.json does and runs index.ts on Node.js", () => {
    expect(pulumiYaml).toMatch(new RegExp(`^name: ${packageJson.name}$`, "m"));
    expect(project).toBe(packageJson.name);
    expect(pulumiYaml).toMatch(/^main: index\.ts$/m);
    expect(pulumiYaml).toMatch(/^ {2}name: nodejs$/m);
  });

  it("turns Pulumi's ts-node off and preloads tsx, because the program is an ES module", () => {
    expect(packageJson.type).toBe("module");
    expect(runtimeOption("typescript")).toBe("false");
    expect(runtimeOption("nodeargs")).toBe("--import tsx");
  });

  it("loads without dev dependencies (`npm ci --omit=dev`, Pulumi's production option): what it preloads and imports are dependencies", async () => {
    // Prepare: every package the program reaches at run time, by following its imports from index.ts.
    const { metafile } = await build({ entryPoints: ["index.ts"], bundle: true, packages: "external", platform: "node", format: "esm", write: false, metafile: true, logLevel: "silent" });
    const imported = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((entry) => entry.external).map((entry) => entry.path));
    const packageOf = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
    const packages = new Set(imported.filter((specifier) => !specifier.startsWith("node:")).map(packageOf));
    const preloaded = [...runtimeOption("nodeargs")!.matchAll(/--import\s+(\S+)/g)].map((match) => packageOf(match[1]!));

    // Assess
    expect([...packages]).toEqual(expect.arrayContaining(["@pulumi/pulumi", "@pulumi/aws", "esbuild"]));
    for (const name of [...packages, ...preloaded]) expect(packageJson.dependencies, name).toHaveProperty(name);
  });
});

describe("Node.js versions", () => {
  const lowestMajor = Number(/^>=(\d+)$/.exec(packageJson.engines.node)?.[1]);

  it("support Node.js 22 and up (20 is past its end of life; @pulumi/pulumi requires 22)", () => {
    expect(lowestMajor).toBe(22);
  });

  it("type-check and bundle for the lowest supported major, so that nothing newer slips in", () => {
    expect(functionBundleOptions.target).toBe(`node${lowestMajor}`);
    expect(packageJson.devDependencies["@types/node"]).toMatch(new RegExp(`^\\^${lowestMajor}\\.`));
  });

  it("develop and deploy on Node.js 24: .nvmrc and Lambda's runtime name the same major", () => {
    const major = readFileSync(".nvmrc", "utf8").trim();

    expect(major).toBe("24");
    expect(lambdaRuntime).toBe(`nodejs${major}.x`);
  });
});

describe("README", () => {
  const readme = readFileSync("README.md", "utf8");
  const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1));

  it("deploys on a new backend: the quick start creates the dev stack (Pulumi.dev.yaml is config, not a stack) before `pulumi up`", () => {
    expect(quickStart).toContain("pulumi stack init dev");
    expect(quickStart.indexOf("pulumi stack init dev")).toBeLessThan(quickStart.indexOf("pulumi up"));
    expect(readme).not.toMatch(/pulumi stack select dev\s*&&\s*pulumi up/);
  });
});

describe("Pulumi.dev.yaml", () => {
  const config = stackConfig("Pulumi.dev.yaml");
  const projectKeys = Object.keys(config).filter((key) => key.startsWith(`${project}:`)).map((key) => key.slice(project.length + 1));

  it("sets the region and spells out every project key, and nothing else", () => {
    expect(config["aws:region"]).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect([...projectKeys].sort()).toEqual([...configKeys].sort());
  });

  it("holds exactly the defaults", () => {
    const dev = readConfig((key) => config[`${project}:${key}`], projectKeys);

    expect(dev).toEqual(readConfig(() => undefined));
  });

  it("keeps the seed's query parameter name one line away", () => {
    expect(readFileSync("Pulumi.dev.yaml", "utf8")).toMatch(/tokenQueryParameter: ID_Token/);
  });
});

describe("the program as `pulumi up` starts it", () => {
  it("loads index.ts through Pulumi's loader under Pulumi.yaml's nodeargs, with the dev stack's config", () => {
    // Prepare: what the CLI passes the language host for the dev stack.
    const nodeargs = runtimeOption("nodeargs")!.split(/\s+/);
    const environment = { ...process.env, PULUMI_CONFIG: JSON.stringify(stackConfig("Pulumi.dev.yaml")), PULUMI_NODEJS_TYPESCRIPT: runtimeOption("typescript") };

    // Act
    const child = spawnSync(process.execPath, [...nodeargs, "tests/infra/fixtures/pulumi-run.mjs"], { env: environment, encoding: "utf8", timeout: 60_000 });

    // Assess
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { types: string[]; outputs: Record<string, string>; failure?: string };
    expect(result.failure).toBeUndefined();
    expect(result.types).toContain("pulumi:pulumi:Stack");
    expect(result.types.filter((type) => type === "aws:lambda/function:Function")).toHaveLength(functionNames.length);
    expect(result.outputs).toEqual({
      webSocketUrl: `wss://${apiId}.execute-api.${region}.amazonaws.com/dev`,
      managementApiUrl: `https://${apiId}.execute-api.${region}.amazonaws.com/dev`,
      userPoolId: userPoolIdValue,
      userPoolClientId: userPoolClientIdValue,
      region,
      connectionsTableName: "connections-table-1a2b3c4",
      subscriptionsTableName: "channels-subscriptions-1a2b3c4",
      channelMessagesTableName: "channels-messages-1a2b3c4",
      channelHistorySeconds: 120,
      deliveriesTableName: "deliveries-table-1a2b3c4",
      postRateLimit: 2000,
    });
  });
});

describe("README.md", () => {
  it("documents every stack config key exactly as the settings schema declares it (npm run config-table)", () => {
    expect(readFileSync("README.md", "utf8")).toContain(`\n${configurationTable()}\n`);
  });
});
