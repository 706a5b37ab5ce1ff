/**
 * .ci/run tests on the Node.js major Lambda runs: where the machine's node is older than 24, it
 * installs the npm package node-linux-<arch>@24 and puts its binary first on PATH, and it always
 * says which node runs. Here `node` and `npm` are stand-ins, so nothing is installed.
 */
import { spawnSync } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const arch = process.arch === "arm64" ? "arm64" : "x64";
let root: string;

/** A `node` that answers `--version` and `-p <major>` as Node `version` would. */
const fakeNode = (version: string) => `#!/bin/sh
if [ "$1" = "--version" ]; then echo "v${version}"; else echo "${version.split(".")[0]}"; fi
`;

/** An `npm` that records its arguments and "installs" a Node 24 where npm would put it. */
const fakeNpm = `#!/bin/sh
echo "$@" >> "$PWD/npm-calls"
for arg in "$@"; do case "$arg" in --prefix) next=prefix ;; *) if [ "$next" = prefix ]; then prefix="$arg"; next=; fi ;; esac; done
mkdir -p "$prefix/node_modules/node-linux-${arch}/bin"
cat > "$prefix/node_modules/node-linux-${arch}/bin/node" <<'NODE'
${fakeNode("24.1.0")}NODE
chmod +x "$prefix/node_modules/node-linux-${arch}/bin/node"
`;

async function useNode24(machineNodeVersion: string): Promise<{ status: number | null; stdout: string; npmCalls: string }> {
  const bin = join(root, "bin");
  await writeFile(join(bin, "node"), fakeNode(machineNodeVersion));
  await chmod(join(bin, "node"), 0o755);
  const child = spawnSync("bash", ["-c", "set -euo pipefail; source .ci/node.sh; use_node_24"], {
    cwd: root,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
    encoding: "utf8",
  });
  const npmCalls = await readFile(join(root, "npm-calls"), "utf8").catch(() => "");
  return { status: child.status, stdout: child.stdout, npmCalls };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "ci-node-"));
  await mkdir(join(root, ".ci"));
  await mkdir(join(root, "bin"));
  await copyFile(".ci/node.sh", join(root, ".ci/node.sh"));
  await writeFile(join(root, "bin/npm"), fakeNpm);
  await chmod(join(root, "bin/npm"), 0o755);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe(".ci/run's node", () => {
  it.each(["20.20.2", "22.12.0"])("on a machine with node %s: installs node-linux-<arch>@24 from npm and runs on it", async (machine) => {
    const { status, stdout, npmCalls } = await useNode24(machine);

    expect(status).toBe(0);
    expect(npmCalls.trim()).toBe(`install --prefix ${root}/.ci/.node --no-save --no-package-lock --no-audit --no-fund node-linux-${arch}@24`);
    expect(stdout.trim()).toBe(`.ci/run: running on node v24.1.0 (${root}/.ci/.node/node_modules/node-linux-${arch}/bin/node)`);
  });

  it("on a machine with node 24: runs on it and installs nothing", async () => {
    const { status, stdout, npmCalls } = await useNode24("24.3.0");

    expect(status).toBe(0);
    expect(npmCalls).toBe("");
    expect(stdout.trim()).toBe(`.ci/run: running on node v24.3.0 (${root}/bin/node)`);
  });

  it("is what .ci/run uses before it installs and tests", async () => {
    const run = await readFile(".ci/run", "utf8");

    expect(run.indexOf("use_node_24")).toBeGreaterThan(run.indexOf("source .ci/node.sh"));
    expect(run.indexOf("use_node_24")).toBeLessThan(run.indexOf("npm ci"));
  });
});
