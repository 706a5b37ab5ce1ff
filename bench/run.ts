/**
 * `npm run bench [-- section...]`: what users weigh when they pick an authorizer and a fan-out
 * design, measured side by side on this machine, interleaved, as medians and ratios. Sections:
 * `authorizer` (warm), `cold` (bundle sizes, process start to first Allow), `broadcast` (fan-out),
 * `channel` (the same fan-out model for a channel publish), `fanout` (the deliver workers at
 * 1,000 to 100,000 recipients, beside one invocation).
 * Each rewrites its own part of BENCHMARKS.md with the command, date and machine. No argument:
 * all of them (a few minutes). The local gateway's figures come from `npm run load`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleDirectory, bundleFile } from "../functions/routes.js";
import { buildFunctions, bundlesAreStale } from "../build/functions.js";
import { runWarm, warmDefaults, warmFindings, warmSection } from "./authorizer.js";
import { goalsSection } from "./goals.js";
import { currentLoad, findingsComment, provenance, readBenchmarks, readFindings, writeSection } from "./lib/report.js";
import { localCertificate } from "./lib/tls.js";

type Section = "authorizer" | "cold" | "broadcast" | "channel" | "fanout";
const sections: readonly Section[] = ["authorizer", "cold", "broadcast", "channel", "fanout"];

// Before the SDK loads (the channel section uses it here): its Node 20 notice is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
for (const name of requested) {
  if (!(sections as readonly string[]).includes(name) && name !== "goals") {
    console.error(`unknown section "${name}"; sections: ${sections.join(", ")} (or goals: rebuild the goals table only)`);
    process.exit(2);
  }
}
if (requested.length === 1 && requested[0] === "goals") {
  await writeSection("goals", goalsSection(readFindings(await readBenchmarks())));
  console.log(goalsSection(readFindings(await readBenchmarks())));
  process.exit(0);
}
const selected = requested.length === 0 ? sections : (requested.filter((name) => name !== "goals") as Section[]);

if (await bundlesAreStale()) {
  console.log("building the function bundles (npm run build)…");
  await buildFunctions();
}
const authorizerBundle = resolve(bundleDirectory("authorizer"), bundleFile);
const scratch = await mkdtemp(join(tmpdir(), "websocket-cognito-bench-"));
try {
  const certificate = await localCertificate(scratch);
  for (const section of selected) {
    const started = performance.now();
    const load = currentLoad();
    const command = `npm run bench -- ${section}`;
    console.log(`▶ ${section}`);
    let body: string;
    switch (section) {
      case "authorizer": {
        const result = await runWarm(certificate, authorizerBundle, scratch);
        body = `## Authorizer, warm\n\n${provenance(command, (performance.now() - started) / 1000, load)}\n\n${warmSection(result, warmDefaults)}\n${findingsComment(section, warmFindings(result))}`;
        break;
      }
      case "cold": {
        const { coldFindings, coldSection, runCold } = await import("./cold-start.js");
        const result = await runCold({ certificate, scratch, bundle: authorizerBundle });
        body = `## Cold start\n\n${provenance(command, (performance.now() - started) / 1000, load)}\n\n${coldSection(result)}\n${findingsComment(section, coldFindings(result))}`;
        break;
      }
      case "broadcast": {
        const { broadcastFindings, broadcastSection, runBroadcast } = await import("./broadcast.js");
        const result = await runBroadcast(scratch);
        body = `## Broadcast fan-out\n\n${provenance(command, (performance.now() - started) / 1000, load)}\n\n${broadcastSection(result)}\n${findingsComment(section, broadcastFindings(result))}`;
        break;
      }
      case "channel": {
        const { channelFanOutFindings, channelFanOutSection, runChannelFanOut } = await import("./channel-fanout.js");
        const result = await runChannelFanOut(scratch);
        body = `## Channel fan-out\n\n${provenance(command, (performance.now() - started) / 1000, load)}\n\n${channelFanOutSection(result)}\n${findingsComment(section, channelFanOutFindings(result))}`;
        break;
      }
      case "fanout": {
        const { fanOutFindings, fanOutSection, runFanOutBench } = await import("./fanout.js");
        const result = await runFanOutBench(scratch);
        body = `## Fan-out by the deliver workers\n\n${provenance(command, (performance.now() - started) / 1000, load)}\n\n${fanOutSection(result)}\n${findingsComment(section, fanOutFindings(result))}`;
        break;
      }
    }
    await writeSection(section, body);
    console.log(body, "\n");
    // The goals table, from the latest figures of every section in the file.
    const goals = goalsSection(readFindings(await readBenchmarks()));
    await writeSection("goals", goals);
  }
  console.log(goalsSection(readFindings(await readBenchmarks())));
} finally {
  await rm(scratch, { recursive: true, force: true });
}
