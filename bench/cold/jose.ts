/** Cold-start entry: the peer bundled like our functions (build/functions.ts options). */
import { lambdaHandler } from "../peers/handler.js";
import { joseVerifier } from "../peers/jose.js";

export const handler = lambdaHandler(joseVerifier);
