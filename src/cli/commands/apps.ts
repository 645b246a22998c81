import type { Command } from 'commander';
import type { ApiRelease } from '../../api/client.ts';
import { LaambdaError } from '../../core/errors.ts';
import { keyValues, relativeTime, table } from '../format.ts';
import { appFromGitUrl, laambdaRemote, REMOTE, removeLaambdaRemote } from '../git.ts';
import { EXIT } from '../output.ts';
import { linkCheckout } from './git.ts';
import { type AppFlags, connect, dim, note, ok, out, printJson, type Run, targetApp, withApp } from '../platform.ts';

/** `v3 · Deploy b_1a2b · admin · 2 minutes ago`. */
export function releaseSummary(release: ApiRelease | null): string {
  if (release === null) return '—';
  return `v${release.version} · ${release.description} · ${release.author} · ${relativeTime(release.createdAt)}`;
}

async function list(flags: { json?: boolean }): Promise<number> {
  const apps = await connect().apps.list();
  if (flags.json) {
    printJson(apps);
    return EXIT.ok;
  }
  if (apps.length === 0) {
    out(`No apps yet. Create one with ${dim('laambda apps:create NAME')}.\n`);
    return EXIT.ok;
  }
  const rows = apps.map((app) => [app.name, app.release === null ? '—' : `v${app.release}`, app.domain ?? '—', app.gatewayUrl, relativeTime(app.createdAt)]);
  out(table(['NAME', 'RELEASE', 'DOMAIN', 'URL', 'CREATED'], rows, { header: dim }));
  return EXIT.ok;
}

async function create(name: string, flags: { domain?: string; remote: boolean; json?: boolean }): Promise<number> {
  const app = await connect().apps.create({ name, ...(flags.domain === undefined ? {} : { domain: flags.domain }) });
  if (flags.json) printJson(app);
  else {
    out(ok(`Created ${app.name}`));
    out(keyValues([['URL', app.gatewayUrl], ['Git URL', app.gitUrl], ...(app.domain === null ? [] : [['Domain', app.domain] as [string, string]])], '  '));
  }
  if (flags.remote) await linkCheckout(process.cwd(), app.gitUrl, { repoint: false });
  return EXIT.ok;
}

async function info(flags: AppFlags): Promise<number> {
  const app = await connect().apps.info(await targetApp(flags));
  if (flags.json) {
    printJson(app);
    return EXIT.ok;
  }
  out(`=== ${app.name}\n`);
  out(
    keyValues([
      ['Release', app.release === null ? 'none yet' : `v${app.release}`],
      ['Functions', app.functions.length === 0 ? '—' : app.functions.join(', ')],
      ['URL', app.gatewayUrl],
      ['Domain', app.domain ?? '—'],
      ['Git URL', app.gitUrl],
      ['Last deploy', releaseSummary(app.lastDeploy)],
      ['Created', `${relativeTime(app.createdAt)} (${app.createdAt})`],
    ]),
  );
  return EXIT.ok;
}

async function destroy(name: string, flags: { confirm?: string }): Promise<number> {
  if (flags.confirm !== name) {
    throw new LaambdaError(
      'ERR_APP_CONFIRM_MISMATCH',
      `destroying ${name} deletes its releases, builds, config, tokens and keys for good: run \`laambda apps:destroy ${name} --confirm ${name}\``,
    );
  }
  await connect().apps.destroy(name, flags.confirm);
  out(ok(`Destroyed ${name}`));
  const cwd = process.cwd();
  const remote = await laambdaRemote(cwd);
  if (remote !== undefined && appFromGitUrl(remote) === name && (await removeLaambdaRemote(cwd))) {
    note(dim(`  removed git remote ${REMOTE} (${remote})\n`));
  }
  return EXIT.ok;
}

export function registerApps(program: Command, run: Run): void {
  program
    .command('apps')
    .description('list the apps the token may see')
    .option('--json', 'print the API answer as JSON')
    .action((flags: { json?: boolean }) => run(() => list(flags)));
  program
    .command('apps:create')
    .description('create an app (inside a git checkout, also add the git remote laambda)')
    .argument('<name>', 'lower-case letters, digits and dashes, starting with a letter')
    .option('--domain <domain>', 'a custom domain the gateway also serves the app on')
    .option('--no-remote', 'do not add the git remote laambda to the checkout')
    .option('--json', 'print the API answer as JSON')
    .action((name: string, flags: { domain?: string; remote: boolean; json?: boolean }) => run(() => create(name, flags)));
  withApp(program.command('apps:info').description("show an app: release, functions, URLs, last deploy")).action((flags: AppFlags) =>
    run(() => info(flags)),
  );
  program
    .command('apps:destroy')
    .description('delete an app with its releases, builds, config, tokens and keys')
    .argument('<name>', 'the app to destroy')
    .option('--confirm <name>', 'the app name again, to confirm')
    .action((name: string, flags: { confirm?: string }) => run(() => destroy(name, flags)));
}
