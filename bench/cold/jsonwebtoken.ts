/** Cold-start entry: the peer bundled like our functions (build/functions.ts options). */
import { lambdaHandler } from "../peers/handler.js";
import { jsonwebtokenVerifier } from "../peers/jsonwebtoken.js";

export const handler = lambdaHandler(jsonwebtokenVerifier);
