/** The real local stack for end-to-end tests: temporary data, free ports, users signed in via the SDK. */
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StackOutputs } from "../../local/outputs.js";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../local/stack.js";
import type { TestClient } from "./ws-client.js";

export interface TestStack extends LocalStack {
  readonly dataDirectory: string;
  /** Every function and gateway log line. */
  readonly logs: string[];
  /** Stops the stack and removes its data. */
  destroy(): Promise<void>;
}

export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const dataDirectory = options.dataDirectory ?? (await mkdtemp(join(tmpdir(), "local-stack-")));
  const logs: string[] = [];
  const stack = await startLocalStack({
    dataDirectory,
    ports: { gateway: 0, cognito: 0, dynamodb: 0 },
    progress: () => undefined,
    ttlSweepIntervalMs: 200,
    log: ({ line }) => logs.push(line),
    ...options,
    // The per-user limits have tests of their own (limits.e2e); elsewhere one test user sends
    // bursts of frames and opens many sockets.
    settings: { userMessageRate: 0, maxConnectionsPerUser: 0, ...options.settings },
  });
  return {
    ...stack,
    dataDirectory,
    logs,
    async destroy() {
      await stack.stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

export function cognitoClient(outputs: StackOutputs): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: outputs.cognitoEndpoint,
    region: outputs.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

export interface SignedInUser {
  readonly email: string;
  readonly sub: string;
  readonly idToken: string;
  readonly accessToken: string;
}

/** The seeds' walkthrough: sign-up, admin-confirm-sign-up, initiate-auth (USER_PASSWORD_AUTH). */
export async function signUp(outputs: StackOutputs, email: string, password = "Passw0rd!", groups: string[] = []): Promise<SignedInUser> {
  const cognito = cognitoClient(outputs);
  try {
    await cognito.send(new SignUpCommand({ ClientId: outputs.userPoolClientId, Username: email, Password: password, UserAttributes: [{ Name: "email", Value: email }] }));
    await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: outputs.userPoolId, Username: email }));
    for (const group of groups) {
      await cognito.send(new CreateGroupCommand({ UserPoolId: outputs.userPoolId, GroupName: group })).catch(() => undefined);
      await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: outputs.userPoolId, Username: email, GroupName: group }));
    }
  } finally {
    cognito.destroy();
  }
  return signIn(outputs, email, password);
}

export async function signIn(outputs: StackOutputs, email: string, password = "Passw0rd!"): Promise<SignedInUser> {
  const cognito = cognitoClient(outputs);
  try {
    const { AuthenticationResult } = await cognito.send(
      new InitiateAuthCommand({ ClientId: outputs.userPoolClientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: email, PASSWORD: password } }),
    );
    const idToken = AuthenticationResult!.IdToken!;
    const claims = JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString()) as { sub: string };
    return { email, sub: claims.sub, idToken, accessToken: AuthenticationResult!.AccessToken! };
  } finally {
    cognito.destroy();
  }
}

/** Sends `whoami` and waits for its reply; broadcasts arriving in between are skipped. */
export async function whoami(client: TestClient): Promise<{ connectionId: string; userId: string; username: string }> {
  let index = client.messages.length;
  await client.send('{"action":"whoami"}');
  for (;;) {
    const frame = await client.message(index++);
    try {
      const reply = JSON.parse(frame) as Record<string, unknown>;
      if (typeof reply?.connectionId === "string" && typeof reply.userId === "string") return reply as never;
    } catch {
      // Not the reply: a broadcast of plain text.
    }
  }
}
