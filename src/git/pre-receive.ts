// The pre-receive hook of every app repository (installed by repos.ts as a shell script that
// runs this module). git runs it inside receive-pack, before any ref moves, with the pushed
// objects still in quarantine; `git archive` here reads them because it inherits
// GIT_QUARANTINE_PATH and GIT_OBJECT_DIRECTORY. Everything it prints reaches the pusher as
// `remote: …`; exiting non-zero rejects the push, so a failed build leaves the branch where it was.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { ReadableStream } from 'node:stream/web';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { deploy } from './deploy-client.ts';
import { DEPLOY_TOKEN_ENV, DEPLOY_URL_ENV } from './hook-env.ts';
import { checkPush, isZeroId, parseRefUpdates } from './refs.ts';

const execFileAsync = promisify(execFile);

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function reject(message: string, fix: string): number {
  print(`✘ push rejected: ${message}`);
  print(`  fix: ${fix}`);
  return 1;
}

async function git(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { maxBuffer: 1024 * 1024 });
  return stdout.trim();
}

/** The current value of a ref, or the zero id when it does not exist. */
async function currentRef(ref: string): Promise<string> {
  return git('rev-parse', '--verify', '--quiet', ref).catch(() => '0'.repeat(40));
}

/** `git archive` of a commit as a web stream that errors when git fails (so the upload aborts). */
function archive(revision: string): ReadableStream<Uint8Array> {
  const child = spawn('git', ['archive', '--format=tar', revision], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = text(child.stderr);
  const exit = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const [code] = await exit;
    if (code !== 0) throw new Error(`git archive failed: ${(await stderr).trim()}`);
  }
  return ReadableStream.from(chunks());
}

async function main(): Promise<number> {
  const url = process.env[DEPLOY_URL_ENV];
  const token = process.env[DEPLOY_TOKEN_ENV];
  if (!url || !token) {
    return reject('this repository deploys only through the laambda git endpoint', 'push to http://HOST/git/APP.git');
  }
  const check = checkPush(parseRefUpdates(await text(process.stdin)));
  if (!check.ok) return reject(check.message, check.fix);
  const { oldId, newId, ref } = check.update;

  // Pushes to one app are served one at a time; a push that waited sees the branch it started from moved.
  const current = await currentRef(ref);
  if (current !== oldId && !(isZeroId(current) && isZeroId(oldId))) {
    return reject(`${ref.replace('refs/heads/', '')} changed on the server while you pushed`, 'git pull, then push again');
  }

  const subject = await git('log', '-1', '--format=%s', newId).catch(() => '');
  const released = await deploy({ url, token, revision: newId, description: subject, archive: archive(newId), print });
  if (!released) return 1;

  // Clones should check out what was deployed: point HEAD at the pushed branch if its own is missing.
  const head = await git('symbolic-ref', 'HEAD').catch(() => '');
  if (head !== ref && isZeroId(await currentRef(head || 'HEAD'))) await git('symbolic-ref', 'HEAD', ref).catch(() => '');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    print(`✘ ERR_GIT_FAILED: the deploy hook failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
