/**
 * The functions' bundles: one esbuild bundle per function, into dist/functions/<name>/index.mjs.
 * These are exactly what Pulumi uploads (the program bundles the functions itself, the same way,
 * each time it runs) and what the local stack runs.
 */
import { build, type BuildOptions } from "esbuild";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { bundleDirectory, bundleFile, functionNames, type FunctionName } from "../functions/routes.js";
import { writeAtomically } from "./write-atomically.js";

/** How every function is bundled (the benchmarks bundle the authorizer's peers alike). */
export const functionBundleOptions = {
  bundle: true,
  format: "esm",
  platform: "node",
  // ES modules first where a package has both (as AWS CDK bundles ESM functions): tree-shakable,
  // which keeps the SDK's parts the notifier uses from pulling in the whole of @smithy/core.
  mainFields: ["module", "main"],
  // The lowest Node.js major the project supports (package.json engines): bundles run on Lambda's
  // Node.js 24 and, locally, on any supported node.
  target: "node22",
  minify: true,
  sourcemap: true,
  // The Lambda runtime ships the AWS SDK v3; locally it resolves from node_modules.
  external: ["@aws-sdk/*"],
  // Bundled CommonJS dependencies may call require(); give them one in ESM.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: "warning",
} as const satisfies BuildOptions;

/**
 * Bundles one function from `functions/handlers/<name>.ts` under `root` into its bundle directory
 * there, and resolves to that directory.
 */
export async function buildFunction(name: FunctionName, root = "."): Promise<string> {
  const directory = join(root, bundleDirectory(name));
  const { outputFiles } = await build({
    ...functionBundleOptions,
    entryPoints: [join(root, `functions/handlers/${name}.ts`)],
    outfile: join(directory, bundleFile),
    // Written below, each file atomically: tests start local stacks and run the program in parallel.
    write: false,
  });
  await Promise.all(outputFiles.map((file) => writeAtomically(file.path, file.contents)));
  return directory;
}

export async function buildFunctions(names: readonly FunctionName[] = functionNames): Promise<void> {
  await Promise.all(names.map((name) => buildFunction(name)));
}

/** True when a bundle is missing or older than any function source, the lockfile or this file. */
export async function bundlesAreStale(names: readonly FunctionName[] = functionNames): Promise<boolean> {
  const bundleTimes = await Promise.all(
    names.map((name) => stat(`${bundleDirectory(name)}/${bundleFile}`).then((file) => file.mtimeMs, () => -Infinity)),
  );
  const sources = [
    ...(await readdir("functions", { recursive: true })).map((file) => join("functions", file)),
    "package-lock.json",
    // The build options themselves.
    import.meta.filename,
  ];
  const sourceTimes = await Promise.all(sources.map((file) => stat(file).then((entry) => entry.mtimeMs)));
  return Math.max(...sourceTimes) > Math.min(...bundleTimes);
}
