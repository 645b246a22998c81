import { readFileSync } from 'node:fs';
import { LaambdaError } from '../core/errors.ts';
import { type Config, OPTIONS, type OptionName } from './options.ts';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface ConfigInputs {
  /** Parsed config file contents, if any. */
  file?: Record<string, unknown>;
  /** The environment to read LAAMBDA_* from: passed in, never read here. */
  env?: Record<string, string | undefined>;
  /** Parsed CLI flags by option name; undefined means not given. */
  flags?: Partial<Record<OptionName, unknown>>;
}

export interface LoadedConfig {
  config: Config;
  /** Where each value came from, for `config:show`-style reports. */
  sources: Readonly<Record<OptionName, ConfigSource>>;
}

const NAMES = Object.keys(OPTIONS) as OptionName[];

/**
 * The one place precedence is decided: defaults < file < LAAMBDA_* env < flags.
 * Each value is validated; the result is frozen.
 */
export function resolveConfig(inputs: ConfigInputs): LoadedConfig {
  const unknown = Object.keys(inputs.file ?? {}).filter((key) => !(key in OPTIONS));
  if (unknown.length > 0) {
    throw new LaambdaError(
      'ERR_CONFIG_INVALID',
      `unknown setting${unknown.length > 1 ? 's' : ''} in the config file: ${unknown.join(', ')} (known: ${NAMES.join(', ')})`,
    );
  }
  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const name of NAMES) {
    const definition = OPTIONS[name];
    const candidates: Array<[ConfigSource, unknown, string]> = [
      ['flag', inputs.flags?.[name], definition.flag.split(' ')[0] ?? name],
      ['env', inputs.env?.[definition.env], definition.env],
      ['file', inputs.file?.[name], `"${name}" in the config file`],
    ];
    const given = candidates.find(([, value]) => value !== undefined && value !== '');
    if (given === undefined) {
      config[name] = definition.default;
      sources[name] = 'default';
      continue;
    }
    const [source, value, where] = given;
    const parsed = definition.schema.safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'invalid value';
      throw new LaambdaError('ERR_CONFIG_INVALID', `${where}: ${problem} (got ${JSON.stringify(value)})`, {
        details: { option: name, source },
      });
    }
    config[name] = parsed.data;
    sources[name] = source;
  }
  return { config: Object.freeze(config) as Config, sources: Object.freeze(sources) as LoadedConfig['sources'] };
}

/** Reads a JSON config file; a clear error when it is missing or malformed. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LaambdaError('ERR_CONFIG_FILE_UNREADABLE', `cannot read config file ${path}`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new LaambdaError('ERR_CONFIG_FILE_UNREADABLE', `config file ${path} is not a JSON object: ${error}`, {
      cause: error,
    });
  }
}

/** Values as a report prints them: secrets redacted. */
export function describeConfig(loaded: LoadedConfig): Array<{ name: OptionName; value: string; source: ConfigSource }> {
  return NAMES.map((name) => {
    const definition: { secret?: boolean } = OPTIONS[name];
    const value = loaded.config[name];
    return {
      name,
      value: definition.secret && value !== undefined ? '[redacted]' : String(value ?? ''),
      source: loaded.sources[name],
    };
  });
}
