/**
 * `npm run notify`: deliver data as another service would, through the management API:
 *
 *   --user SUB --data DATA        to every connection of a Cognito user
 *   --channel C --data DATA       published on a channel (not subject to its rules; no `from`);
 *                                 DATA is published as a string, or parsed as JSON with --json
 *   --outputs PATH                stack outputs (default .local/outputs.json); `-` reads stdin, e.g.
 *                                 pulumi stack output --json | npm run notify -- --channel news/all --data hi --outputs -
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { connectionAttributes } from "../functions/core/ports.js";
import { publishToChannel, pushToUser, type Pushed } from "../functions/push.js";
import { parseOutputs, readOutputs, type StackOutputs } from "../local/outputs.js";

const usage = "usage: npm run notify -- (--user SUB | --channel NAME) --data DATA [--json] [--outputs PATH|-]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: "string" },
      channel: { type: "string" },
      data: { type: "string" },
      json: { type: "boolean", default: false },
      outputs: { type: "string", default: ".local/outputs.json" },
    },
  });
  if ((values.user === undefined) === (values.channel === undefined)) throw new Error(`give exactly one of --user (a Cognito sub) and --channel\n${usage}`);
  if (values.data === undefined) throw new Error(`--data is required\n${usage}`);
  const outputs =
    values.outputs === "-" ? parseOutputs(await readFile("/dev/stdin", "utf8"), "standard input") : await readOutputs(values.outputs);
  const target = pushTarget(outputs);
  const options = { progress: (line: string) => console.error(line) };
  if (values.user !== undefined) {
    const pushed = await pushToUser(target, values.user, values.data, options);
    finish(pushed, {});
    return;
  }
  const data = values.json ? jsonText(values.data) : JSON.stringify(values.data);
  const { seq, delivery, summary } = await publishToChannel(target, values.channel!, data, options);
  finish({ ...delivery, ...(summary ? { summary } : {}) }, { channel: values.channel, seq });
}

/** One JSON line: what was delivered inline, or the shards' summary; exit code 1 when any recipient failed. */
function finish(pushed: Pushed, fields: Record<string, unknown>): void {
  const counts = "report" in pushed ? pushed.report : pushed.summary;
  console.log(JSON.stringify({ ...fields, ...(counts ?? { job: "job" in pushed ? pushed.job : undefined }) }));
  if ((counts?.failed ?? 0) > 0) process.exitCode = 1;
}

function pushTarget(outputs: StackOutputs) {
  const { subscriptionsTableName, channelMessagesTableName, channelHistorySeconds } = outputs;
  if (subscriptionsTableName === undefined || channelMessagesTableName === undefined || channelHistorySeconds === undefined) {
    throw new Error("the stack outputs lack the channel tables: deploy the current version (pulumi up) or restart npm start");
  }
  return {
    managementApiUrl: outputs.managementApiUrl,
    connectionsTableName: outputs.connectionsTableName,
    userIndexName: connectionAttributes.userIndexName,
    subscriptionsTableName,
    channelMessagesTableName,
    channelHistorySeconds,
    region: outputs.region,
    ...(outputs.dynamoDbEndpoint ? { dynamoDbEndpoint: outputs.dynamoDbEndpoint } : {}),
    // Older stacks have no deliveries table: their fan-outs are one unpaced batch.
    ...(outputs.deliveriesTableName && outputs.postRateLimit ? { deliveries: { tableName: outputs.deliveriesTableName, postRateLimit: outputs.postRateLimit } } : {}),
  };
}

function jsonText(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    throw new Error(`--data is not valid JSON (drop --json to publish it as a string)`);
  }
}

main().catch((error: unknown) => {
  console.error(`notify: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
