/** The `webClient` config key: validated like every key, off by default, and nothing of the site without it. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, configDefaults, readConfig } from "../../infra/config.js";
import { siteFiles } from "../../infra/static-site.js";
import { runProgram, type ProgramRun } from "./harness.js";

const source = (values: Record<string, string>) => (key: string) => values[key];

describe("the webClient key", () => {
  it("is off by default, and on with true", () => {
    expect(configDefaults.webClient).toBe(false);
    expect(readConfig(source({})).webClient).toBe(false);
    expect(readConfig(source({ webClient: "" })).webClient).toBe(false);
    expect(readConfig(source({ webClient: "true" })).webClient).toBe(true);
    expect(readConfig(source({ webClient: "false" })).webClient).toBe(false);
  });

  it("refuses anything but true or false, naming the key", () => {
    let error: unknown;
    try {
      readConfig(source({ webClient: "yes" }), ["webClient"]);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['webClient: accepts true or false; got "yes"']);
  });
});

describe("the site's build directory", () => {
  it("lists the files to upload, leaving out config.json (written from outputs), dot files and build leftovers", async () => {
    const directory = await mkdtemp(join(tmpdir(), "site-"));
    try {
      for (const file of ["index.html", "app.js", "styles.css", "config.json", ".DS_Store", "app.js.123.abc.tmp"]) await writeFile(join(directory, file), "x");

      expect(siteFiles("web-client", directory)).toEqual(["app.js", "index.html", "styles.css"]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("stops `pulumi up` with the command to run when the page is not built", async () => {
    const directory = await mkdtemp(join(tmpdir(), "site-"));
    try {
      expect(() => siteFiles("web-client", join(directory, "missing"))).toThrow(/web-client: the web client is not built in .*missing\/ .*run `npm run build` before `pulumi up`/);
      await writeFile(join(directory, "index.html"), "x");
      expect(() => siteFiles("web-client", directory)).toThrow(/not built/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("with webClient unset", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram();
  });

  it("declares no site resources and exports no webClientUrl", () => {
    expect(run.resources.filter((r) => /StaticSite|^aws:s3\/|^aws:cloudfront\//.test(r.type))).toEqual([]);
    expect(run.outputs.webClientUrl).toBeUndefined();
    expect(Object.entries(run.outputs).filter(([, value]) => value !== undefined).map(([key]) => key)).not.toContain("webClientUrl");
  });
});
