/**
 * `npm start`: the whole system on 127.0.0.1, in the foreground until Ctrl-C / SIGTERM.
 *
 *   --gateway-port N   (GATEWAY_PORT, default 3001)   --cognito-port N  (COGNITO_PORT, default 9229)
 *   --dynamodb-port N  (DYNAMODB_PORT, default 8000)  --data-dir PATH   (default .local)
 *   --web-port N       (WEB_PORT, default 3000: the web client's page)
 *   --set KEY=VALUE    a stack config setting, as `pulumi config set KEY VALUE` takes it (repeatable),
 *                      e.g. --set channelHistorySeconds=600 --set tokenQueryParameter=ID_Token
 * Port 0 picks a free port.
 */
import { parseArgs } from "node:util";

// Before the SDK loads: its Node 20 notice is noise on a developer's console.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { localDefaults, parseLocalSettings, startLocalStack } = await import("./stack.js");

function port(flag: string | undefined, variable: string, fallback: number): number {
  const text = flag ?? process.env[variable];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${flag === undefined ? variable : `--${variable.toLowerCase().replace("_", "-")}`} must be a port number from 0 to 65535, got "${text}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "gateway-port": { type: "string" },
      "cognito-port": { type: "string" },
      "dynamodb-port": { type: "string" },
      "data-dir": { type: "string" },
      "web-port": { type: "string" },
      set: { type: "string", multiple: true, default: [] },
    },
  });
  const settings = parseLocalSettings(values.set);
  // Signals are handled from the start: one during start-up stops the stack as soon as it is up;
  // a second one exits at once (children go with us: see local/cognito.ts). One stop often brings
  // several copies of its signal: Ctrl-C and `kill -- -PGID` reach npm, tsx and this process alike,
  // and the npm and tsx wrappers forward theirs again within milliseconds. Copies arriving within
  // `echoWindowMs` of the first are that same request; only a later one is someone asking again.
  const echoWindowMs = 1000;
  let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
  let stopRequestedAt: number | undefined;
  const stop = () => {
    console.log("stopping every service");
    stack!.stop().then(
      () => {
        console.log("Stopped.");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequestedAt !== undefined) {
      if (performance.now() - stopRequestedAt < echoWindowMs) return;
      console.log(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    stopRequestedAt = performance.now();
    console.log(`\n${signal}: ${stack ? "" : "start-up will be undone; "}press Ctrl-C again to exit at once`);
    if (stack) stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const started = performance.now();
  console.log("Starting the local stack (offline; nothing from AWS is used)");
  stack = await startLocalStack({
    dataDirectory: values["data-dir"] ?? localDefaults.dataDirectory,
    ports: {
      gateway: port(values["gateway-port"], "GATEWAY_PORT", localDefaults.ports.gateway),
      cognito: port(values["cognito-port"], "COGNITO_PORT", localDefaults.ports.cognito),
      dynamodb: port(values["dynamodb-port"], "DYNAMODB_PORT", localDefaults.ports.dynamodb),
      web: port(values["web-port"], "WEB_PORT", localDefaults.ports.web ?? 3000),
    },
    settings,
  });
  console.log(`\nReady in ${Math.round(performance.now() - started)} ms. Outputs (also in ${stack.outputsFile}):`);
  console.log(JSON.stringify(stack.outputs, null, 2));
  if (stack.outputs.webClientUrl) console.log(`\nOpen ${stack.outputs.webClientUrl} to sign up, sign in and talk over the WebSocket.`);
  console.log("\nLocal tokens are signed with cognito-local's published key: for development only. Ctrl-C stops.");

  if (stopRequestedAt !== undefined) stop();
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
