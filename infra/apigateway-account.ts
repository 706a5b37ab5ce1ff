import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument } from "./grants.js";

/** What API Gateway does with the account's CloudWatch role: create groups and streams, write and read them. */
export const apiGatewayLogActions = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:DescribeLogGroups",
  "logs:DescribeLogStreams",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:PutLogEvents",
];

/**
 * The region-wide API Gateway setting that names the role API Gateway writes CloudWatch logs with.
 * WebSocket stages refuse access logging until it is set. It is a singleton per account and region,
 * shared by every REST and WebSocket API there: skip this component where another stack or the
 * console already set it.
 *
 * Every resource here is retained on delete. With AWS provider v7, deleting the setting resets it
 * (no role), which would silently stop the logs of every other API in the region; and the setting
 * would name a deleted role if the role went. So `pulumi destroy` leaves both, still working.
 */
export class ApiGatewayAccount extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly account: aws.apigateway.Account;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:ApiGatewayAccount", name, {}, opts);
    const retained = { parent: this, retainOnDelete: true };

    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: caller.accountId.apply((accountId) => assumeRolePolicy("apigateway.amazonaws.com", accountId)),
        description: "API Gateway writes CloudWatch logs of this region's APIs with this role",
      },
      retained,
    );

    // The role serves every API of the account in this region, whose log groups API Gateway names
    // itself, so the narrowest resource is this account's log groups in this region.
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([partition.partition, region.region, caller.accountId])
          .apply(([partitionName, regionName, accountId]) =>
            JSON.stringify(
              policyDocument([
                {
                  Effect: "Allow",
                  Action: apiGatewayLogActions,
                  Resource: [`arn:${partitionName}:logs:${regionName}:${accountId}:log-group:*`],
                },
              ]),
            ),
          ),
      },
      retained,
    );

    // API Gateway validates the role when the setting is saved, so the policy goes first.
    this.account = new aws.apigateway.Account(
      `${name}-account`,
      { cloudwatchRoleArn: this.role.arn },
      { ...retained, dependsOn: [policy] },
    );

    this.registerOutputs({ cloudwatchRoleArn: this.account.cloudwatchRoleArn });
  }
}
