/**
 * `npm run config-table`: the README's configuration table, generated from the settings schema.
 * A test keeps the README equal to it; after changing a setting, run this and paste its output.
 */
import { configKeys, settings, type Setting } from "../functions/settings/schema.js";

export function configurationTable(): string {
  const rows = configKeys.map((key) => {
    const setting = settings[key] as Setting<unknown>;
    const value = setting.default === undefined ? "(unset)" : `\`${setting.type.format(setting.default)}\``;
    return `| \`${key}\` | ${setting.defaultText ?? value} | ${setting.description} |`;
  });
  return ["| key | default | what it changes |", "|---|---|---|", ...rows].join("\n");
}

if (import.meta.filename === process.argv[1]) console.log(configurationTable());
