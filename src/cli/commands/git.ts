// `git push laambda main` without typing a token: the checkout's `laambda` remote gets a git
// credential helper (`laambda git:credential`) that answers with the logged-in token, for
// that server only. `git:remote` links an existing checkout to an app.
import path from 'node:path';
import type { Command } from 'commander';
import { resolveCredentials } from '../credentials.ts';
import { addLaambdaRemote, configureCredentialHelper, insideGitRepo, laambdaRemote, REMOTE, setLaambdaRemote } from '../git.ts';
import { EXIT } from '../output.ts';
import { connect, dim, note, ok, type Run, targetApp, withApp } from '../platform.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', '..', 'bin', 'laambda.js');

/** The helper line git runs: this Node and this laambda, quoted for git's shell. */
export function credentialHelperCommand(): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return `!${quote(process.execPath)} ${quote(BIN)} git:credential`;
}

/** Adds (or repoints) the `laambda` remote and its credential helper; says what it did. */
export async function linkCheckout(cwd: string, gitUrl: string, options: { repoint: boolean }): Promise<void> {
  if (!(await insideGitRepo(cwd))) return;
  const existing = await laambdaRemote(cwd);
  if (existing !== undefined && existing !== gitUrl && !options.repoint) {
    note(dim(`  git remote ${REMOTE} already points to ${existing}; left as is\n`));
    return;
  }
  const linked = existing === undefined ? await addLaambdaRemote(cwd, gitUrl) : await setLaambdaRemote(cwd, gitUrl);
  if (!linked) return;
  await configureCredentialHelper(cwd, gitUrl, credentialHelperCommand());
  note(`${ok(`Git remote ${REMOTE} → ${gitUrl}`).trimEnd()}\n${dim(`  deploy with: git push ${REMOTE} main   (or: laambda deploy)`)}\n`);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** git's credential protocol: `get` answers the token for the logged-in server's host only. */
async function credential(operation: string): Promise<number> {
  const input = await readStdin();
  if (operation !== 'get') return EXIT.ok;
  const fields = new Map(input.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  let credentials: ReturnType<typeof resolveCredentials>;
  try {
    credentials = resolveCredentials(process.env);
  } catch {
    return EXIT.ok; // Not logged in: git goes on to ask the user.
  }
  const server = new URL(credentials.url);
  if (fields.get('host') !== server.host || `${fields.get('protocol')}:` !== server.protocol) return EXIT.ok;
  process.stdout.write(`username=laambda\npassword=${credentials.token}\n`);
  return EXIT.ok;
}

export function registerGit(program: Command, run: Run): void {
  withApp(program.command('git:remote'), false)
    .description(`point the checkout's git remote ${REMOTE} at an app and let git use your laambda login`)
    .action((flags: { app?: string }) =>
      run(async () => {
        const app = await connect().apps.info(await targetApp(flags));
        if (!(await insideGitRepo(process.cwd()))) {
          note(`${dim(`not a git checkout: run this inside one (git init), then git push ${REMOTE} main`)}\n`);
          return EXIT.user;
        }
        await linkCheckout(process.cwd(), app.gitUrl, { repoint: true });
        return EXIT.ok;
      }),
    );
  program
    .command('git:credential')
    .description('git credential helper (git runs it): answers the laambda token for the logged-in server')
    .argument('<operation>', 'get, store or erase')
    .action((operation: string) => run(() => credential(operation)));
}
