import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../core/function.ts';

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The runtime of one handler, from the code: the handler's own module file first
 * (`.py` → python; `.js/.mjs/.cjs/.ts/.mts/.cts` → nodejs), then an executable `bootstrap` (provided),
 * then the app's manifests (package.json → nodejs, requirements.txt → python).
 */
export function detectRuntime(dir: string, handler: string): Runtime | undefined {
  const base = path.basename(handler);
  const modulePath = path.join(dir, path.dirname(handler), base.slice(0, base.indexOf('.')));
  if (existsSync(`${modulePath}.py`)) return 'python';
  if (['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'].some((ext) => existsSync(modulePath + ext))) return 'nodejs';
  if (isExecutableFile(path.join(dir, 'bootstrap'))) return 'provided';
  if (existsSync(path.join(dir, 'package.json'))) return 'nodejs';
  if (existsSync(path.join(dir, 'requirements.txt'))) return 'python';
  return undefined;
}
