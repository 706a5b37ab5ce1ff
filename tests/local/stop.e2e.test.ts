/**
 * `npm start` stopped the way a terminal or a process manager stops it: one signal to its whole
 * process group (npm, tsx and node each receive it, and the wrappers forward it again). Every
 * stop must run `$disconnect` for every open connection and exit cleanly.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynalite } from "../../local/dynamodb.js";
import type { StackOutputs } from "../../local/outputs.js";
import { signIn, signUp, whoami } from "../support/local-stack.js";
import { TestClient } from "../support/ws-client.js";

const stops = 10;

describe("npm start, stopped by one SIGTERM to its process group", { timeout: stops * 30_000 }, () => {
  let dataDirectory: string;
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), "stop-"));
  });
  afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

  /** `npm start` as a process group of its own, every port free; resolves once the stack is ready. */
  async function start() {
    const args = ["start", "--", "--data-dir", dataDirectory, "--gateway-port", "0", "--cognito-port", "0", "--dynamodb-port", "0", "--web-port", "0"];
    const child = spawn("npm", args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    // npm may die of the signal itself; the stack's node process lives on until it has stopped. The
    // pipe closes once every process holding it (npm, sh, tsx, node) has exited.
    const exited = new Promise<void>((resolve) => child.stdout.once("close", resolve));
    await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toMatch(/Ready in|failed/);
    expect(output).toContain("Ready in");
    const outputs = JSON.parse(await readFile(join(dataDirectory, "outputs.json"), "utf8")) as StackOutputs;
    return { child, outputs, exited, output: () => output };
  }

  /** The connection's record, read from the stopped stack's data on disk. */
  async function recordOnDisk(outputs: StackOutputs, connectionId: string) {
    const dynalite = await startDynalite({ host: "127.0.0.1", port: 0, directory: join(dataDirectory, "dynamodb") });
    const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: outputs.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    try {
      return (await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: outputs.connectionsTableName, Key: { connectionId } }))).Item;
    } finally {
      client.destroy();
      await dynalite.close();
    }
  }

  it(`runs $disconnect for the open connection and stops cleanly, ${stops} stops out of ${stops}`, async () => {
    for (let stop = 1; stop <= stops; stop++) {
      const stack = await start();
      // Signed in afresh each time: cognito-local's port, and so the tokens' issuer, changes.
      const { idToken } = await (stop === 1 ? signUp : signIn)(stack.outputs, "stopper@example.com");
      const client = await TestClient.open(`${stack.outputs.webSocketUrl}?idToken=${idToken}`);
      const { connectionId } = await whoami(client);

      process.kill(-stack.child.pid!, "SIGTERM");
      await stack.exited;

      expect(await recordOnDisk(stack.outputs, connectionId), `stop ${stop}: the record of ${connectionId}`).toBeUndefined();
      expect((await client.closed).code).toBe(1001);
      const output = stack.output().slice(stack.output().indexOf("Ready in"));
      expect(output, `stop ${stop}`).not.toMatch(/exiting now|! cognito exited/);
      expect(output, `stop ${stop}`).toMatch(/\nStopped\.\n/);
    }
  });
});
