export { definePort, type PortSpec } from './define-port.js';
export { loadPorts } from './ports-file.js';
export { PORT_PROTOCOL_VERSION } from './protocol.js';
export { checkPort, type CheckReport, type CheckResult } from './conformance.js';
