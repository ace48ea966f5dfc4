export { startConsole, type ConsoleHandle, type StartConsoleOptions } from './start.js';
export { buildConsole } from './server.js';
export { checkListenAllowed, isLoopback } from './auth.js';
export type { ConsoleContext } from './context.js';
