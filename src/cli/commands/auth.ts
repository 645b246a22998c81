import type { Command } from 'commander';
import { type ApiAuth, createApiClient } from '../../api/client.ts';
import { LaambdaError } from '../../core/errors.ts';
import { normalizeUrl, removeCredentials, resolveCredentials, writeCredentials } from '../credentials.ts';
import { EXIT } from '../output.ts';
import { connect, dim, note, ok, out, printJson, type Run } from '../platform.ts';

/** Reads a line from a terminal without echoing it. */
function promptSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new LaambdaError('ERR_CLI_NOT_LOGGED_IN', 'login cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

async function readToken(flag: string | undefined): Promise<string> {
  let token = flag;
  if (token === undefined && process.stdin.isTTY) token = await promptSecret('Token (input hidden): ');
  else if (token === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    token = Buffer.concat(chunks).toString('utf8').split('\n')[0];
  }
  token = token?.trim() ?? '';
  if (token === '') {
    throw new LaambdaError('ERR_CLI_NOT_LOGGED_IN', 'no token given: pass --token, type it at the prompt, or pipe it on standard input');
  }
  return token;
}

function describe(auth: ApiAuth): string {
  return auth.admin ? `${auth.name} (admin token)` : `${auth.name} (token for app ${auth.app ?? '?'})`;
}

async function login(urlArg: string, flags: { token?: string }): Promise<number> {
  const url = normalizeUrl(urlArg);
  const token = await readToken(flags.token);
  // Verify before storing, so a typo never replaces working credentials.
  const auth = await createApiClient({ url, token }).auth();
  const file = writeCredentials(process.env, { url, token });
  out(ok(`Logged in to ${url} as ${describe(auth)}`));
  note(dim(`  credentials saved to ${file}\n`));
  if (process.env.LAAMBDA_URL || process.env.LAAMBDA_TOKEN) {
    note(dim('  note: LAAMBDA_URL / LAAMBDA_TOKEN are set and take precedence over the saved credentials\n'));
  }
  return EXIT.ok;
}

function logout(): number {
  const removed = removeCredentials(process.env);
  out(removed ? ok('Logged out: saved credentials removed') : 'Not logged in: no saved credentials.\n');
  if (process.env.LAAMBDA_TOKEN) note(dim('  note: LAAMBDA_TOKEN is still set in this environment\n'));
  return EXIT.ok;
}

async function whoami(flags: { json?: boolean }): Promise<number> {
  const { url, source } = resolveCredentials(process.env);
  const auth = await connect().auth();
  if (flags.json) printJson(auth);
  else out(`${describe(auth)} at ${url}${dim(source === 'file' ? '' : ` (from ${source === 'env' ? 'LAAMBDA_URL/LAAMBDA_TOKEN' : 'the environment and the credentials file'})`)}\n`);
  return EXIT.ok;
}

export function registerAuth(program: Command, run: Run): void {
  program
    .command('login')
    .description('log in to a laambda server: verify a token and save it with the URL')
    .argument('<url>', "the server's control URL, e.g. http://127.0.0.1:8000")
    .option('--token <token>', 'the API token (default: prompt without echo, or read standard input)')
    .action((url: string, flags: { token?: string }) => run(() => login(url, flags)));
  program
    .command('logout')
    .description('forget the saved server URL and token')
    .action(() => run(async () => logout()));
  program
    .command('whoami')
    .description('show which server and token the CLI uses')
    .option('--json', 'print the API answer as JSON')
    .action((flags: { json?: boolean }) => run(() => whoami(flags)));
}
