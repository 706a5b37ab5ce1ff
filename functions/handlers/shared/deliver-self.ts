/**
 * Imported first by the `deliver` function only: it queues its tasks (continuations, shards) to
 * itself, and cannot be told its own name by its environment (a resource cannot name itself in its
 * own definition). Every other function is given `DELIVER_FUNCTION_NAME`; one that is not hands
 * nothing to the workers.
 */
process.env.DELIVER_FUNCTION_NAME ??= process.env.AWS_LAMBDA_FUNCTION_NAME;
