/**
 * cognito-local as a child process: the Cognito API and the pool's JWKS on 127.0.0.1. Its data
 * (JSON files, written in place) lives under the stack's data directory; a file left half-written
 * by a killed run is restored from the last good copy instead of breaking the next start.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, copyFile, mkdir, open, readdir, readFile, rename } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeAtomically } from "../build/write-atomically.js";
import { assertPortFree } from "./ports.js";

const startScript = createRequire(import.meta.url).resolve("cognito-local/lib/bin/start.js");

export interface LocalCognito {
  readonly endpoint: string;
  /** The running child's process id, for fault injection in tests. */
  readonly pid: number | undefined;
  /** Copies the data files that parse into the backup folder (call once the data is known good). */
  backup(): Promise<void>;
  stop(): Promise<void>;
}

export interface CognitoLocalOptions {
  readonly directory: string;
  readonly host: string;
  readonly port: number;
  /** Receives one line, at once, whenever cognito-local exits unbidden, is restarted, or cannot be. */
  readonly warn: (message: string) => void;
  /** The `iss` of its tokens, when clients reach it at another address (through the sign-up gate). @default its own */
  readonly issuerDomain?: string;
}

/** Restarts within this window, beyond which a crashing cognito-local is left stopped. */
const restartLimit = { count: 3, windowMs: 60_000 };

/**
 * Starts cognito-local and keeps it running: should it exit unbidden (killed, crashed), the stack
 * says so at once and starts it again on the same port, with the same data, so that every
 * endpoint in outputs.json stays right.
 */
export async function startCognitoLocal({ directory, host, port, warn, issuerDomain }: CognitoLocalOptions): Promise<LocalCognito> {
  await assertPortFree(host, port, "Cognito (cognito-local)");
  const dataDirectory = join(directory, ".cognito");
  const backupDirectory = join(directory, "backup");
  // The pool's users, password hashes and confirmation codes: this user's eyes only, also in a
  // directory left by an earlier run with wider permissions.
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  await mkdir(join(dataDirectory, "db"), { recursive: true, mode: 0o700 });
  await mkdir(backupDirectory, { recursive: true, mode: 0o700 });
  const endpoint = `http://${host}:${port}`;
  await setIssuerDomain(dataDirectory, issuerDomain);

  const launch = async (): Promise<ChildProcess> => {
    await repairDataFiles(dataDirectory, backupDirectory, warn);
    // Its own log (confirmation codes, requests) goes to a file, never to our console.
    const logFile = await open(join(directory, "cognito-local.log"), "a", 0o600);
    // Started through an IPC channel that it watches: when this process dies, even by SIGKILL, the
    // channel closes and cognito-local exits too, instead of keeping its port from the next start.
    // In a process group of its own, so that a signal to ours (Ctrl-C, `kill -- -PGID`) reaches only
    // us, and we stop it in order rather than see it die.
    const child = spawn(process.execPath, ["-e", `process.on("disconnect", () => process.exit(0)); require(${JSON.stringify(startScript)});`], {
      cwd: directory,
      env: { ...process.env, HOST: host, PORT: String(port), NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", logFile.fd, logFile.fd, "ipc"],
      detached: true,
    });
    try {
      await waitForHealth(endpoint, child);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    } finally {
      await logFile.close();
    }
    return child;
  };

  let child = await launch();
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const restarts: number[] = [];
  const supervise = (running: ChildProcess) =>
    running.once("exit", (code, signal) => {
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const now = Date.now();
      restarts.push(now);
      while (restarts[0]! < now - restartLimit.windowMs) restarts.shift();
      if (restarts.length > restartLimit.count) {
        warn(`! cognito exited (${how}), ${restarts.length} times within a minute: left stopped; sign-up and sign-in fail until npm start is run again (see cognito-local.log)`);
        return;
      }
      warn(`! cognito exited (${how}); restarting it`);
      restarting = launch().then(
        (next) => {
          child = next;
          if (stopping) return;
          supervise(next);
          warn(`✓ cognito     ${endpoint} restarted`);
        },
        (error: unknown) =>
          warn(`! cognito could not be restarted: ${error instanceof Error ? error.message : String(error)}; sign-up and sign-in fail until npm start is run again`),
      );
    });
  supervise(child);

  return {
    endpoint,
    get pid() {
      return child.pid;
    },
    backup: () => backupDataFiles(dataDirectory, backupDirectory),
    async stop() {
      stopping = true;
      await restarting;
      await stopChild(child);
    },
  };
}

export interface UserPoolIds {
  readonly userPoolId: string;
  readonly userPoolClientId: string;
}

/** Finds the pool and app client by name, or creates them: a restarted stack keeps its users. */
export async function ensureUserPool(client: CognitoIdentityProviderClient, poolName: string, clientName: string): Promise<UserPoolIds> {
  const { UserPools = [] } = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  const userPoolId =
    UserPools.find((pool) => pool.Name === poolName)?.Id ??
    (await client.send(new CreateUserPoolCommand({ PoolName: poolName, UsernameAttributes: ["email"], AutoVerifiedAttributes: ["email"] })))
      .UserPool!.Id!;
  const { UserPoolClients = [] } = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  const userPoolClientId =
    UserPoolClients.find((appClient) => appClient.ClientName === clientName)?.ClientId ??
    (
      await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: clientName,
          ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        }),
      )
    ).UserPoolClient!.ClientId!;
  return { userPoolId, userPoolClientId };
}

async function waitForHealth(endpoint: string, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`cognito-local exited during start-up; see its log (cognito-local.log in the data directory)`);
    try {
      if ((await fetch(`${endpoint}/health`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`cognito-local did not answer ${endpoint}/health within 15 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** The JSON files cognito-local keeps, relative to its data directory. */
async function dataFiles(dataDirectory: string): Promise<string[]> {
  const db = await readdir(join(dataDirectory, "db")).catch(() => []);
  return ["config.json", ...db.filter((name) => name.endsWith(".json")).map((name) => join("db", name))];
}

/** `missing` for a file not written yet; `bad` for one a killed process left half-written. */
async function check(path: string): Promise<"good" | "bad" | "missing"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return "missing";
  }
  try {
    JSON.parse(text);
    return "good";
  } catch {
    return "bad";
  }
}

async function repairDataFiles(dataDirectory: string, backupDirectory: string, warn: (message: string) => void): Promise<void> {
  for (const name of await dataFiles(dataDirectory)) {
    const path = join(dataDirectory, name);
    if ((await check(path)) !== "bad") continue;
    const backup = join(backupDirectory, name.replaceAll("/", "__"));
    await rename(path, `${path}.corrupt-${Date.now()}`).catch(() => undefined);
    if ((await check(backup)) === "good") {
      await copyFile(backup, path);
      warn(`cognito-local: ${name} was left incomplete by an interrupted run; restored the last good copy`);
    } else {
      warn(`cognito-local: ${name} was left incomplete by an interrupted run and has no good copy; it was set aside`);
    }
  }
}

async function backupDataFiles(dataDirectory: string, backupDirectory: string): Promise<void> {
  for (const name of await dataFiles(dataDirectory)) {
    const path = join(dataDirectory, name);
    if ((await check(path)) !== "good") continue;
    // Copy then rename, so that a backup is never half-written either.
    const backup = join(backupDirectory, name.replaceAll("/", "__"));
    await copyFile(path, `${backup}.tmp`);
    await rename(`${backup}.tmp`, backup);
  }
}

/** cognito-local's `TokenConfig.IssuerDomain` in its config.json: set, or removed to take its own address. */
async function setIssuerDomain(dataDirectory: string, issuerDomain: string | undefined): Promise<void> {
  const file = join(dataDirectory, "config.json");
  const config = (await readFile(file, "utf8").then((text) => JSON.parse(text) as Record<string, any>, () => ({}))) as Record<string, any>;
  if (issuerDomain === undefined) {
    if (config.TokenConfig?.IssuerDomain === undefined) return;
    delete config.TokenConfig.IssuerDomain;
  } else {
    config.TokenConfig = { ...config.TokenConfig, IssuerDomain: issuerDomain };
  }
  await writeAtomically(file, `${JSON.stringify(config, null, 2)}\n`);
}
