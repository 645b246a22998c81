export { type Config, OPTIONS, type OptionDefinition, type OptionName } from './options.ts';
export { type ConfigInputs, type ConfigSource, describeConfig, type LoadedConfig, readConfigFile, resolveConfig } from './load.ts';
