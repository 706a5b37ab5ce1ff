import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tables } from "../functions/tables.js";
import { policyDocument } from "./grants.js";
import { tableArgs } from "./table.js";

/** What this component needs of the `deliver` worker function (built with the route table's functions). */
export interface DeliverWorker {
  readonly functionName: string;
  /** Its execution role, which Lambda sends the on-failure records with. */
  readonly roleName: string;
}

export interface DeliveryWorkersArgs {
  /** The worker; an input, since the worker itself needs this component's table first. */
  worker: pulumi.Input<DeliverWorker>;
}

/** Attempts of a failed shard after the first (Lambda allows 0–2): a retry resumes from the shard's checkpoint. */
export const deliverRetryAttempts = 2;

/**
 * How long an event may wait in Lambda's queue before it is given up to the failed-deliveries
 * queue. Lambda's own retries all fit: three attempts of at most 900 s (the longest function
 * timeout) plus its 1 and 2 minute waits are 2,880 s. Bounded well below Lambda's 6 hour default
 * because a WebSocket message hours late is no longer worth delivering: after a long outage or
 * throttling, what is left shows up in the failed-deliveries queue instead. The shard checkpoints
 * must outlive it, so that a late retry still skips what was delivered.
 */
export const deliverEventMaxAgeSeconds = 3600;

/** SQS's longest retention: time to notice, read and redrive failed shards. */
export const failedDeliveriesRetentionSeconds = 14 * 24 * 3600;

/**
 * The fan-out workers' side of the stack: the deliveries table (each fan-out's totals and shard
 * checkpoints, and the `@connections` pace counter, all expired by TTL), and how Lambda handles the
 * worker's asynchronous invocations: retried twice, given up after `deliverEventMaxAgeSeconds`,
 * and then recorded in an encrypted queue of failed deliveries rather than dropped.
 */
export class DeliveryWorkers extends pulumi.ComponentResource {
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: DeliveryWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:DeliveryWorkers", name, {}, opts);
    const parent = this;
    const worker = pulumi.output(args.worker);

    const table = createTable();
    const failedDeliveries = createFailedDeliveriesQueue();
    const sendFailures = allowWorkerToRecordFailures();
    configureInvocations();

    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn });

    // Nothing in it outlives a fan-out by long, so it needs no backups.
    function createTable(): aws.dynamodb.Table {
      return new aws.dynamodb.Table(`${name}-table`, tableArgs(tables.deliveries), { parent });
    }

    // A standard queue (Lambda refuses FIFO destinations), encrypted with SQS's own keys, which
    // need no KMS permissions of the sender.
    function createFailedDeliveriesQueue(): aws.sqs.Queue {
      return new aws.sqs.Queue(
        `${name}-failed`,
        { sqsManagedSseEnabled: true, messageRetentionSeconds: failedDeliveriesRetentionSeconds },
        { parent },
      );
    }

    // Lambda sends an on-failure record with the function's execution role: exactly SendMessage, on this queue.
    function allowWorkerToRecordFailures(): aws.iam.RolePolicy {
      return new aws.iam.RolePolicy(
        `${name}-failed-policy`,
        {
          role: worker.roleName,
          policy: failedDeliveries.arn.apply((arn) =>
            JSON.stringify(policyDocument([{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [arn] }])),
          ),
        },
        { parent },
      );
    }

    // Unqualified, as the worker is invoked. Lambda checks the role's permission on the destination
    // when the configuration is put, hence after the policy.
    function configureInvocations(): aws.lambda.FunctionEventInvokeConfig {
      return new aws.lambda.FunctionEventInvokeConfig(
        `${name}-invoke-config`,
        {
          functionName: worker.functionName,
          maximumRetryAttempts: deliverRetryAttempts,
          maximumEventAgeInSeconds: deliverEventMaxAgeSeconds,
          destinationConfig: { onFailure: { destination: failedDeliveries.arn } },
        },
        { parent, dependsOn: [sendFailures] },
      );
    }
  }
}
