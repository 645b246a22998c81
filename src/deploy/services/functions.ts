import { LaambdaError } from '../../core/errors.ts';
import { LIMITS } from '../../core/function.ts';
import type { FunctionOverrides } from '../../core/platform.ts';
import type { PlatformServices } from '../../core/services.ts';
import type { RunnableRelease } from '../live.ts';
import type { ServiceContext } from './context.ts';

/** Most environments of one function; Lambda's default account limit. */
export const MAX_CONCURRENCY = 1_000;

function checkRange(field: string, value: number | undefined, min: number, max: number, unit: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LaambdaError('ERR_FUNCTION_CONFIG_INVALID', `${field} must be a whole number of ${unit} from ${min} to ${max}, got ${value}`);
  }
}

function describe(fn: string, overrides: FunctionOverrides): string {
  const parts: string[] = [];
  if (overrides.memoryMB !== undefined) parts.push(`memory to ${overrides.memoryMB} MB`);
  if (overrides.timeoutS !== undefined) parts.push(`timeout to ${overrides.timeoutS} s`);
  if (overrides.concurrency !== undefined) parts.push(`concurrency to ${overrides.concurrency}`);
  return `Set ${fn} ${parts.join(', ')}`;
}

export function liveOrFail(runnable: RunnableRelease | undefined, appName: string): RunnableRelease & { definition: NonNullable<RunnableRelease['definition']> } {
  if (runnable?.definition === undefined) {
    throw new LaambdaError('ERR_APP_NOT_DEPLOYED', `app ${appName} has no code yet`);
  }
  return runnable as RunnableRelease & { definition: NonNullable<RunnableRelease['definition']> };
}

export function functionServices(context: ServiceContext): PlatformServices['functions'] {
  const { live } = context.deps;
  return {
    async list(principal, name) {
      const app = await context.app(principal, name);
      const runnable = live.get(app.id);
      return runnable === undefined ? [] : context.functionViews(runnable);
    },

    async update(principal, name, fnName, overrides) {
      const app = await context.app(principal, name);
      const current = liveOrFail(live.get(app.id), app.name);
      const fn = current.definition.functions.find((f) => f.name === fnName);
      if (fn === undefined) {
        const names = current.definition.functions.map((f) => f.name).join(', ');
        throw new LaambdaError('ERR_APP_FUNCTION_NOT_FOUND', `app ${app.name} has no function "${fnName}" (functions: ${names})`);
      }
      checkRange('memory', overrides.memoryMB, LIMITS.memoryMB.min, LIMITS.memoryMB.max, 'MB');
      checkRange('timeout', overrides.timeoutS, LIMITS.timeoutS.min, LIMITS.timeoutS.max, 'seconds');
      checkRange('concurrency', overrides.concurrency, 1, MAX_CONCURRENCY, 'environments');
      const changes = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as FunctionOverrides;
      if (Object.keys(changes).length === 0) {
        throw new LaambdaError('ERR_API_REQUEST_INVALID', 'name at least one of memoryMB, timeoutS, concurrency');
      }
      const runnable = await context.release(app, (latest) => {
        if (latest === undefined) throw new LaambdaError('ERR_APP_NOT_DEPLOYED', `app ${app.name} has no code yet`);
        return {
          kind: 'resource',
          description: describe(fnName, changes),
          author: principal.name,
          artifact: latest.artifact,
          buildId: latest.buildId,
          definition: latest.definition,
          config: latest.config,
          overrides: { ...latest.overrides, [fnName]: { ...latest.overrides[fnName], ...changes } },
        };
      });
      const updated = runnable.definition?.functions.find((f) => f.name === fnName) ?? fn;
      return { function: context.functionView(runnable, updated), release: context.releaseView(runnable.release, runnable.release.version) };
    },
  };
}
