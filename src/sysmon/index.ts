export { renderFrame, type FrameOptions } from './frame.js';
export { statusLine } from './status-line.js';
export { TerminalView } from './terminal.js';
