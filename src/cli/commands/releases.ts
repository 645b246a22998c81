import type { Command } from 'commander';
import type { ApiRelease } from '../../api/client.ts';
import { keyValues, relativeTime, table } from '../format.ts';
import { EXIT, paint } from '../output.ts';
import { type AppFlags, connect, dim, ok, out, printJson, releaseVersion, type Run, targetApp, wholeNumber, withApp } from '../platform.ts';
import { FUNCTION_HEADERS, functionRows } from './functions.ts';

/** The changelog as `git log --oneline` would show it: `v3  Set FOO config vars  admin  2 minutes ago  (live)`. */
export function releaseLines(releases: ApiRelease[], now: number = Date.now(), stream: NodeJS.WriteStream = process.stdout): string {
  const rows = releases.map((release) => [
    paint(stream, 'yellow', `v${release.version}`),
    release.description,
    release.author,
    relativeTime(release.createdAt, now),
    release.current ? paint(stream, 'green', '(live)') : '',
  ]);
  return table(null, rows);
}

async function list(flags: AppFlags & { limit?: number }): Promise<number> {
  const app = await targetApp(flags);
  const releases = await connect().releases.list(app, flags.limit === undefined ? {} : { limit: flags.limit });
  if (flags.json) printJson(releases);
  else if (releases.length === 0) out(`${app} has no releases yet.\n`);
  else out(`${dim(`=== ${app} releases`)}\n${releaseLines(releases)}`);
  return EXIT.ok;
}

async function info(version: number, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const release = await connect().releases.get(app, version);
  if (flags.json) {
    printJson(release);
    return EXIT.ok;
  }
  const overrides = Object.entries(release.overrides).map(
    ([fn, settings]) => `${fn} ${Object.entries(settings).map(([key, value]) => `${key}=${value}`).join(' ')}`,
  );
  out(`=== ${app} v${release.version}${release.current ? ` ${paint(process.stdout, 'green', '(live)')}` : ''}\n`);
  out(
    keyValues([
      ['Kind', release.kind],
      ['Description', release.description],
      ['Author', release.author],
      ['Created', `${relativeTime(release.createdAt)} (${release.createdAt})`],
      ['Artifact', release.artifact ?? '—'],
      ['Build', release.buildId ?? '—'],
      ['Config keys', release.configKeys.length === 0 ? '—' : release.configKeys.join(', ')],
      ['Overrides', overrides.length === 0 ? '—' : overrides.join('; ')],
    ]),
  );
  if (release.functions.length > 0) out(`\n${table(FUNCTION_HEADERS, functionRows(release.functions), { header: dim })}`);
  return EXIT.ok;
}

async function rollback(version: number | undefined, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const release = await connect().releases.rollback(app, version);
  if (flags.json) printJson(release);
  else out(ok(`Rolled back ${app}${version === undefined ? '' : ` to v${version}`}: released v${release.version} · ${release.description}`));
  return EXIT.ok;
}

export function registerReleases(program: Command, run: Run): void {
  withApp(program.command('releases').description("list the app's releases, newest first, the live one marked"))
    .option('-n, --limit <n>', 'show at most n releases', wholeNumber('the limit', 1))
    .action((flags: AppFlags & { limit?: number }) => run(() => list(flags)));
  withApp(
    program
      .command('releases:info')
      .description('show one release: code, config keys, function settings')
      .argument('<version>', 'the release, v3 or 3', releaseVersion),
  ).action((version: number, flags: AppFlags) => run(() => info(version, flags)));
  withApp(
    program
      .command('rollback')
      .description("release an earlier release's code and config again (default: the one before the live one)")
      .argument('[version]', 'the release to go back to, v3 or 3', releaseVersion),
  ).action((version: number | undefined, flags: AppFlags) => run(() => rollback(version, flags)));
}
