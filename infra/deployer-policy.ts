/**
 * The IAM policy the identity running `pulumi preview`, `up`, `refresh` and `destroy` needs for a
 * stack config: per feature, the calls the AWS provider makes to create, read, update and delete
 * what the program declares, on the names the program gives (Pulumi's auto-names start with the
 * logical name). Pure, so each feature's statements are unit-tested. `npm run deployer-policy`
 * prints it.
 */
import type { StackConfig } from "./config.js";

export interface DeployerStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface DeployTarget {
  readonly accountId: string;
  readonly region: string;
  /** @default "aws" */
  readonly partition?: string;
}

/** The statements for this config, each named after the feature that needs it. */
export function deployerStatements(config: StackConfig, { accountId, region, partition = "aws" }: DeployTarget): DeployerStatement[] {
  const arn = (service: string, resource: string, inRegion = true, inAccount = true) =>
    `arn:${partition}:${service}:${inRegion ? region : ""}:${inAccount ? accountId : ""}:${resource}`;
  const apiGateway = (path: string) => `arn:${partition}:apigateway:${region}::${path}`;
  const allow = (Sid: string, Action: string[], Resource: string[], Condition?: DeployerStatement["Condition"]): DeployerStatement => ({
    Sid,
    Effect: "Allow",
    Action: [...Action].sort(),
    Resource,
    ...(Condition && { Condition }),
  });
  const roles = [arn("iam", "role/websocket-*", false), ...(config.api.manageApiGatewayAccount ? [arn("iam", "role/apigateway-account-*", false)] : [])];
  const inThisRegion = { StringEquals: { "aws:RequestedRegion": region } };

  const statements: DeployerStatement[] = [
    allow(
      "Roles",
      [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:ListRoleTags",
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
      ],
      roles,
    ),
    allow("PassRolesToLambda", ["iam:PassRole"], [roles[0]!], { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } }),
    allow(
      "Functions",
      [
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:ListVersionsByFunction",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:ListTags",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "lambda:GetPolicy",
        // The fan-out worker's asynchronous invocation settings (the provider puts them on update too).
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:GetFunctionEventInvokeConfig",
        "lambda:DeleteFunctionEventInvokeConfig",
      ],
      [arn("lambda", "function:websocket-*")],
    ),
    allow(
      "LogGroups",
      [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:ListTagsForResource",
        "logs:TagResource",
        "logs:UntagResource",
      ],
      [arn("logs", "log-group:websocket-*")],
    ),
    allow("ListLogGroups", ["logs:DescribeLogGroups"], [arn("logs", "log-group:*")]),
    allow(
      "Tables",
      [
        "dynamodb:CreateTable",
        "dynamodb:DeleteTable",
        "dynamodb:DescribeTable",
        "dynamodb:UpdateTable",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:UpdateTimeToLive",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups",
        "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
      ],
      [
        arn("dynamodb", "table/connections-table-*"),
        arn("dynamodb", "table/channels-*"),
        arn("dynamodb", "table/rate-limits-table-*"),
        arn("dynamodb", "table/deliveries-table-*"),
      ],
    ),
    allow(
      "FailedDeliveriesQueue",
      [
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
        "sqs:ListQueueTags",
        "sqs:TagQueue",
        "sqs:UntagQueue",
      ],
      [arn("sqs", "deliveries-failed-*")],
    ),
    allow(
      "WebSocketApi",
      ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:PUT", "apigateway:DELETE"],
      [apiGateway("/apis"), apiGateway("/apis/*")],
    ),
  ];

  if (!config.userPool.existing) {
    statements.push(
      // Cognito names no resource at creation, so CreateUserPool cannot be narrowed.
      allow("CreateUserPool", ["cognito-idp:CreateUserPool"], ["*"], inThisRegion),
      allow(
        "UserPool",
        [
          "cognito-idp:DeleteUserPool",
          "cognito-idp:DescribeUserPool",
          "cognito-idp:UpdateUserPool",
          "cognito-idp:GetUserPoolMfaConfig",
          "cognito-idp:SetUserPoolMfaConfig",
          "cognito-idp:CreateUserPoolClient",
          "cognito-idp:DescribeUserPoolClient",
          "cognito-idp:UpdateUserPoolClient",
          "cognito-idp:DeleteUserPoolClient",
          "cognito-idp:ListTagsForResource",
          "cognito-idp:TagResource",
          "cognito-idp:UntagResource",
        ],
        [arn("cognito-idp", "userpool/*")],
      ),
    );
  }

  if (config.api.manageApiGatewayAccount) {
    statements.push(
      allow("ApiGatewayAccountSetting", ["apigateway:GET", "apigateway:PATCH"], [apiGateway("/account")]),
      allow("PassRoleToApiGateway", ["iam:PassRole"], [arn("iam", "role/apigateway-account-*", false)], {
        StringEquals: { "iam:PassedToService": "apigateway.amazonaws.com" },
      }),
    );
  }

  if (config.expirySweep) {
    statements.push(
      allow(
        "ExpirySchedule",
        [
          "events:PutRule",
          "events:DeleteRule",
          "events:DescribeRule",
          "events:PutTargets",
          "events:RemoveTargets",
          "events:ListTargetsByRule",
          "events:ListTagsForResource",
          "events:TagResource",
          "events:UntagResource",
        ],
        [arn("events", "rule/expiry-sweep-*")],
      ),
    );
  }

  if (config.network.kind !== "none") {
    // EC2 names few resources before they exist, so these are held to the stack's region instead.
    const securityGroup = [
      "ec2:CreateSecurityGroup",
      "ec2:DeleteSecurityGroup",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSecurityGroupRules",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:CreateTags",
      "ec2:DeleteTags",
    ];
    // What Lambda checks on the caller for a function in a VPC, and what it leaves behind on delete.
    const functionsInVpc = ["ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces"];
    const createdVpc = [
      "ec2:CreateVpc",
      "ec2:DeleteVpc",
      "ec2:DescribeVpcAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:CreateSubnet",
      "ec2:DeleteSubnet",
      "ec2:ModifySubnetAttribute",
      "ec2:CreateInternetGateway",
      "ec2:DeleteInternetGateway",
      "ec2:AttachInternetGateway",
      "ec2:DetachInternetGateway",
      "ec2:DescribeInternetGateways",
      "ec2:AllocateAddress",
      "ec2:ReleaseAddress",
      "ec2:DescribeAddresses",
      "ec2:DescribeAddressesAttribute",
      "ec2:CreateNatGateway",
      "ec2:DeleteNatGateway",
      "ec2:DescribeNatGateways",
      "ec2:CreateRouteTable",
      "ec2:DeleteRouteTable",
      "ec2:DescribeRouteTables",
      "ec2:CreateRoute",
      "ec2:DeleteRoute",
      "ec2:AssociateRouteTable",
      "ec2:DisassociateRouteTable",
      "ec2:DescribeAvailabilityZones",
    ];
    statements.push(
      allow("Network", [...securityGroup, ...functionsInVpc, ...(config.network.kind === "create" ? createdVpc : [])], ["*"], inThisRegion),
    );
  }

  if (config.api.customDomain) {
    statements.push(
      allow(
        "CustomDomain",
        ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
        [apiGateway("/domainnames"), apiGateway("/domainnames/*")],
      ),
    );
    if (config.api.customDomain.hostedZoneId) {
      statements.push(
        allow(
          "DnsRecord",
          ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"],
          [arn("route53", `hostedzone/${config.api.customDomain.hostedZoneId}`, false, false)],
        ),
        allow("DnsChange", ["route53:GetChange"], [arn("route53", "change/*", false, false)]),
      );
    }
  }

  if (config.webClient) {
    const bucket = arn("s3", "web-client-bucket-*", false, false);
    statements.push(
      allow(
        "WebClientBucket",
        [
          "s3:CreateBucket",
          "s3:DeleteBucket",
          "s3:ListBucket",
          // What the provider reads of a bucket on every refresh.
          "s3:GetBucketAcl",
          "s3:GetBucketCORS",
          "s3:GetBucketLocation",
          "s3:GetBucketLogging",
          "s3:GetBucketObjectLockConfiguration",
          "s3:GetBucketOwnershipControls",
          "s3:GetBucketPolicy",
          "s3:GetBucketPublicAccessBlock",
          "s3:GetBucketRequestPayment",
          "s3:GetBucketTagging",
          "s3:GetBucketVersioning",
          "s3:GetBucketWebsite",
          "s3:PutBucketPolicy",
          "s3:DeleteBucketPolicy",
          "s3:PutBucketPublicAccessBlock",
          "s3:PutBucketOwnershipControls",
          "s3:PutBucketTagging",
          "s3:GetAccelerateConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:GetLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:PutObject",
          "s3:GetObject",
          "s3:GetObjectTagging",
          "s3:DeleteObject",
        ],
        [bucket, `${bucket}/*`],
      ),
      allow(
        "WebClientDistribution",
        [
          "cloudfront:CreateDistribution",
          "cloudfront:GetDistribution",
          "cloudfront:UpdateDistribution",
          "cloudfront:DeleteDistribution",
          "cloudfront:TagResource",
          "cloudfront:ListTagsForResource",
          "cloudfront:CreateOriginAccessControl",
          "cloudfront:GetOriginAccessControl",
          "cloudfront:UpdateOriginAccessControl",
          "cloudfront:DeleteOriginAccessControl",
          "cloudfront:CreateResponseHeadersPolicy",
          "cloudfront:GetResponseHeadersPolicy",
          "cloudfront:UpdateResponseHeadersPolicy",
          "cloudfront:DeleteResponseHeadersPolicy",
        ],
        [
          arn("cloudfront", "distribution/*", false),
          arn("cloudfront", "origin-access-control/*", false),
          arn("cloudfront", "response-headers-policy/*", false),
        ],
      ),
    );
  }

  return statements;
}

export function deployerPolicy(config: StackConfig, target: DeployTarget): { Version: "2012-10-17"; Statement: DeployerStatement[] } {
  return { Version: "2012-10-17", Statement: deployerStatements(config, target) };
}
