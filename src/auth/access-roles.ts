/** The role of operators: the routes marked `@OperatorsOnly()` (the log, its stream, the explorer, rebuilds, erasure) need it. */
export const OPERATOR_ROLE = 'admin';

/** Roles that act on streams any subject owns (`@OwnedStreams`), and list them all: a bank's tellers, and operators. */
export const ANY_OWNER_ROLES: readonly string[] = ['teller', OPERATOR_ROLE];
