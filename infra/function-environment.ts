/**
 * A function's environment: the settings block its route-table entry names, written by the
 * contract's own writers (functions/environment.ts), plus the logger's two variables.
 */
import {
  authorizerEnvironment,
  messagingEnvironment,
  type AuthorizerSettings,
  type Environment,
  type MessagingSettings,
} from "../functions/environment.js";
import type { FunctionName } from "../functions/routes.js";
import type { LogLevel } from "./config.js";

export type FunctionSettings =
  | { readonly settings: "authorizer"; readonly authorizer: AuthorizerSettings }
  | { readonly settings: "messaging"; readonly messaging: MessagingSettings };

export function functionEnvironment(name: FunctionName, block: FunctionSettings, logLevel: LogLevel): Environment {
  const variables = block.settings === "authorizer" ? authorizerEnvironment(block.authorizer) : messagingEnvironment(block.messaging);
  return checkEnvironmentSize(name, { ...variables, POWERTOOLS_SERVICE_NAME: name, LOG_LEVEL: logLevel });
}

/** Lambda refuses a function whose environment variables (names and values) exceed 4 KB in total. */
export const lambdaEnvironmentLimitBytes = 4096;

export const environmentSize = (environment: Environment): number =>
  Object.entries(environment).reduce((total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value), 0);

/** Fails here, naming the function and its largest variables, rather than at Lambda's API mid-deployment. */
export function checkEnvironmentSize(name: FunctionName, environment: Environment): Environment {
  const size = environmentSize(environment);
  if (size > lambdaEnvironmentLimitBytes) {
    const largest = Object.entries(environment)
      .map(([key, value]) => [key, Buffer.byteLength(key) + Buffer.byteLength(value)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([key, bytes]) => `${key} ${bytes} B`)
      .join(", ");
    throw new Error(`The ${name} function's environment is ${size} bytes; Lambda allows ${lambdaEnvironmentLimitBytes} in total (largest: ${largest})`);
  }
  return environment;
}
