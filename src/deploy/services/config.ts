import { LaambdaError } from '../../core/errors.ts';
import { LIMITS, RESERVED_ENVIRONMENT_KEYS } from '../../core/function.ts';
import type { PlatformServices } from '../../core/services.ts';
import type { ServiceContext } from './context.ts';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkKey(key: string): void {
  if (!KEY.test(key)) {
    throw new LaambdaError('ERR_CONFIG_KEY_INVALID', `"${key}" is not a valid variable name: use letters, digits and _, not starting with a digit`);
  }
  if (RESERVED_ENVIRONMENT_KEYS.has(key)) {
    throw new LaambdaError('ERR_CONFIG_KEY_INVALID', `${key} is set by Lambda itself and cannot be configured`);
  }
}

function checkSize(config: Record<string, string>): void {
  const bytes = Object.entries(config).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > LIMITS.environmentBytes) {
    throw new LaambdaError('ERR_FUNCTION_ENV_TOO_LARGE', `config would be ${bytes} bytes; Lambda allows ${LIMITS.environmentBytes} bytes of environment variables`);
  }
}

function describe(changes: Record<string, string | null>): string {
  const set = Object.keys(changes).filter((key) => changes[key] !== null);
  const unset = Object.keys(changes).filter((key) => changes[key] === null);
  const parts: string[] = [];
  if (set.length > 0) parts.push(`Set ${set.join(', ')}`);
  if (unset.length > 0) parts.push(`${parts.length > 0 ? 'unset' : 'Unset'} ${unset.join(', ')}`);
  return `${parts.join(' and ')} config vars`;
}

export function configServices(context: ServiceContext): PlatformServices['config'] {
  const { live, secrets } = context.deps;
  const current = async (appId: string): Promise<Record<string, string>> => {
    const runnable = live.get(appId);
    if (runnable !== undefined) return runnable.config;
    const latest = await context.deps.storage.releases.latest(appId);
    return latest === undefined ? {} : (JSON.parse(secrets.open(latest.config)) as Record<string, string>);
  };

  const change = async (principal: Parameters<PlatformServices['config']['get']>[0], name: string, apply: (config: Record<string, string>) => Record<string, string>, description: string) => {
    const app = await context.app(principal, name);
    let next: Record<string, string> = {};
    const runnable = await context.release(app, (latest) => {
      const previous = latest === undefined ? {} : (JSON.parse(secrets.open(latest.config)) as Record<string, string>);
      next = apply(previous);
      checkSize(next);
      return {
        kind: 'config',
        description,
        author: principal.name,
        artifact: latest?.artifact ?? null,
        buildId: latest?.buildId ?? null,
        definition: latest?.definition ?? null,
        config: secrets.seal(JSON.stringify(next)),
        overrides: latest?.overrides ?? {},
      };
    });
    context.deps.logger.info({ app: app.name, release: runnable.release.version, keys: Object.keys(next).length }, 'config changed');
    return { config: next, release: context.releaseView(runnable.release, runnable.release.version) };
  };

  return {
    async get(principal, name) {
      const app = await context.app(principal, name);
      return current(app.id);
    },

    async update(principal, name, changes) {
      const keys = Object.keys(changes);
      if (keys.length === 0) throw new LaambdaError('ERR_API_REQUEST_INVALID', 'name at least one KEY=VALUE to set or KEY to unset');
      for (const key of keys) checkKey(key);
      return change(
        principal,
        name,
        (previous) => {
          const next = { ...previous };
          for (const [key, value] of Object.entries(changes)) {
            if (value === null) delete next[key];
            else next[key] = value;
          }
          return next;
        },
        describe(changes),
      );
    },

    async clear(principal, name) {
      return change(principal, name, () => ({}), 'Clear config vars');
    },
  };
}
