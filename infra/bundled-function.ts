import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./grants.js";

export interface BundledFunctionArgs {
  /** Directory of the function's bundle, once written (the program bundles from source as it runs); uploaded as is. */
  bundleDirectory: pulumi.Input<string>;
  /**
   * Module and export Lambda calls.
   * @default "index.handler"
   */
  handler?: string;
  description?: pulumi.Input<string>;
  /** Environment variables, written by functions/environment.ts. */
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Memory in MB.
   * @default 256
   */
  memorySize?: pulumi.Input<number>;
  /**
   * Timeout in seconds.
   * @default 10
   */
  timeout?: pulumi.Input<number>;
  /**
   * Retention of the function's log group, in days.
   * @default 14
   */
  logRetentionDays?: pulumi.Input<number>;
  /**
   * What the function may do besides writing its own logs: exact actions on exact ARNs.
   * @default []
   */
  policyStatements?: pulumi.Input<PolicyStatement[]>;
  /**
   * May invoke itself (`lambda:InvokeFunction` on its own unqualified ARN), in a policy of its own
   * attached once the function exists: `policyStatements` come first and cannot name the function.
   * @default false
   */
  invokesItself?: boolean;
  /** Place the function in these subnets with these security groups. @default not in a VPC */
  vpc?: {
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
}

/**
 * ENI management Lambda needs in a VPC: the action list of AWSLambdaVPCAccessExecutionRole (v3)
 * without its log actions. The Describe actions work only on `*`, hence the one unscoped resource.
 */
export const vpcNetworkInterfaceActions = [
  "ec2:AssignPrivateIpAddresses",
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:UnassignPrivateIpAddresses",
];

/** Lambda's Node.js 24 (nodejs22.x is deprecated on 2027-04-30); `.nvmrc` names the same major. */
export const lambdaRuntime = aws.lambda.Runtime.NodeJS24dX;

/**
 * One Lambda function from a bundle: Node.js 24 on arm64, its own log group with
 * retention, and its own role that can do exactly what `policyStatements` says.
 */
export class BundledFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly arn: pulumi.Output<string>;
  readonly invokeArn: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: BundledFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:BundledFunction", name, {}, opts);

    // Created here rather than by Lambda on first write, so that retention applies and destroy removes it.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays ?? 14 },
      { parent: this },
    );

    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"), description: `Execution role of ${name}` },
      { parent: this },
    );

    const statements = pulumi
      .all([this.logGroup.arn, args.policyStatements ?? []])
      .apply(([logGroupArn, granted]): PolicyStatement[] => [
        // `:*` covers the log streams of this group and nothing else.
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] },
        ...granted,
        ...(args.vpc ? [{ Effect: "Allow" as const, Action: vpcNetworkInterfaceActions, Resource: ["*"] }] : []),
      ]);
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: statements.apply((list) => JSON.stringify(policyDocument(list))) },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        code: pulumi.output(args.bundleDirectory).apply((directory) => new pulumi.asset.FileArchive(directory)),
        handler: args.handler ?? "index.handler",
        runtime: lambdaRuntime,
        architectures: ["arm64"],
        description: args.description,
        memorySize: args.memorySize ?? 256,
        timeout: args.timeout ?? 10,
        role: this.role.arn,
        // The bundle's source map (uploaded beside it) turns stack traces back into source lines.
        environment: { variables: pulumi.output(args.environment).apply((variables) => ({ ...variables, NODE_OPTIONS: "--enable-source-maps" })) },
        loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
        vpcConfig: args.vpc
          ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds }
          : undefined,
      },
      // Lambda checks the ENI permissions at creation, and the first invocation needs the rest.
      { parent: this, dependsOn: [policy] },
    );

    if (args.invokesItself) {
      new aws.iam.RolePolicy(
        `${name}-invoke-self`,
        {
          role: this.role.id,
          policy: this.function.arn.apply((arn) =>
            JSON.stringify(policyDocument([{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn] }])),
          ),
        },
        { parent: this },
      );
    }

    this.arn = this.function.arn;
    this.invokeArn = this.function.invokeArn;
    this.functionName = this.function.name;
    this.registerOutputs({ arn: this.arn, invokeArn: this.invokeArn, functionName: this.functionName });
  }
}
