/**
 * `npm run build`: the functions' bundles (dist/functions) and the web client (dist/web): what
 * Pulumi uploads and what the local stack runs. Both also build themselves when stale.
 */
import { stat } from "node:fs/promises";
import { buildFunctions } from "../build/functions.js";
import { buildWebClient } from "../build/web-client.js";
import { bundleDirectory, bundleFile, functionNames } from "../functions/routes.js";

const started = performance.now();
await Promise.all([buildFunctions(), buildWebClient()]);
const sizes = await Promise.all(functionNames.map(async (name) => `${name} ${(await stat(`${bundleDirectory(name)}/${bundleFile}`)).size} B`));
console.log(`built the web client (dist/web) and ${functionNames.length} functions in ${Math.round(performance.now() - started)} ms: ${sizes.join(", ")}`);
