import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** App names the git endpoint serves; anything else is never turned into a path. */
export const APP_NAME = /^[a-z][a-z0-9-]{0,29}$/;

/** The module the pre-receive hook runs (beside this file). */
const HOOK_MODULE = path.join(import.meta.dirname, 'pre-receive.ts');

/** Quotes a string for /bin/sh. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The pre-receive hook: a tiny shell script that runs the hook module on this server's Node.
 * It names absolute paths, so it is rewritten whenever they change (a moved or upgraded install).
 */
export function hookScript(nodePath: string = process.execPath, modulePath: string = HOOK_MODULE): string {
  return [
    '#!/bin/sh',
    '# Installed by laambda: deploys pushes to main or master. Rewritten on use; do not edit.',
    `exec ${shellQuote(nodePath)} --disable-warning=ExperimentalWarning ${shellQuote(modulePath)} "$@"`,
    '',
  ].join('\n');
}

export function repoPath(reposDir: string, app: string): string {
  if (!APP_NAME.test(app)) throw new Error(`not an app name: ${JSON.stringify(app)}`);
  return path.join(reposDir, `${app}.git`);
}

export interface RepoManagerOptions {
  reposDir: string;
  /** The environment git runs with (see gitEnv). */
  env: Record<string, string>;
}

export interface RepoManager {
  /** The bare repository of an app: created on first use, its hook refreshed once per process. */
  ensure(app: string): Promise<string>;
}

export function createRepoManager(options: RepoManagerOptions): RepoManager {
  const pending = new Map<string, Promise<string>>();
  const hookChecked = new Set<string>();
  const script = hookScript();

  async function prepare(app: string): Promise<string> {
    const dir = repoPath(options.reposDir, app);
    // Checked on every request: removeRepo may have deleted it since.
    if (await exists(path.join(dir, 'HEAD'))) {
      if (!hookChecked.has(dir)) await installHook(dir, script);
      hookChecked.add(dir);
      return dir;
    }
    await mkdir(options.reposDir, { recursive: true });
    // Built aside and renamed into place, so no request (or other process) sees a half-made repo.
    const temp = path.join(options.reposDir, `.init-${app}-${randomBytes(6).toString('hex')}`);
    try {
      const git = (...args: string[]) => execFileAsync('git', args, { env: options.env, cwd: options.reposDir });
      await git('init', '--bare', '--quiet', '--template=', '--initial-branch=main', temp);
      await git('--git-dir', temp, 'config', 'http.receivepack', 'true');
      await installHook(temp, script);
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Someone else made it first: theirs is as good as ours.
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    hookChecked.add(dir);
    return dir;
  }

  return {
    ensure(app) {
      // Concurrent first requests for one app share one creation.
      let current = pending.get(app);
      if (!current) {
        current = prepare(app).finally(() => pending.delete(app));
        pending.set(app, current);
      }
      return current;
    },
  };
}

async function installHook(gitDir: string, script: string): Promise<void> {
  const file = path.join(gitDir, 'hooks', 'pre-receive');
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === script) return;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, script, { mode: 0o755 });
  await rename(`${file}.tmp`, file);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Deletes an app's repository (when the app is destroyed). Missing is fine. */
export async function removeRepo(reposDir: string, app: string): Promise<void> {
  await rm(repoPath(reposDir, app), { recursive: true, force: true });
}
