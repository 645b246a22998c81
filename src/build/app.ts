// An app directory as laambda sees it: the Procfile names the functions, an optional
// laambda.json adds settings and event sources, and the files tell each function's runtime.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type AppDefinition, type FunctionDefinition, httpRoutesOf } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import type { Runtime } from '../core/function.ts';
import { type ProcfileEntry, parseProcfile } from '../core/procfile.ts';
import { parseRoute } from '../events/http/routes.ts';
import { detectRuntime } from './detect.ts';
import { didYouMean } from './manifest-helpers.ts';
import { asyncDestinationIssues, MANIFEST_FILE, type Manifest, type ManifestIssue, manifestError, parseManifest } from './manifest.ts';

export interface LoadAppOptions {
  /** Use this runtime for every function, over laambda.json and detection (the --runtime flag). */
  runtime?: Runtime;
}

const EMPTY_MANIFEST: Manifest = { http: { authorizers: {} }, functions: {} };

function readProcfile(root: string): ProcfileEntry[] {
  const file = path.join(root, 'Procfile');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LaambdaError('ERR_APP_PROCFILE_MISSING', `no Procfile in ${root}`, { cause: error });
  }
  return parseProcfile(text, file);
}

function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_MANIFEST;
    throw new LaambdaError('ERR_APP_MANIFEST_INVALID', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseManifest(text, file);
}

/** What laambda.json says about the Procfile: every function and authorizer function must exist. */
function checkAgainstProcfile(manifest: Manifest, names: string[], root: string): ManifestIssue[] {
  const procfile = path.join(root, 'Procfile');
  const missing = (name: string) => `no function "${name}" in ${procfile} (functions: ${names.join(', ')})${didYouMean(name, names)}`;
  const issues: ManifestIssue[] = [];
  for (const name of Object.keys(manifest.functions)) {
    if (!names.includes(name)) issues.push({ path: ['functions', name], message: missing(name) });
  }
  for (const [name, authorizer] of Object.entries(manifest.http.authorizers)) {
    if (authorizer.type !== 'jwt') {
      if (!names.includes(authorizer.function)) {
        issues.push({ path: ['http', 'authorizers', name, 'function'], message: missing(authorizer.function) });
      }
    } else if (authorizer.jwksFile !== undefined && !existsSync(path.resolve(root, authorizer.jwksFile))) {
      issues.push({ path: ['http', 'authorizers', name, 'jwksFile'], message: `no file ${path.resolve(root, authorizer.jwksFile)}` });
    }
  }
  issues.push(...asyncDestinationIssues(manifest, names));
  return issues;
}

/** `GET /a/{x}` and `GET /a/{y}` answer the same requests: API Gateway refuses both. */
function routeShape(key: string): string {
  const route = parseRoute(key);
  if (route.isDefault) return '$default';
  const segments = route.segments.map((s) => (s.kind === 'literal' ? `=${s.value}` : s.kind === 'param' ? '{}' : '{+}'));
  return `${route.method} /${segments.join('/')}`;
}

function checkRouteOverlaps(functions: FunctionDefinition[]): ManifestIssue[] {
  const seen = new Map<string, string>();
  const issues: ManifestIssue[] = [];
  // Default routes first, so a clash is reported at the declared route the user can change.
  for (const fn of functions.filter((f) => f.events === undefined)) {
    for (const route of httpRoutesOf(fn)) {
      seen.set(routeShape(route.route), `"${route.route}", the default route of function "${fn.name}" (it declares no events)`);
    }
  }
  for (const fn of functions) {
    (fn.events ?? []).forEach((event, index) => {
      if (event.kind !== 'http') return;
      const shape = routeShape(event.route);
      const earlier = seen.get(shape);
      if (earlier !== undefined) {
        issues.push({
          path: ['functions', fn.name, 'events', index],
          message: `route "${event.route}" overlaps ${earlier}; each method and path may be declared once`,
        });
      } else {
        seen.set(shape, `"${event.route}" of function "${fn.name}"`);
      }
    });
  }
  return issues;
}

function toDefinition(entry: ProcfileEntry, manifest: Manifest, root: string, options: LoadAppOptions): FunctionDefinition {
  const settings = manifest.functions[entry.name];
  const runtime = options.runtime ?? settings?.runtime ?? detectRuntime(root, entry.handler);
  if (runtime === undefined) {
    throw new LaambdaError(
      'ERR_APP_RUNTIME_UNKNOWN',
      `cannot tell the runtime of ${entry.name} (${entry.handler}) from the files in ${root}; set "runtime" in ${MANIFEST_FILE} or pass --runtime`,
    );
  }
  return {
    name: entry.name,
    handler: entry.handler,
    runtime,
    ...(settings?.memoryMB === undefined ? {} : { memoryMB: settings.memoryMB }),
    ...(settings?.timeoutS === undefined ? {} : { timeoutS: settings.timeoutS }),
    ...(settings?.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
    environment: settings?.environment ?? {},
    ...(settings?.events === undefined ? {} : { events: settings.events }),
    ...(settings?.url === undefined ? {} : { url: settings.url }),
    ...(settings?.async === undefined ? {} : { async: settings.async }),
  };
}

/**
 * Reads an app directory: the Procfile, merged with laambda.json's `functions.NAME` blocks when
 * that file exists, and each function's runtime (--runtime, then laambda.json, then detection).
 */
export function loadLocalApp(dir: string, options: LoadAppOptions = {}): AppDefinition {
  const root = path.resolve(dir);
  const entries = readProcfile(root);
  const manifestFile = path.join(root, MANIFEST_FILE);
  const manifest = readManifest(manifestFile);
  const problems = checkAgainstProcfile(
    manifest,
    entries.map((entry) => entry.name),
    root,
  );
  if (problems.length > 0) throw manifestError(manifestFile, problems);
  const functions = entries.map((entry) => toDefinition(entry, manifest, root, options));
  const overlaps = checkRouteOverlaps(functions);
  if (overlaps.length > 0) throw manifestError(manifestFile, overlaps);
  return { name: manifest.name ?? defaultAppName(root), dir: root, functions, http: manifest.http };
}

/**
 * The app's name when laambda.json gives none: its directory's, made fit for Lambda function
 * names (`APP-FN`: letters, digits, - and _), so `my.app/` is `my-app`.
 */
export function defaultAppName(dir: string): string {
  const name = path.basename(dir).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return name === '' ? 'app' : name;
}

export function findFunction(app: AppDefinition, name: string): FunctionDefinition {
  const found = app.functions.find((fn) => fn.name === name);
  if (found === undefined) {
    const names = app.functions.map((fn) => fn.name);
    throw new LaambdaError(
      'ERR_APP_FUNCTION_NOT_FOUND',
      `no function "${name}" in ${app.dir}/Procfile (functions: ${names.join(', ')})${didYouMean(name, names)}`,
    );
  }
  return found;
}
