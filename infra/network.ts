import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
  /**
   * `create`: a new VPC (awsx) with private subnets behind NAT. `existing`: private subnets of a VPC
   * you own, which must route to the internet (NAT): the functions call DynamoDB, the API Gateway
   * management API and Cognito's JWKS endpoint, all public HTTPS endpoints.
   */
  vpc:
    | { kind: "create"; /** @default "Single" */ natGateways?: "Single" | "OnePerAz" }
    | {
        kind: "existing";
        vpcId: string;
        subnetIds: readonly string[];
        /** @default a new group allowing outbound HTTPS */
        securityGroupIds?: readonly string[];
      };
}

/** Where the functions run when they are placed in a VPC: subnets and security groups. */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly securityGroupIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:Network", name, {}, opts);
    const vpc = args.vpc;

    if (vpc.kind === "create") {
      const created = new awsx.ec2.Vpc(
        `${name}-vpc`,
        {
          numberOfAvailabilityZones: 2,
          // awsx's default today, written out: its next major version defaults to "Auto", whose
          // different layout would replace an existing stack's subnets.
          subnetStrategy: "Legacy",
          // One NAT gateway is the cheap default; OnePerAz survives the loss of a zone.
          natGateways: { strategy: vpc.natGateways ?? "Single" },
          enableDnsHostnames: true,
        },
        { parent: this },
      );
      this.vpcId = created.vpcId;
      this.subnetIds = created.privateSubnetIds;
    } else {
      this.vpcId = pulumi.output(vpc.vpcId);
      this.subnetIds = pulumi.output([...vpc.subnetIds]);
    }

    if (vpc.kind === "existing" && vpc.securityGroupIds && vpc.securityGroupIds.length > 0) {
      this.securityGroupIds = pulumi.output([...vpc.securityGroupIds]);
    } else {
      // Outbound HTTPS only: every service the functions call is an HTTPS endpoint, and nothing calls in.
      const group = new aws.ec2.SecurityGroup(
        `${name}-functions`,
        {
          vpcId: this.vpcId,
          description: "Lambda functions of the WebSocket API: outbound HTTPS only",
          egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS APIs" }],
        },
        { parent: this },
      );
      this.securityGroupIds = group.id.apply((id) => [id]);
    }

    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds, securityGroupIds: this.securityGroupIds });
  }
}
