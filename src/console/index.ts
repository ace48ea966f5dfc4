export { startConsole, type ConsoleHandle, type StartConsoleOptions } from './start.js';
export { buildConsole } from './server.js';
export { checkListenAllowed, consoleGate } from './auth.js';
export type { ConsoleContext } from './context.js';
export { workmeshConsole, type WorkmeshConsoleOptions } from './plugin.js';
