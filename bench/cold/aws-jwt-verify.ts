/** Cold-start entry: the peer bundled like our functions (build/functions.ts options). */
import { lambdaHandler } from "../peers/handler.js";
import { awsJwtVerifyVerifier } from "../peers/aws-jwt-verify.js";

export const handler = lambdaHandler(awsJwtVerifyVerifier);
