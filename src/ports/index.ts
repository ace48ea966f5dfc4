export {
  definePort,
  portCommand,
  portEnvironment,
  PORT_BASE_ENV,
  type PortSpec,
} from './define-port.js';
export { loadPorts, readPortsFile } from './ports-file.js';
export {
  PORT_PROTOCOL_VERSION,
  type JobRequest,
  type ChildMessage,
  type HelloMessage,
} from './protocol.js';
export { PortProcess, PortFailure, type PortCommand, type PortReply } from './port-process.js';
export { PortPool } from './port-pool.js';
export { checkPort, type CheckReport, type CheckResult } from './conformance.js';
