import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';
import type { Runtime } from '../core/function.ts';
import { parseProcfile } from '../core/procfile.ts';
import { detectRuntime } from './detect.ts';

export interface LocalFunction {
  /** The Procfile name. */
  name: string;
  handler: string;
  runtime: Runtime;
}

export interface LocalApp {
  name: string;
  dir: string;
  functions: LocalFunction[];
}

export interface LoadAppOptions {
  /** Use this runtime for every function instead of detecting it. */
  runtime?: Runtime;
}

/** Reads an app directory: its Procfile, and each function's runtime. */
export function loadLocalApp(dir: string, options: LoadAppOptions = {}): LocalApp {
  const root = path.resolve(dir);
  const procfile = path.join(root, 'Procfile');
  let text: string;
  try {
    text = readFileSync(procfile, 'utf8');
  } catch (error) {
    throw new LaambdaError('ERR_APP_PROCFILE_MISSING', `no Procfile in ${root}`, { cause: error });
  }
  const functions = parseProcfile(text, procfile).map((entry) => {
    const runtime = options.runtime ?? detectRuntime(root, entry.handler);
    if (runtime === undefined) {
      throw new LaambdaError(
        'ERR_APP_RUNTIME_UNKNOWN',
        `cannot tell the runtime of ${entry.name} (${entry.handler}) from the files in ${root}`,
      );
    }
    return { name: entry.name, handler: entry.handler, runtime };
  });
  return { name: path.basename(root), dir: root, functions };
}

export function findFunction(app: LocalApp, name: string): LocalFunction {
  const found = app.functions.find((fn) => fn.name === name);
  if (found === undefined) {
    throw new LaambdaError(
      'ERR_APP_FUNCTION_NOT_FOUND',
      `no function "${name}" in ${app.dir}/Procfile (functions: ${app.functions.map((fn) => fn.name).join(', ')})`,
    );
  }
  return found;
}
