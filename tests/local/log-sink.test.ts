/** The local stack's console output (`npm start`): function and gateway log lines. */
import { execFile } from "node:child_process";
import { setImmediate as nextTurn } from "node:timers/promises";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultLogSink } from "../../local/function-host.js";

afterEach(() => vi.restoreAllMocks());

describe("the default log sink", () => {
  it("writes the lines of one turn of the event loop together, one write per stream, in order", async () => {
    const writes: string[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      vi.spyOn(process[stream], "write").mockImplementation((text) => writes.push(`${stream}:${String(text)}`) > 0);
    }
    for (const [stream, line] of [["stdout", "a"], ["stdout", "b"], ["stderr", "c"], ["stdout", "d"]] as const) defaultLogSink({ source: "gateway", stream, line });
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(["stdout:a\nb\n", "stderr:c\n", "stdout:d\n"]);
  });

  it("writes what it gathered when the process exits before the turn ends", async () => {
    const script = `
      const { defaultLogSink } = await import(${JSON.stringify(new URL("../../local/function-host.ts", import.meta.url).href)});
      defaultLogSink({ source: "gateway", stream: "stdout", line: "one" });
      defaultLogSink({ source: "gateway", stream: "stderr", line: "two" });
      process.exit(0);`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    expect(stdout).toBe("one\n");
    expect(stderr).toBe("two\n");
  });
});
