/**
 * The page's settings, read from `config.json` next to it: the local web server writes it from the
 * local stack's outputs, the static hosting writes it from the cloud stack's outputs. Builders and
 * the parser live together so that writers and the reader agree on the shape.
 */

export interface WebClientConfig {
  /** `wss://…/{stage}` (cloud) or `ws://127.0.0.1:{port}/{stage}` (local). */
  readonly webSocketUrl: string;
  readonly userPoolClientId: string;
  readonly region: string;
  /** Cognito's JSON API: `https://cognito-idp.{region}.amazonaws.com/`, or cognito-local. */
  readonly cognitoEndpoint: string;
  /** Which stack the page talks to; the local one signs tokens with a published key. */
  readonly environment: "aws" | "local";
  /**
   * Local stack only: an endpoint of the local web server that confirms a new user at once
   * (cognito-local only "sends" the code to its log). Absent in the cloud: the emailed code is needed.
   */
  readonly localConfirmSignUpUrl?: string;
  /**
   * Whether users may create their own accounts (the pool's sign-up mode); `false`: the page offers
   * sign-in only. Absent (config files written before it existed) means `true`.
   */
  readonly selfSignUp?: boolean;
}

export class ConfigInvalidError extends Error {
  override readonly name = "ConfigInvalidError";
}

/** The page's settings for a cloud stack, from its outputs. The pool's region is in its id. */
export function cloudWebClientConfig(outputs: { webSocketUrl: string; userPoolId: string; userPoolClientId: string; selfSignUp?: boolean }): WebClientConfig {
  const region = outputs.userPoolId.split("_")[0]!;
  return {
    webSocketUrl: outputs.webSocketUrl,
    userPoolClientId: outputs.userPoolClientId,
    region,
    cognitoEndpoint: `https://cognito-idp.${region}.amazonaws.com/`,
    environment: "aws",
    ...(outputs.selfSignUp !== undefined && { selfSignUp: outputs.selfSignUp }),
  };
}

/** The page's settings for the local stack, from its outputs. */
export function localWebClientConfig(
  outputs: { webSocketUrl: string; userPoolClientId: string; region: string; cognitoEndpoint?: string; selfSignUp?: boolean },
  localConfirmSignUpUrl?: string,
): WebClientConfig {
  if (!outputs.cognitoEndpoint) throw new ConfigInvalidError("the local stack's outputs lack cognitoEndpoint");
  return {
    webSocketUrl: outputs.webSocketUrl,
    userPoolClientId: outputs.userPoolClientId,
    region: outputs.region,
    cognitoEndpoint: outputs.cognitoEndpoint,
    environment: "local",
    ...(localConfirmSignUpUrl !== undefined && { localConfirmSignUpUrl }),
    ...(outputs.selfSignUp !== undefined && { selfSignUp: outputs.selfSignUp }),
  };
}

/** Validates what `config.json` held; the message names the first bad field. */
export function parseWebClientConfig(value: unknown): WebClientConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigInvalidError("config.json is not a JSON object");
  const fields = value as Record<string, unknown>;
  const text = (key: keyof WebClientConfig): string => {
    const field = fields[key];
    if (typeof field !== "string" || field === "") throw new ConfigInvalidError(`config.json: "${key}" must be a non-empty string`);
    return field;
  };
  const url = (key: keyof WebClientConfig, protocols: readonly string[]): string => {
    const field = text(key);
    let parsed: URL;
    try {
      parsed = new URL(field);
    } catch {
      throw new ConfigInvalidError(`config.json: "${key}" is not a URL: ${field}`);
    }
    if (!protocols.includes(parsed.protocol)) throw new ConfigInvalidError(`config.json: "${key}" must use ${protocols.join(" or ")}, got ${field}`);
    if (parsed.search !== "" || parsed.username !== "") throw new ConfigInvalidError(`config.json: "${key}" must not carry a query string or credentials`);
    return field;
  };
  const environment = fields.environment;
  if (environment !== "aws" && environment !== "local") throw new ConfigInvalidError(`config.json: "environment" must be "aws" or "local"`);
  const { selfSignUp } = fields;
  if (selfSignUp !== undefined && typeof selfSignUp !== "boolean") throw new ConfigInvalidError(`config.json: "selfSignUp" must be true or false`);
  const config: WebClientConfig = {
    webSocketUrl: url("webSocketUrl", ["wss:", "ws:"]),
    userPoolClientId: text("userPoolClientId"),
    region: text("region"),
    cognitoEndpoint: url("cognitoEndpoint", ["https:", "http:"]),
    environment,
    ...(selfSignUp !== undefined && { selfSignUp }),
  };
  if (fields.localConfirmSignUpUrl !== undefined) {
    if (environment !== "local") throw new ConfigInvalidError(`config.json: "localConfirmSignUpUrl" exists for the local stack only`);
    return { ...config, localConfirmSignUpUrl: text("localConfirmSignUpUrl") };
  }
  return config;
}
