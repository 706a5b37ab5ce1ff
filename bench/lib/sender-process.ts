/**
 * A sender of the fan-out model in a fresh process, under `ulimit -n` (Lambda's descriptor limit),
 * as a new Lambda instance: the script gets `args` and then the limit it saw, and prints its
 * outcome as JSON on its last line.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export async function runSender<T>(script: string, args: readonly string[], fileLimit: number): Promise<T> {
  const { stdout } = await promisify(execFile)(
    "bash",
    ["-c", `ulimit -n ${fileLimit} && exec "$0" "$@" "$(ulimit -n)"`, process.execPath, script, ...args],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}
