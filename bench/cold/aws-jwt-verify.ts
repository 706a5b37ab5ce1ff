/** Cold-start entry: the peer bundled like our functions (scripts/build.ts options). */
import { lambdaHandler } from "../peers/handler.js";
import { awsJwtVerifyVerifier } from "../peers/aws-jwt-verify.js";

export const handler = lambdaHandler(awsJwtVerifyVerifier);
