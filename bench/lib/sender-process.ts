/**
 * A sender of the fan-out model in a fresh process, under `ulimit -n` (Lambda's descriptor limit),
 * as a new Lambda instance: the script gets `args` and then the limit it saw, and prints its
 * outcome as JSON on its last line (`reportOutcome`).
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

/** The sender's side: its outcome as JSON on stdout and exit 0, or its error on stderr and exit 1. */
export function reportOutcome(outcome: Promise<unknown>): void {
  outcome.then(
    (value) => {
      process.stdout.write(`${JSON.stringify(value)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
