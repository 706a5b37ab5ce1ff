import { build } from "esbuild";
import { resolve } from "node:path";

/** Bundles a benchmark's child script for the Node running the benchmark (not Lambda's). */
export async function bundleChild(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [resolve(entry)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Bundled CommonJS dependencies may call require(); give them one in ESM.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "warning",
  });
}
