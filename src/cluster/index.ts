export { newNodeId, type Role } from './node-id.js';
