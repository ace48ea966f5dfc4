export {
  loadConfig,
  configToEnv,
  type Config,
  type FlagValues,
  type SettingKey,
} from './config.js';
export { options, type OptionSpec } from './options.js';
