/**
 * The adapters' errors: what went wrong outside the process. Jose's codes name key-set failures;
 * the answers of AWS APIs called without a generated client keep the AWS SDK's exception names, so
 * callers and retry rules treat them as they would the SDK's.
 */

/** The keys could not be obtained: nothing can be verified, so nothing is allowed. */
export class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
  readonly code = "ERR_JWKS_UNAVAILABLE";
  constructor(options?: ErrorOptions) {
    super("the JSON Web Key Set could not be fetched", options);
  }
}

/** An error answer of an AWS API (the management API, DynamoDB), named as the SDK names its exceptions. */
export class AwsApiError extends Error {
  /** The SDK's shape: its retry rules read the status from here. */
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    name: string,
    httpStatusCode: number,
    message: string,
    /** From a `Retry-After` header: the earliest time to try again. */
    readonly retryAfter?: Date,
  ) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode };
  }
}
