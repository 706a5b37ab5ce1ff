/**
 * `npm run load`: the local stack under load, on 127.0.0.1. Opens authenticated connections
 * (default 1,000, spread over 10 users), then fires a broadcast storm (default 40 broadcasts from
 * random senders, all in flight at once) and checks that every message reached every connection
 * exactly once. Figures go to BENCHMARKS.md, section "Local gateway under load".
 *
 *   npm run load -- --connections 1000 --users 10 --broadcasts 40
 *
 * The stack runs in its own process (as `npm start` does), so its memory is measured apart from
 * the clients'.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { parseOutputs, type StackOutputs } from "../local/outputs.js";
import { signUp, type SignedInUser } from "../tests/support/local-stack.js";
import { TestClient } from "../tests/support/ws-client.js";
import { rate, seconds } from "./lib/stats.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    users: { type: "string", default: "10" },
    broadcasts: { type: "string", default: "40" },
    "no-write": { type: "boolean", default: false },
  },
});
const count = (name: "connections" | "users" | "broadcasts", max: number): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}, got "${values[name]}"`);
  return value;
};
const connections = count("connections", 5000);
const users = count("users", connections);
const broadcasts = count("broadcasts", 1000);

/** Resident and peak memory of a process, from /proc (kB → MB). */
async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rssMb: field("VmRSS"), peakMb: field("VmHWM") };
}

async function startStackProcess(dataDirectory: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts", "--data-dir", dataDirectory, "--gateway-port", "0", "--cognito-port", "0", "--dynamodb-port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    // Function logs would cost the stack more than the load itself; warnings still show.
    env: { ...process.env, LOG_LEVEL: "WARN" },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes("Ready in")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the local stack did not start:\n${output}`);
    await sleep(50);
  }
  const outputs = parseOutputs(await readFile(join(dataDirectory, "outputs.json"), "utf8"), "outputs.json");
  return {
    child,
    outputs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

interface Figures {
  connections: number;
  users: number;
  broadcasts: number;
  connectSeconds: number;
  connectionsPerSecond: number;
  stormSeconds: number;
  deliveriesPerSecond: number;
  delivered: number;
  duplicates: number;
  missing: number;
  idleRssMb: number;
  connectedRssMb: number;
  peakRssMb: number;
  kbPerConnection: number;
}

async function run(): Promise<Figures> {
  const dataDirectory = await mkdtemp(join(tmpdir(), "load-"));
  const stack = await startStackProcess(dataDirectory);
  const open: TestClient[] = [];
  try {
    const { outputs } = stack;
    console.log(`stack up (pid ${stack.child.pid}); signing up ${users} users`);
    const accounts: SignedInUser[] = await pMap(Array.from({ length: users }, (_, i) => `load-${i}@example.com`), (email) => signUp(outputs, email), { concurrency: 5 });
    await sleep(500);
    const idle = await memoryOf(stack.child.pid!);

    console.log(`opening ${connections} connections`);
    const connect = (count: number) =>
      pMap(
        Array.from({ length: count }, (_, i) => accounts[i % users]!),
        async (account) => {
          const client = await TestClient.open(`${outputs.webSocketUrl}?idToken=${account.idToken}`);
          open.push(client);
          return client;
        },
        { concurrency: 50 },
      );
    // The first tenth also starts the function instances; memory per connection is read after it.
    const warmUp = Math.ceil(connections / 10);
    const connectStarted = performance.now();
    const clients = await connect(warmUp);
    await sleep(300);
    const warm = await memoryOf(stack.child.pid!);
    clients.push(...(await connect(connections - warmUp)));
    const connectMs = performance.now() - connectStarted;
    await sleep(500);
    const connected = await memoryOf(stack.child.pid!);

    console.log(`broadcast storm: ${broadcasts} broadcasts, ${broadcasts * connections} deliveries expected`);
    const ids = Array.from({ length: broadcasts }, (_, i) => `storm-${i}`);
    const expected = broadcasts * connections;
    const stormStarted = performance.now();
    const allArrived = new Promise<void>((resolve) => {
      let arrived = 0;
      for (const client of clients) {
        client.socket.on("message", () => {
          if (++arrived === expected) resolve();
        });
      }
    });
    await Promise.all(ids.map((id, i) => clients[(i * 7919) % connections]!.send(JSON.stringify({ action: "sendmessage", data: id }))));
    await Promise.race([allArrived, sleep(120_000, undefined, { ref: false })]);
    const stormMs = performance.now() - stormStarted;
    await sleep(300);
    const peak = await memoryOf(stack.child.pid!);

    let delivered = 0;
    let duplicates = 0;
    let missing = 0;
    for (const client of clients) {
      const seen = new Map<string, number>();
      for (const message of client.messages) seen.set(message, (seen.get(message) ?? 0) + 1);
      for (const id of ids) {
        const times = seen.get(id) ?? 0;
        delivered += Math.min(times, 1);
        duplicates += Math.max(times - 1, 0);
        missing += times === 0 ? 1 : 0;
      }
    }
    return {
      connections,
      users,
      broadcasts,
      connectSeconds: connectMs / 1000,
      connectionsPerSecond: connections / (connectMs / 1000),
      stormSeconds: stormMs / 1000,
      deliveriesPerSecond: delivered / (stormMs / 1000),
      delivered,
      duplicates,
      missing,
      idleRssMb: idle.rssMb,
      connectedRssMb: connected.rssMb,
      peakRssMb: peak.peakMb,
      kbPerConnection: ((connected.rssMb - warm.rssMb) * 1024) / (connections - warmUp),
    };
  } finally {
    for (const client of open) client.socket.terminate();
    await stack.stop();
    await rm(dataDirectory, { recursive: true, force: true });
  }
}

function section(figures: Figures): string {
  const exactlyOnce = figures.duplicates === 0 && figures.missing === 0;
  return `## Local gateway under load (\`npm run load\`)

Command: \`npm run load -- --connections ${figures.connections} --users ${figures.users} --broadcasts ${figures.broadcasts}\`
· ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus().length} cores. The local stack
runs in its own process (\`local/start.ts\`: gateway, function workers, dynalite, cognito-local as
its child); the ${figures.connections} \`ws\` clients run in the measuring process. Function logs at WARN.

| figure | value |
|---|---|
| authenticated connections opened (authorizer + \`$connect\` + DynamoDB put each, 50 at a time) | ${figures.connections} in ${seconds(figures.connectSeconds * 1000)}: **${rate(figures.connectionsPerSecond)}/s** |
| broadcast storm: ${figures.broadcasts} \`sendmessage\` at once to ${figures.connections} connections | ${figures.delivered} deliveries in ${seconds(figures.stormSeconds * 1000)}: **${rate(figures.deliveriesPerSecond)}/s** |
| exactly once | ${exactlyOnce ? "yes" : "**no**"}: ${figures.duplicates} duplicates, ${figures.missing} missing |
| stack memory (RSS) idle → ${figures.connections} connections → peak | ${figures.idleRssMb.toFixed(0)} MB → ${figures.connectedRssMb.toFixed(0)} MB → ${figures.peakRssMb.toFixed(0)} MB |
| memory per open connection (RSS growth after the first tenth, whose connects also start the function instances) | ${figures.kbPerConnection.toFixed(1)} kB |

Every delivery of the storm goes through the real path: the gateway invokes the \`sendmessage\`
bundle, which scans dynalite and posts each frame to the gateway's \`@connections\` API over HTTP.
`;
}

/** Replaces this section of BENCHMARKS.md (or appends it), leaving the other sections alone. */
async function writeSection(text: string): Promise<void> {
  const file = "BENCHMARKS.md";
  const current = await readFile(file, "utf8").catch(() => "# Benchmarks\n");
  const heading = "## Local gateway under load";
  const start = current.indexOf(heading);
  if (start === -1) return writeFile(file, `${current.trimEnd()}\n\n${text}`);
  const next = current.indexOf("\n## ", start + heading.length);
  await writeFile(file, `${current.slice(0, start)}${text}${next === -1 ? "" : `\n${current.slice(next + 1)}`}`);
}

const figures = await run();
console.log(JSON.stringify(figures, null, 2));
if (!values["no-write"]) await writeSection(section(figures));
if (figures.duplicates > 0 || figures.missing > 0) {
  console.error(`load: ${figures.duplicates} duplicate and ${figures.missing} missing deliveries`);
  process.exitCode = 1;
}
