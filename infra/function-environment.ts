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
  return { ...variables, POWERTOOLS_SERVICE_NAME: name, LOG_LEVEL: logLevel };
}
