import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ExpiryScheduleArgs {
  /** The sweeper function (the route table's `expirySweeperFunction`). */
  sweeper: { arn: pulumi.Input<string>; functionName: pulumi.Input<string> };
  /**
   * EventBridge schedule expression.
   * @default "rate(1 minute)"
   */
  schedule?: pulumi.Input<string>;
}

/**
 * Runs the sweeper on a schedule, so that a socket is closed within about one period of its
 * token's expiry: API Gateway itself checks the token only at `$connect`.
 */
export class ExpirySchedule extends pulumi.ComponentResource {
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: ExpiryScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:ExpirySchedule", name, {}, opts);

    this.rule = new aws.cloudwatch.EventRule(
      `${name}-rule`,
      { scheduleExpression: args.schedule ?? "rate(1 minute)", description: "Closes WebSocket connections whose Cognito token has expired" },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(`${name}-target`, { rule: this.rule.name, arn: args.sweeper.arn }, { parent: this });
    // Only this rule may invoke the sweeper.
    new aws.lambda.Permission(
      `${name}-permission`,
      { action: "lambda:InvokeFunction", function: args.sweeper.functionName, principal: "events.amazonaws.com", sourceArn: this.rule.arn },
      { parent: this },
    );

    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
