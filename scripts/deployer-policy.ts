/**
 * `npm run deployer-policy -- --account 123456789012 [--stack dev] [--region eu-west-1]`: prints the
 * least-privilege IAM policy for deploying that stack, from its config file Pulumi.<stack>.yaml
 * (validated as `pulumi up` validates it) and the region it names.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { readConfig } from "../infra/config.js";
import { deployerPolicy } from "../infra/deployer-policy.js";

const project = "websocket-cognito";

/**
 * A stack file's `config:` map as `pulumi.Config` reads it: project keys without their prefix,
 * structured values (`pulumi config set --path`) as JSON, secrets left out (none is a deploy setting).
 */
export function stackConfigValues(yamlText: string): Record<string, string> {
  const config = (parse(yamlText) as { config?: Record<string, unknown> } | null)?.config ?? {};
  return Object.fromEntries(
    Object.entries(config)
      .filter(([, value]) => value !== null && !(typeof value === "object" && "secure" in value))
      .map(([key, value]) => [key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { account: { type: "string" }, stack: { type: "string", default: "dev" }, region: { type: "string" } } });
  if (!values.account || !/^\d{12}$/.test(values.account)) {
    console.error("deployer-policy: --account needs the 12-digit AWS account id to deploy to (aws sts get-caller-identity)");
    process.exit(2);
  }
  const file = `Pulumi.${values.stack}.yaml`;
  const settings = stackConfigValues(await readFile(file, "utf8"));
  const region = values.region ?? settings["aws:region"];
  if (!region) {
    console.error(`deployer-policy: ${file} sets no aws:region; pass --region`);
    process.exit(2);
  }
  const config = readConfig((key) => settings[key], Object.keys(settings).filter((key) => !key.includes(":")));
  console.log(JSON.stringify(deployerPolicy(config, { accountId: values.account, region }), null, 2));
}
