import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface UserPoolArgs {
  /**
   * Use this pool and app client instead of creating them; the client must allow the auth flows
   * your users sign in with and issue ID tokens to this stack's users.
   * @default create a pool and a client
   */
  existing?: { userPoolId: string; userPoolClientId: string };
  /**
   * Block deletion of the pool (Cognito `DeletionProtection`). Turn it off before `pulumi destroy`.
   * @default false
   */
  deletionProtection?: boolean;
  /**
   * Token lifetimes of the created client: ID and access tokens in minutes (5 to 1440), refresh
   * tokens in days (1 to 3650).
   * @default { idTokenMinutes: 60, accessTokenMinutes: 60, refreshTokenDays: 30 }
   */
  tokenValidity?: { idTokenMinutes: number; accessTokenMinutes: number; refreshTokenDays: number };
  /**
   * Anyone may create an account with the app client; `false`: only administrators create users
   * (`AdminCreateUser`), and the pool refuses `SignUp`. Not applied to an existing pool.
   * @default true
   */
  selfSignUp?: boolean;
}

/** The Cognito user pool that issues the tokens the authorizer accepts, and its app client. */
export class UserPool extends pulumi.ComponentResource {
  readonly userPoolId: pulumi.Output<string>;
  readonly userPoolClientId: pulumi.Output<string>;
  /** `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`: the `iss` of the pool's tokens. */
  readonly issuer: pulumi.Output<string>;

  constructor(name: string, args: UserPoolArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:UserPool", name, {}, opts);

    if (args.existing) {
      this.userPoolId = pulumi.output(args.existing.userPoolId);
      this.userPoolClientId = pulumi.output(args.existing.userPoolClientId);
    } else {
      const pool = new aws.cognito.UserPool(
        `${name}-pool`,
        {
          usernameAttributes: ["email"],
          autoVerifiedAttributes: ["email"],
          usernameConfiguration: { caseSensitive: false },
          passwordPolicy: {
            minimumLength: 8,
            requireLowercase: true,
            requireUppercase: true,
            requireNumbers: true,
            requireSymbols: true,
            temporaryPasswordValidityDays: 7,
          },
          accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
          adminCreateUserConfig: { allowAdminCreateUserOnly: !(args.selfSignUp ?? true) },
          deletionProtection: args.deletionProtection ? "ACTIVE" : "INACTIVE",
          // Cognito's default for new pools, written out so that the price plan is a decision of this
          // program rather than of the API's default of the day (LITE would do: no ESSENTIALS feature is used).
          userPoolTier: "ESSENTIALS",
        },
        { parent: this },
      );
      const client = new aws.cognito.UserPoolClient(
        `${name}-client`,
        {
          userPoolId: pool.id,
          // Browsers and CLIs cannot keep a secret; with one, every auth call would need a SECRET_HASH.
          generateSecret: false,
          explicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
          preventUserExistenceErrors: "ENABLED",
          enableTokenRevocation: true,
          idTokenValidity: args.tokenValidity?.idTokenMinutes ?? 60,
          accessTokenValidity: args.tokenValidity?.accessTokenMinutes ?? 60,
          refreshTokenValidity: args.tokenValidity?.refreshTokenDays ?? 30,
          tokenValidityUnits: { idToken: "minutes", accessToken: "minutes", refreshToken: "days" },
        },
        { parent: this },
      );
      this.userPoolId = pool.id;
      this.userPoolClientId = client.id;
    }

    // Pool ids are `{region}_{suffix}`; reading the region from the id also holds for an existing pool.
    this.issuer = this.userPoolId.apply((id) => `https://cognito-idp.${id.split("_")[0]}.amazonaws.com/${id}`);

    this.registerOutputs({ userPoolId: this.userPoolId, userPoolClientId: this.userPoolClientId, issuer: this.issuer });
  }
}
