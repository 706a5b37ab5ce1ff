/**
 * IAM from the route table: each function's grants become statements with exactly the actions it
 * lists, on exactly the resource it names. Pure, so the mapping is unit-tested without Pulumi.
 */
import type { Grant } from "../functions/routes.js";

export interface PolicyStatement {
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** The ARNs that the route table's resource names stand for. */
export interface GrantResources {
  /** The connections table ARN. */
  readonly connectionsTable: string;
  /** `{tableArn}/index/{indexName}`: GSI queries are authorized on the index, not the table. */
  readonly userIndex: string;
  readonly subscriptionsTable: string;
  /** `{subscriptionsTableArn}/index/connectionId-index`. */
  readonly connectionIndex: string;
  readonly channelMessagesTable: string;
  readonly rateLimitsTable: string;
  /** Fan-out totals, shard checkpoints and the pace counter. */
  readonly deliveriesTable: string;
  /**
   * The `deliver` worker's unqualified ARN: the worker is invoked by name, never by version or
   * alias, and a permission on the unqualified ARN allows exactly that.
   */
  readonly deliverFunction: string;
  /** `{executionArn}/{stage}/GET/@connections/*`: what `GetConnection` is authorized on. */
  readonly inspectConnections: string;
  /** `{executionArn}/{stage}/POST/@connections/*`: what `PostToConnection` is authorized on. */
  readonly connections: string;
  /** `{executionArn}/{stage}/DELETE/@connections/*`: what `DeleteConnection` is authorized on. */
  readonly closeConnections: string;
}

/**
 * One statement per grant, actions de-duplicated and sorted so that diffs stay quiet.
 * @param resources may leave out what none of the grants names (the worker's own ARN, for the worker).
 * @throws Error naming a granted resource that has no ARN here.
 */
export function grantStatements(grants: readonly Grant[], resources: Partial<GrantResources>): PolicyStatement[] {
  const byResource = new Map<string, Set<string>>();
  for (const grant of grants) {
    const arn = resources[grant.resource];
    if (arn === undefined) throw new Error(`No ARN for the granted resource "${grant.resource}"`);
    const actions = byResource.get(arn) ?? new Set<string>();
    for (const action of grant.actions) actions.add(action);
    byResource.set(arn, actions);
  }
  return [...byResource].map(([arn, actions]) => ({ Effect: "Allow", Action: [...actions].sort(), Resource: [arn] }));
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * A trust policy letting one AWS service assume the role; with `sourceAccount`, only on behalf of
 * that account's resources (`aws:SourceAccount`), so that the service cannot be made to use the
 * role for another account (the confused deputy).
 */
export function assumeRolePolicy(service: string, sourceAccount?: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(sourceAccount === undefined ? {} : { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } }),
      },
    ],
  });
}

/** `{executionArn}/{stage}/{method}/@connections/*` */
export const connectionsArn = (executionArn: string, stage: string, method: "POST" | "DELETE" | "GET" = "POST"): string =>
  `${executionArn}/${stage}/${method}/@connections/*`;

/** `{tableArn}/index/{indexName}` */
export const indexArn = (tableArn: string, indexName: string): string => `${tableArn}/index/${indexName}`;

/** `{executionArn}/{stage}/{routeKey}`: the `sourceArn` API Gateway presents when it invokes a route's function. */
export const routeSourceArn = (executionArn: string, stage: string, routeKey: string): string =>
  `${executionArn}/${stage}/${routeKey}`;

/** `{executionArn}/authorizers/{authorizerId}`: the `sourceArn` of an authorizer invocation. */
export const authorizerSourceArn = (executionArn: string, authorizerId: string): string =>
  `${executionArn}/authorizers/${authorizerId}`;
