export { renderFrame, type FrameOptions } from './frame.js';
export { statusLine } from './status-line.js';
export { TerminalView, colorWanted, type TerminalViewOptions } from './terminal.js';
export { fitWidth, textWidth } from './text-width.js';
