export { openShell, toJson, type ShellOptions, type ShellSession } from './shell.js';
export type { ShellHelpers } from './helpers.js';
