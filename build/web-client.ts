/**
 * The web client's build: web/src/main.ts bundled by esbuild into dist/web/app.js, next to
 * index.html and styles.css. config.json is not part of it: whoever serves the page writes it.
 *
 * Every file is written to a temporary name and renamed, so that a server or an upload reading
 * dist/web while a build runs (tests build concurrently) never sees half a file.
 */
import { build } from "esbuild";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { webClientDirectory } from "../web/site.js";
import { writeAtomically } from "./write-atomically.js";

const projectRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const webRoot = join(projectRoot, "web");
/** Where `buildWebClient` writes by default: dist/web of this project, whatever the working directory. */
export const defaultWebClientOutput = join(projectRoot, webClientDirectory);
/** Copied as they are. */
const staticFiles = ["index.html", "styles.css", "favicon.svg"];

/** The files a build writes, relative to the output directory. */
export const webClientFiles = ["index.html", "styles.css", "favicon.svg", "app.js"] as const;

export async function buildWebClient(outputDirectory: string = defaultWebClientOutput): Promise<void> {
  const result = await build({
    entryPoints: [join(webRoot, "src/main.ts")],
    outfile: join(outputDirectory, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022", "chrome110", "firefox115", "safari16"],
    minify: true,
    // The page is small: no source map to ship, and nothing in it is secret anyway.
    sourcemap: false,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  const files = [
    ...result.outputFiles.map((file) => ({ path: file.path, contents: file.contents as Uint8Array })),
    ...(await Promise.all(staticFiles.map(async (name) => ({ path: join(outputDirectory, name), contents: new Uint8Array(await readFile(join(webRoot, name))) })))),
  ];
  await Promise.all(files.map(({ path, contents }) => writeAtomically(path, contents)));
}

/** True when a file of the build is missing or older than a source of it (or the lockfile). */
export async function webClientIsStale(outputDirectory: string = defaultWebClientOutput): Promise<boolean> {
  const builtTimes = await Promise.all(webClientFiles.map((name) => stat(join(outputDirectory, name)).then((file) => file.mtimeMs, () => -Infinity)));
  const sources = [
    ...(await readdir(join(webRoot, "src"), { recursive: true })).map((file) => join(webRoot, "src", file)),
    ...staticFiles.map((name) => join(webRoot, name)),
    join(webRoot, "site.ts"),
    join(projectRoot, "package-lock.json"),
  ];
  const sourceTimes = await Promise.all(sources.map((file) => stat(file).then((entry) => entry.mtimeMs, () => 0)));
  return Math.max(...sourceTimes) > Math.min(...builtTimes);
}

/** Builds unless the build is up to date; says which. */
export async function ensureWebClient(outputDirectory: string = defaultWebClientOutput): Promise<"built" | "up to date"> {
  if (!(await webClientIsStale(outputDirectory))) return "up to date";
  await buildWebClient(outputDirectory);
  return "built";
}
