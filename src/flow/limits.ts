/** The limits of a flow (docs/workflows.md); a tree over them is refused whole (400). */

/**
 * Levels of a flow at most, the root being level 1. Each level nests the request body two
 * deeper (a node, its children array): 12 levels fit the API's default JSON depth limit
 * (WORKMESH_MAX_JSON_DEPTH, 32) with data nested up to 6 deep.
 */
export const MAX_FLOW_DEPTH = 12;

/** Steps of a chain at most (a chain is flat in the request, but one level per step in Redis). */
export const MAX_CHAIN_STEPS = 100;

/** Nodes of one flow at most (the root included). */
export const MAX_FLOW_NODES = 5000;
// A flow of more than about 2,000 nodes also needs WORKMESH_MAX_JSON_KEYS raised (10,000).

/**
 * How long the records of a flow being submitted live before its commit makes them permanent:
 * a submit that dies midway leaves records that expire (docs/workflows.md, "Crash midway").
 */
export const FLOW_STAGE_TTL_SEC = 600;

/** Nodes per flow-stage or flow-commit call (a long script blocks Redis for everyone). */
export const FLOW_WRITE_SLICE = 200;

/** How old an undelivered outbox entry is before the sweeper delivers it (ms). */
export const FLOW_REDELIVER_AFTER_MS = 2000;

/** The failure policies a child may have towards its parent. */
export const FAILURE_POLICIES = ['fail', 'ignore', 'continue'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
