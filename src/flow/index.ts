/**
 * Workflows: flows (a parent runs once its children are final, each child's failure handled
 * by its policy), chains (steps one after another) on the same machinery. docs/workflows.md.
 */
export { submitFlow, type SubmittedFlow } from './submit.js';
export { chainToFlow, planFlow, type FlowNodeInput, type PlannedNode } from './tree.js';
export { writeFlow } from './write.js';
export { FlowDelivery, startFlowSweeper, type CountOutcome } from './delivery.js';
export { readChildren, readFlow, flowNodeIds, type FlowNodeView } from './read.js';
export { cancelFlow, type FlowCancelled } from './cancel.js';
export {
  MAX_FLOW_DEPTH,
  MAX_CHAIN_STEPS,
  MAX_FLOW_NODES,
  FLOW_STAGE_TTL_SEC,
  FAILURE_POLICIES,
  type FailurePolicy,
} from './limits.js';
export {
  openBatch,
  addToBatch,
  closeBatch,
  readBatch,
  type BatchStore,
  type BatchView,
} from './batch.js';
export { drawTree, type DrawableNode } from './draw.js';
