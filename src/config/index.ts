export { loadConfig, configToEnv, type Config, type FlagValues } from './config.js';
export { options, type OptionSpec } from './options.js';
