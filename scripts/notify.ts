/**
 * `npm run notify -- --user SUB --data '...'`: push data to every connection of a Cognito user,
 * through the management API, as another service would.
 *
 *   --outputs PATH   stack outputs (default .local/outputs.json); `-` reads stdin, e.g.
 *                    pulumi stack output --json | npm run notify -- --user SUB --data hi --outputs -
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { connectionAttributes } from "../functions/core/ports.js";
import { pushToUser } from "../functions/push.js";
import { parseOutputs, readOutputs } from "../local/outputs.js";

const usage = "usage: npm run notify -- --user SUB --data DATA [--outputs PATH|-]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { user: { type: "string" }, data: { type: "string" }, outputs: { type: "string", default: ".local/outputs.json" } },
  });
  if (!values.user) throw new Error(`--user is required (the Cognito sub of the recipient)\n${usage}`);
  if (values.data === undefined) throw new Error(`--data is required\n${usage}`);
  const outputs =
    values.outputs === "-" ? parseOutputs(await readFile("/dev/stdin", "utf8"), "standard input") : await readOutputs(values.outputs);
  const report = await pushToUser(
    {
      managementApiUrl: outputs.managementApiUrl,
      connectionsTableName: outputs.connectionsTableName,
      userIndexName: connectionAttributes.userIndexName,
      region: outputs.region,
      ...(outputs.dynamoDbEndpoint ? { dynamoDbEndpoint: outputs.dynamoDbEndpoint } : {}),
    },
    values.user,
    values.data,
  );
  console.log(JSON.stringify(report));
  if (report.failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`notify: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
