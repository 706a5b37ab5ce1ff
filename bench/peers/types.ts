/** What every verifier in the benchmarks is given, and what it returns. */
export interface PeerConfig {
  /** `iss` the tokens must carry. */
  readonly issuer: string;
  /** The app client: `aud` of ID tokens. */
  readonly clientId: string;
  /** Where the pool's JWKS is served. */
  readonly jwksUri: string;
}

/** Resolves with the verified claims; rejects for any bad token. */
export type PeerVerify = (token: string) => Promise<Record<string, unknown>>;
