import type { Command } from 'commander';
import { relativeTime, table } from '../format.ts';
import { EXIT, paint } from '../output.ts';
import { connect, dim, note, ok, out, printJson, type Run } from '../platform.ts';

async function list(flags: { json?: boolean }): Promise<number> {
  const tokens = await connect().tokens.list();
  if (flags.json) printJson(tokens);
  else {
    const rows = tokens.map((token) => [token.id, token.name, token.app ?? 'admin', relativeTime(token.createdAt), relativeTime(token.lastUsedAt)]);
    out(table(['ID', 'NAME', 'APP', 'CREATED', 'LAST USED'], rows, { header: dim }));
  }
  return EXIT.ok;
}

async function create(flags: { app?: string; name?: string; json?: boolean }): Promise<number> {
  const created = await connect().tokens.create({
    ...(flags.app === undefined ? {} : { app: flags.app }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
  });
  if (flags.json) {
    printJson(created);
    return EXIT.ok;
  }
  // The token alone on stdout, so TOKEN=$(laambda tokens:create --app shop) works.
  note(ok(`Created token ${created.id} (${created.name}, ${created.app === null ? 'admin: every app' : `app ${created.app} only`})`));
  out(`${created.token}\n`);
  note(`${paint(process.stderr, 'yellow', '!')} Copy it now: it is shown only once (the server keeps only its hash).\n`);
  return EXIT.ok;
}

async function revoke(id: string): Promise<number> {
  await connect().tokens.revoke(id);
  out(ok(`Revoked token ${id}`));
  return EXIT.ok;
}

export function registerTokens(program: Command, run: Run): void {
  program
    .command('tokens')
    .description('list API tokens (admin: all; app token: its app)')
    .option('--json', 'print the API answer as JSON')
    .action((flags: { json?: boolean }) => run(() => list(flags)));
  program
    .command('tokens:create')
    .description('create an API token, admin or for one app (shown once)')
    .option('-a, --app <app>', 'limit the token to this app (default: an admin token)')
    .option('--name <name>', 'a name to recognise the token by')
    .option('--json', 'print the API answer as JSON')
    .action((flags: { app?: string; name?: string; json?: boolean }) => run(() => create(flags)));
  program
    .command('tokens:revoke')
    .description('revoke an API token')
    .argument('<id>', 'the token id (from laambda tokens)')
    .action((id: string) => run(() => revoke(id)));
}
