import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';

// Dependency installs for `dev`: after a change to package.json, a lockfile or
// requirements.txt, dependencies are installed again before the new code runs.

export const NODE_MANIFESTS = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'] as const;
export const PYTHON_MANIFESTS = ['requirements.txt'] as const;
export type DependencyKind = 'node' | 'python';

/** Hash of the manifests of one kind (undefined when the app has none). */
export function manifestHash(appDir: string, kind: DependencyKind): string | undefined {
  const names = kind === 'node' ? NODE_MANIFESTS : PYTHON_MANIFESTS;
  const hash = createHash('sha256');
  let found = false;
  for (const name of names) {
    const file = path.join(appDir, name);
    if (!existsSync(file)) continue;
    found = true;
    hash.update(name).update('\0').update(readFileSync(file)).update('\0');
  }
  return found ? hash.digest('hex') : undefined;
}

/** Where `dev` installs an app's Python dependencies (added to PYTHONPATH of its functions). */
export function pythonDepsDir(dataDir: string): string {
  return path.join(dataDir, 'deps', 'python');
}

export interface InstallOptions {
  appDir: string;
  dataDir: string;
  kind: DependencyKind;
  /** The Python interpreter (for `python -m pip`). */
  python: () => string;
  hostEnv: NodeJS.ProcessEnv;
  /** Each output line of the installer, for progress. */
  onLine(line: string): void;
}

function run(command: string, args: string[], options: InstallOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.appDir, env: options.hostEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        options.onLine(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) =>
      reject(new LaambdaError('ERR_DEV_DEPENDENCIES_FAILED', `cannot run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const detail = tail.slice(-5).join('\n  ');
        reject(new LaambdaError('ERR_DEV_DEPENDENCIES_FAILED', `${command} ${args.join(' ')} exited with ${code}:\n  ${detail}`));
      }
    });
  });
}

/** Installs the app's dependencies of one kind; rejects with the installer's last lines. */
export async function installDependencies(options: InstallOptions): Promise<void> {
  const { appDir, kind } = options;
  if (kind === 'node') {
    const locked = existsSync(path.join(appDir, 'package-lock.json')) || existsSync(path.join(appDir, 'npm-shrinkwrap.json'));
    // `npm install` keeps a lockfile in step with an edited package.json; `npm ci` would refuse.
    await run('npm', locked ? ['install', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund', '--no-package-lock'], options);
    return;
  }
  const target = pythonDepsDir(options.dataDir);
  await run(options.python(), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--upgrade', '-r', 'requirements.txt', '-t', target], options);
}
