// Which app a command is about: `-a APP`, else the git remote named `laambda` of the checkout.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LaambdaError } from '../core/errors.ts';

const exec = promisify(execFile);

/** The remote `laambda apps:create` adds and app resolution reads. */
export const REMOTE = 'laambda';

/** Runs git in `cwd`; undefined when git is missing or the command fails. */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec('git', args, { cwd, encoding: 'utf8' });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** The app name in a laambda git URL (`…/git/APP.git`), or undefined for any other URL. */
export function appFromGitUrl(url: string): string | undefined {
  const match = /\/git\/([a-z][a-z0-9-]*)(?:\.git)?\/?$/.exec(url.trim());
  return match?.[1];
}

/** The URL of the `laambda` remote of the checkout holding `cwd`, if any. */
export function laambdaRemote(cwd: string): Promise<string | undefined> {
  return git(cwd, ['remote', 'get-url', REMOTE]);
}

/** True when `cwd` is inside a git work tree. */
export async function insideGitRepo(cwd: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--is-inside-work-tree'])) === 'true';
}

/** Adds the `laambda` remote; false when git refused (e.g. it exists). */
export async function addLaambdaRemote(cwd: string, url: string): Promise<boolean> {
  return (await git(cwd, ['remote', 'add', REMOTE, url])) !== undefined;
}

export async function setLaambdaRemote(cwd: string, url: string): Promise<boolean> {
  return (await git(cwd, ['remote', 'set-url', REMOTE, url])) !== undefined;
}

/** Lets git ask `helper` for credentials of the server behind `url`, in this checkout only. */
export async function configureCredentialHelper(cwd: string, url: string, helper: string): Promise<boolean> {
  const origin = new URL(url).origin;
  // An empty helper first resets helpers from other config files for this URL only.
  const reset = await git(cwd, ['config', '--replace-all', `credential.${origin}.helper`, '']);
  return reset !== undefined && (await git(cwd, ['config', '--add', `credential.${origin}.helper`, helper])) !== undefined;
}

export async function removeLaambdaRemote(cwd: string): Promise<boolean> {
  return (await git(cwd, ['remote', 'remove', REMOTE])) !== undefined;
}

/** `-a APP` when given, else the app of the checkout's `laambda` remote, else ERR_CLI_APP_REQUIRED. */
export async function resolveApp(flag: string | undefined, cwd: string): Promise<string> {
  if (flag !== undefined && flag !== '') return flag;
  const remote = await laambdaRemote(cwd);
  if (remote === undefined) {
    throw new LaambdaError('ERR_CLI_APP_REQUIRED', `no app given: pass -a APP (${cwd} is not a git checkout with a remote named ${REMOTE})`);
  }
  const app = appFromGitUrl(remote);
  if (app === undefined) {
    throw new LaambdaError('ERR_CLI_APP_REQUIRED', `no app given, and the git remote ${REMOTE} (${remote}) does not end in /git/APP.git: pass -a APP`);
  }
  return app;
}
