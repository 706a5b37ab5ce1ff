/**
 * PLACEHOLDER, to be replaced by the fan-out worker: the route table names `deliver`, and the
 * program bundles every function of it, so the infra tests need an entry that bundles.
 */
export const handler = async (): Promise<never> => {
  throw new Error("deliver: not implemented yet");
};
