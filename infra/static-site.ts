import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cloudWebClientConfig, type WebClientConfig } from "../web/src/config.js";
import { configFileName, contentSecurityPolicy, contentTypeOf } from "../web/site.js";

export interface StaticSiteArgs {
  /**
   * The web client's build (`dist/web`), uploaded file by file as it is. Pulumi runs no build step:
   * build it before `pulumi up`.
   */
  directory: string;
  /** The stack outputs the page needs; written next to it as config.json. */
  client: {
    webSocketUrl: pulumi.Input<string>;
    userPoolId: pulumi.Input<string>;
    userPoolClientId: pulumi.Input<string>;
    /** Whether the page offers "Create account". @default true */
    selfSignUp?: boolean;
  };
  /**
   * CloudFront price class: which edge locations serve the page.
   * @default "PriceClass_100" (North America and Europe: the cheapest)
   */
  priceClass?: pulumi.Input<string>;
}

/** AWS's managed cache policy "CachingOptimized" (gzip and brotli, no cookies or query strings in the key). */
export const cachingOptimizedPolicyId = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/** The bucket policy: objects readable by this one CloudFront distribution, and by nothing else. */
export function readableByDistribution(bucketArn: string, distributionArn: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudFrontReadsThroughOriginAccessControl",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      },
    ],
  };
}

/** The files of a build directory (flat, as the web build writes it), or a RunError saying how to build it. */
export function siteFiles(name: string, directory: string): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(directory).filter((file) => !file.startsWith(".") && !file.endsWith(".tmp") && statSync(join(directory, file)).isFile());
  } catch {
    // Reported below.
  }
  if (!files.includes("index.html") || !files.includes("app.js")) {
    throw new pulumi.RunError(`${name}: the web client is not built in ${directory}/ (no index.html and app.js); run \`npm run build\` before \`pulumi up\``);
  }
  return files.filter((file) => file !== configFileName).sort();
}

/**
 * The web client on HTTPS: a private S3 bucket behind a CloudFront distribution that reads it
 * through Origin Access Control, the page's files uploaded with their content types, and a
 * config.json written from the stack outputs. The response headers carry a Content-Security-Policy
 * that lets the page talk to this stack's WebSocket API and Cognito endpoint only.
 */
export class StaticSite extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly distributionId: pulumi.Output<string>;
  /** `https://{id}.cloudfront.net/`: the `webClientUrl` output. */
  readonly url: pulumi.Output<string>;
  /** What config.json holds. */
  readonly clientConfig: pulumi.Output<WebClientConfig>;

  constructor(name: string, args: StaticSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    const files = siteFiles(name, args.directory);
    super("websocket-cognito:aws:StaticSite", name, {}, opts);

    // 1. A private bucket: no ACLs, no public policy, objects owned by the bucket owner.
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: true }, { parent: this });
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });

    // 2. CloudFront signs its requests to the bucket (Origin Access Control, not the legacy OAI).
    const originAccessControl = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      { description: `${name}: CloudFront reads the web client's bucket`, originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
      { parent: this },
    );
    this.clientConfig = pulumi.output(args.client).apply((client) => cloudWebClientConfig(client));
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-headers`,
      {
        comment: `${name}: security headers of the web client`,
        securityHeadersConfig: {
          contentSecurityPolicy: {
            contentSecurityPolicy: this.clientConfig.apply((config) => contentSecurityPolicy([config.webSocketUrl, config.cognitoEndpoint])),
            override: true,
          },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: "DENY", override: true },
          referrerPolicy: { referrerPolicy: "no-referrer", override: true },
          strictTransportSecurity: { accessControlMaxAgeSec: 31_536_000, includeSubdomains: false, override: true },
        },
      },
      { parent: this },
    );
    const originId = "web-client-bucket";
    const distribution = new aws.cloudfront.Distribution(
      `${name}-distribution`,
      {
        enabled: true,
        comment: `${name}: the web client`,
        defaultRootObject: "index.html",
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        priceClass: args.priceClass ?? "PriceClass_100",
        origins: [{ originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: originAccessControl.id }],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: cachingOptimizedPolicyId,
          responseHeadersPolicyId: headers.id,
        },
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: { cloudfrontDefaultCertificate: true },
      },
      { parent: this },
    );

    // 3. Only this distribution may read the objects. After the public access block, which would
    //    otherwise race the policy.
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucket.id, policy: pulumi.all([bucket.arn, distribution.arn]).apply(([bucketArn, distributionArn]) => JSON.stringify(readableByDistribution(bucketArn, distributionArn))) },
      { parent: this, dependsOn: [publicAccessBlock] },
    );

    // 4. The page, and its settings from the stack outputs. `no-cache`: browsers and CloudFront
    //    revalidate, so a deployment shows at once (the files are small and not content-hashed).
    for (const file of files) {
      new aws.s3.BucketObjectv2(
        `${name}-${file}`,
        { bucket: bucket.id, key: file, source: new pulumi.asset.FileAsset(join(args.directory, file)), contentType: contentTypeOf(file), cacheControl: "no-cache" },
        { parent: this },
      );
    }
    new aws.s3.BucketObjectv2(
      `${name}-${configFileName}`,
      {
        bucket: bucket.id,
        key: configFileName,
        content: this.clientConfig.apply((config) => `${JSON.stringify(config, null, 2)}\n`),
        contentType: contentTypeOf(configFileName),
        cacheControl: "no-cache",
      },
      { parent: this },
    );

    this.bucketName = bucket.bucket;
    this.distributionId = distribution.id;
    this.url = pulumi.interpolate`https://${distribution.domainName}/`;
    this.registerOutputs({ bucketName: this.bucketName, distributionId: this.distributionId, url: this.url });
  }
}
