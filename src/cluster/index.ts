export { newNodeId, type Role } from './node-id.js';
export {
  ClusterNode,
  type ClusterNodeOptions,
  type CallOptions,
  type NodeGoneHook,
} from './node.js';
export { readMembers } from './read-members.js';
export { Signer, DEV_SECRET, type Envelope } from './signing.js';
export { VERSION } from './version.js';
export type { Figures, Member, MembershipChange, NodeInfo } from './node-info.js';
export type { JobFigures } from './figures.js';
export { sendSigned } from './messaging.js';
