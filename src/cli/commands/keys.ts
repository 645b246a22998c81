import type { Command } from 'commander';
import type { ApiNewKey } from '../../api/client.ts';
import { relativeTime, shellQuote, table } from '../format.ts';
import { EXIT, paint } from '../output.ts';
import { type AppFlags, connect, dim, note, ok, out, printJson, type Run, targetApp, withApp } from '../platform.ts';

/** The key as `export` lines an AWS SDK or CLI picks up. */
export function keyExports(key: ApiNewKey): string {
  const lines: Array<[string, string | undefined]> = [
    ['AWS_ACCESS_KEY_ID', key.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', key.secretAccessKey],
    ['AWS_ENDPOINT_URL', key.endpointUrl],
    ['AWS_REGION', key.region],
    // boto3 and the AWS CLI read only this one.
    ['AWS_DEFAULT_REGION', key.region],
  ];
  return lines
    .map(([name, value]) => (value === undefined ? `# ${name}: not reported by this server\n` : `export ${name}=${shellQuote(value)}\n`))
    .join('');
}

async function list(flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const keys = await connect().keys.list(app);
  if (flags.json) printJson(keys);
  else if (keys.length === 0) out(`${app} has no access keys. Create one with ${dim('laambda keys:create')}.\n`);
  else out(table(['ACCESS KEY ID', 'CREATED'], keys.map((key) => [key.accessKeyId, relativeTime(key.createdAt)]), { header: dim }));
  return EXIT.ok;
}

async function create(flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const key = await connect().keys.create(app);
  if (flags.json) {
    printJson(key);
    return EXIT.ok;
  }
  note(ok(`Created access key ${key.accessKeyId} for ${app}`));
  out(keyExports(key));
  note(`${paint(process.stderr, 'yellow', '!')} Copy the secret now: it is shown only once.\n`);
  return EXIT.ok;
}

async function revoke(id: string, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  await connect().keys.revoke(app, id);
  out(ok(`Revoked access key ${id} of ${app}`));
  return EXIT.ok;
}

export function registerKeys(program: Command, run: Run): void {
  withApp(program.command('keys').description("list the app's AWS access keys (for the Lambda Invoke endpoint)")).action((flags: AppFlags) =>
    run(() => list(flags)),
  );
  withApp(program.command('keys:create').description('create an AWS access key for the app; prints export lines (secret shown once)')).action(
    (flags: AppFlags) => run(() => create(flags)),
  );
  withApp(
    program
      .command('keys:revoke')
      .description('revoke an AWS access key')
      .argument('<id>', 'the access key id (from laambda keys)'),
    false,
  ).action((id: string, flags: AppFlags) => run(() => revoke(id, flags)));
}
