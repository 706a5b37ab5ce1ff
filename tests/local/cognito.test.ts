/** cognito-local as the local stack runs it: a supervised child process with private data. */
import { CognitoIdentityProviderClient, ListUserPoolsCommand } from "@aws-sdk/client-cognito-identity-provider";
import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ensureUserPool, startCognitoLocal, type LocalCognito } from "../../local/cognito.js";
import { freePort } from "../../local/ports.js";

describe("cognito-local", () => {
  let cognito: LocalCognito | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    await cognito?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
    cognito = directory = undefined;
  });

  async function start(warnings: string[] = []) {
    directory = await mkdtemp(join(tmpdir(), "cognito-local-"));
    const port = await freePort("127.0.0.1");
    cognito = await startCognitoLocal({ directory: join(directory, "cognito"), host: "127.0.0.1", port, warn: (line) => warnings.push(line) });
    const client = new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    return { cognito, client };
  }

  it("says at once that it died, and restarts it on the same port with its data", async () => {
    // Prepare
    const warnings: string[] = [];
    const { cognito, client } = await start(warnings);
    const pool = await ensureUserPool(client, "kept-pool", "kept-client");
    const firstPid = cognito.pid;

    // Act
    process.kill(firstPid!, "SIGKILL");

    // Assess
    await vi.waitFor(() => expect(warnings).toContain("! cognito exited (signal SIGKILL); restarting it"), { timeout: 15_000 });
    await vi.waitFor(() => expect(warnings).toContain(`✓ cognito     ${cognito.endpoint} restarted`), { timeout: 15_000 });
    expect(cognito.pid).not.toBe(firstPid);
    const { UserPools = [] } = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    expect(UserPools.map((listed) => listed.Id)).toContain(pool.userPoolId);
    client.destroy();
  });

  it("leaves a cognito-local that keeps dying stopped, saying so, after 3 restarts within a minute", async () => {
    const warnings: string[] = [];
    const { cognito, client } = await start(warnings);
    client.destroy();
    for (let restarts = 1; restarts <= 3; restarts++) {
      process.kill(cognito.pid!, "SIGKILL");
      await vi.waitFor(() => expect(warnings.filter((line) => line.endsWith("restarted"))).toHaveLength(restarts), { timeout: 15_000 });
    }
    process.kill(cognito.pid!, "SIGKILL");
    await vi.waitFor(() => expect(warnings.at(-1)).toMatch(/^! cognito exited \(signal SIGKILL\), 4 times within a minute: left stopped; sign-up and sign-in fail until npm start is run again/), { timeout: 15_000 });
    expect(warnings.filter((line) => line.endsWith("restarting it"))).toHaveLength(3);
  });

  it("stops without a restart, and without a warning", async () => {
    const warnings: string[] = [];
    const { cognito, client } = await start(warnings);
    client.destroy();
    const pid = cognito.pid!;
    await cognito.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(warnings).toEqual([]);
  });

  it("keeps its data directory private (0700), also one an earlier run left open, and its log 0600", async () => {
    // Prepare: a directory as an earlier version created it.
    directory = await mkdtemp(join(tmpdir(), "cognito-local-"));
    const cognitoDirectory = join(directory, "cognito");
    await mkdir(cognitoDirectory, { mode: 0o755 });
    await chmod(cognitoDirectory, 0o755);

    // Act
    cognito = await startCognitoLocal({ directory: cognitoDirectory, host: "127.0.0.1", port: await freePort("127.0.0.1"), warn: () => {} });

    // Assess
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    expect(await mode(cognitoDirectory)).toBe(0o700);
    expect(await mode(join(cognitoDirectory, ".cognito"))).toBe(0o700);
    expect(await mode(join(cognitoDirectory, "cognito-local.log"))).toBe(0o600);
  });
});
