/**
 * The web client's static hosting (`webClient: true`) under the mocked Pulumi runtime: a private
 * bucket that only the distribution reads (Origin Access Control), HTTPS, the build uploaded with
 * its content types, config.json from the stack outputs, and the `webClientUrl` output.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { cachingOptimizedPolicyId, readableByDistribution } from "../../infra/static-site.js";
import { ensureWebClient } from "../../build/web-client.js";
import { parseWebClientConfig } from "../../web/src/config.js";
import { contentTypeOf, webClientDirectory } from "../../web/site.js";
import { accountId, apiId, ofType, region, resource, runProgram, userPoolClientIdValue, type ProgramRun } from "./harness.js";

const distributionArn = `arn:aws:cloudfront::${accountId}:distribution/E2EXAMPLE12345`;
const distributionDomain = "d111111abcdef8.cloudfront.net";
const bucketName = "web-client-bucket-1a2b3c4";
const bucketArn = `arn:aws:s3:::${bucketName}`;
const publicAccessBlockType = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";

/** What AWS computes for the site's resources, which the shared harness does not know. */
function siteState(type: string, state: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return { bucket: bucketName, arn: bucketArn, bucketRegionalDomainName: `${bucketName}.s3.${region}.amazonaws.com` };
    case "aws:cloudfront/distribution:Distribution":
      return { arn: distributionArn, domainName: distributionDomain };
    default:
      return state;
  }
}

/** Ids AWS gives them: a bucket's id is its name. */
const siteIds: Record<string, string> = {
  "aws:s3/bucket:Bucket": bucketName,
  "aws:cloudfront/originAccessControl:OriginAccessControl": "E3OACEXAMPLE",
};

/** The harness's runProgram, its mocks extended with what AWS computes for the site's resources. */
async function runWithWebClient(): Promise<ProgramRun> {
  type SetMocks = typeof pulumi.runtime.setMocks;
  const runtime = pulumi.runtime as unknown as { setMocks: SetMocks };
  const setMocks = runtime.setMocks;
  runtime.setMocks = (mocks, ...rest) =>
    setMocks(
      {
        async newResource(args) {
          const result = await mocks.newResource(args);
          Object.assign(result.state, siteState(args.type, result.state)); // the recorded state too
          return args.type in siteIds ? { ...result, id: siteIds[args.type] } : result;
        },
        call: (args) => mocks.call(args),
      },
      ...rest,
    );
  try {
    return await runProgram({ webClient: "true" }, { slowTypes: [publicAccessBlockType] });
  } finally {
    runtime.setMocks = setMocks;
  }
}

let run: ProgramRun;
beforeAll(async () => {
  await ensureWebClient();
  run = await runWithWebClient();
});

const objects = () => ofType(run, "aws:s3/bucketObjectv2:BucketObjectv2");

describe("with webClient: true", () => {
  it("exports webClientUrl: the distribution's HTTPS address", () => {
    expect(run.outputs.webClientUrl).toBe(`https://${distributionDomain}/`);
  });

  it("declares one StaticSite component whose children are named after it", () => {
    expect(resource(run, "websocket-cognito:aws:StaticSite", "web-client")).toBeDefined();
    const children = run.resources.filter((r) => /^aws:(s3|cloudfront)\//.test(r.type));
    expect(children.length).toBeGreaterThan(6);
    for (const child of children) expect(child.name).toMatch(/^web-client-/);
  });

  it("keeps the bucket private: every public access blocked, ACLs off (BucketOwnerEnforced)", () => {
    expect(resource(run, publicAccessBlockType, "web-client-public-access-block").inputs).toMatchObject({
      bucket: bucketName,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(resource(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "web-client-ownership").inputs).toMatchObject({
      bucket: bucketName,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    expect(ofType(run, "aws:s3/bucketAcl:BucketAcl")).toEqual([]);
    expect(ofType(run, "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration")).toEqual([]);
  });

  it("lets CloudFront read the bucket through Origin Access Control (SigV4), not the legacy OAI", () => {
    expect(resource(run, "aws:cloudfront/originAccessControl:OriginAccessControl", "web-client-oac").inputs).toMatchObject({
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    expect(ofType(run, "aws:cloudfront/originAccessIdentity:OriginAccessIdentity")).toEqual([]);
    const origins = resource(run, "aws:cloudfront/distribution:Distribution", "web-client-distribution").inputs.origins as Record<string, unknown>[];
    expect(origins).toEqual([
      expect.objectContaining({ domainName: `${bucketName}.s3.${region}.amazonaws.com`, originAccessControlId: "E3OACEXAMPLE", originId: "web-client-bucket" }),
    ]);
    expect(origins[0]).not.toHaveProperty("s3OriginConfig");
  });

  it("allows s3:GetObject to cloudfront.amazonaws.com only when AWS:SourceArn is this distribution", () => {
    const policy = JSON.parse(String(resource(run, "aws:s3/bucketPolicy:BucketPolicy", "web-client-policy").inputs.policy));

    expect(policy).toEqual(readableByDistribution(bucketArn, distributionArn));
    expect(policy.Statement).toEqual([
      {
        Sid: "CloudFrontReadsThroughOriginAccessControl",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      },
    ]);
  });

  it("declares the bucket policy only after the public access block is in place", () => {
    const done = run.events.indexOf(`done ${publicAccessBlockType} web-client-public-access-block`);
    const start = run.events.indexOf("start aws:s3/bucketPolicy:BucketPolicy web-client-policy");
    expect(done).toBeGreaterThanOrEqual(0);
    expect(done).toBeLessThan(start);
  });

  it("serves over HTTPS only (redirect), index.html at the root, GET and HEAD, CloudFront's certificate", () => {
    const inputs = resource(run, "aws:cloudfront/distribution:Distribution", "web-client-distribution").inputs;

    expect(inputs).toMatchObject({
      enabled: true,
      defaultRootObject: "index.html",
      priceClass: "PriceClass_100",
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
      defaultCacheBehavior: {
        targetOriginId: "web-client-bucket",
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: cachingOptimizedPolicyId,
        responseHeadersPolicyId: "web-client-headers-id",
      },
    });
  });

  it("sends a Content-Security-Policy that allows exactly this stack's WebSocket API and Cognito endpoint", () => {
    const config = resource(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "web-client-headers").inputs.securityHeadersConfig;

    expect(config.contentSecurityPolicy.override).toBe(true);
    expect(config.contentSecurityPolicy.contentSecurityPolicy).toContain(
      `connect-src 'self' wss://${apiId}.execute-api.${region}.amazonaws.com https://cognito-idp.${region}.amazonaws.com;`,
    );
    expect(config.contentSecurityPolicy.contentSecurityPolicy).toContain("script-src 'self'");
    expect(config).toMatchObject({ frameOptions: { frameOption: "DENY" }, contentTypeOptions: { override: true }, strictTransportSecurity: { override: true } });
  });

  it("uploads every file of the build with its content type", async () => {
    const built = readdirSync(webClientDirectory).filter((file) => !file.endsWith(".tmp") && !file.startsWith(".")).sort();
    const uploaded = objects().filter((object) => object.inputs.key !== "config.json");

    expect(uploaded.map((object) => object.inputs.key).sort()).toEqual(built);
    expect(built).toEqual(expect.arrayContaining(["index.html", "app.js", "styles.css"]));
    for (const object of uploaded) {
      const key = String(object.inputs.key);
      expect(object.inputs).toMatchObject({ bucket: bucketName, contentType: contentTypeOf(key), cacheControl: "no-cache" });
      expect(object.inputs.source).toBeInstanceOf(pulumi.asset.FileAsset);
      expect(await (object.inputs.source as pulumi.asset.FileAsset).path).toBe(join(webClientDirectory, key));
    }
    expect(resource(run, "aws:s3/bucketObjectv2:BucketObjectv2", "web-client-index.html").inputs.contentType).toBe("text/html; charset=utf-8");
  });

  it("writes config.json from the stack outputs: the cloud WebSocket URL, the app client and Cognito's regional endpoint", () => {
    const object = resource(run, "aws:s3/bucketObjectv2:BucketObjectv2", "web-client-config.json");
    const content = JSON.parse(String(object.inputs.content));

    expect(object.inputs).toMatchObject({ key: "config.json", contentType: "application/json; charset=utf-8", cacheControl: "no-cache" });
    expect(content).toEqual({
      webSocketUrl: `wss://${apiId}.execute-api.${region}.amazonaws.com/dev`,
      userPoolClientId: userPoolClientIdValue,
      region,
      cognitoEndpoint: `https://cognito-idp.${region}.amazonaws.com/`,
      environment: "aws",
      selfSignUp: true,
    });
    expect(parseWebClientConfig(content)).toEqual(content); // what the page will accept
    expect(content.webSocketUrl).toBe(run.outputs.webSocketUrl);
  });
});
