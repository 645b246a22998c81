import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { ApiBuild, ApiDeployEvent } from '../../api/client.ts';
import { packDirectory } from '../../build/pack.ts';
import { LaambdaError } from '../../core/errors.ts';
import { formatBytes, keyValues, relativeTime, table } from '../format.ts';
import { EXIT, paint } from '../output.ts';
import { type AppFlags, connect, dim, out, printJson, type Run, targetApp, withApp } from '../platform.ts';

interface DeployFlags extends AppFlags {
  message?: string;
}

/** Human output of one deploy event, Heroku-style: `-----> step`, then its log lines indented and dimmed. */
export function formatDeployEvent(event: ApiDeployEvent, stream: NodeJS.WriteStream = process.stdout): string {
  switch (event.type) {
    case 'step':
      return `${event.message.startsWith('----->') ? '' : '-----> '}${event.message}\n`;
    case 'log':
      return `${event.message
        .split('\n')
        .map((line) => `       ${paint(stream, 'dim', line)}`)
        .join('\n')}\n`;
    case 'result':
      if (event.ok) return `${paint(stream, 'green', '✔')} Released v${event.release.version}${paint(stream, 'dim', ` · ${event.release.description}`)}\n`;
      return `${paint(stream, 'red', '✘')} ${event.error.code}: ${event.error.message}\n  ${paint(stream, 'dim', 'fix:')} ${event.error.fix}\n`;
  }
}

async function deploy(dirArg: string, flags: DeployFlags): Promise<number> {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LaambdaError('ERR_BUILD_SOURCE_INVALID', `${dir} is not a directory`);
  }
  if (!existsSync(path.join(dir, 'Procfile'))) throw new LaambdaError('ERR_APP_PROCFILE_MISSING', `no Procfile in ${dir}`);
  const app = await targetApp(flags, dir);
  const client = connect();
  const packed = await packDirectory(dir);
  if (!flags.json) out(`Deploying ${dir} to ${app} (${packed.files.length} files, ${formatBytes(packed.bytes)}) on ${client.url}\n`);
  const events = client.deploy(app, {
    archive: packed.stream,
    gzip: true,
    ...(flags.message === undefined ? {} : { description: flags.message }),
  });
  let failed = false;
  try {
    for await (const event of events) {
      if (event.type === 'result') failed = !event.ok;
      if (flags.json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else process.stdout.write(formatDeployEvent(event));
    }
  } finally {
    packed.stream.destroy();
  }
  return failed ? EXIT.user : EXIT.ok;
}

function duration(build: ApiBuild): string {
  if (build.finishedAt === null) return '—';
  const seconds = (Date.parse(build.finishedAt) - Date.parse(build.startedAt)) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function status(build: ApiBuild): string {
  const color = build.status === 'succeeded' ? 'green' : build.status === 'failed' ? 'red' : 'yellow';
  return paint(process.stdout, color, build.status);
}

async function builds(flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const list = await connect().builds.list(app);
  if (flags.json) printJson(list);
  else if (list.length === 0) out(`${app} has no builds yet.\n`);
  else {
    const rows = list.map((build) => [
      build.id,
      status(build),
      build.source + (build.revision === null ? '' : ` ${build.revision.slice(0, 7)}`),
      build.release === null ? '—' : `v${build.release}`,
      build.author,
      relativeTime(build.startedAt),
      duration(build),
    ]);
    out(table(['ID', 'STATUS', 'SOURCE', 'RELEASE', 'AUTHOR', 'STARTED', 'DURATION'], rows, { header: dim }));
  }
  return EXIT.ok;
}

async function output(id: string, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const build = await connect().builds.get(app, id);
  if (flags.json) {
    printJson(build);
    return EXIT.ok;
  }
  process.stderr.write(
    dim(
      keyValues([
        ['Build', `${build.id} (${build.status}${build.release === null ? '' : `, v${build.release}`})`],
        ['Started', `${relativeTime(build.startedAt)} by ${build.author}`],
        ...(build.error === null ? [] : [['Error', build.error] as [string, string]]),
      ]),
    ),
  );
  const text = build.output ?? '';
  out(text === '' || text.endsWith('\n') ? text : `${text}\n`);
  return EXIT.ok;
}

export function registerDeploy(program: Command, run: Run): void {
  withApp(
    program
      .command('deploy')
      .description('pack the app directory (honouring .gitignore and .laambdaignore), build it on the server and release it')
      .argument('[dir]', 'the app directory (holding the Procfile)', '.')
      .option('-m, --message <description>', 'the release description'),
    false,
  )
    .option('--json', 'print the build events as JSON lines')
    .action((dir: string, flags: DeployFlags) => run(() => deploy(dir, flags)));
  withApp(program.command('builds').description("list the app's builds, newest first")).action((flags: AppFlags) => run(() => builds(flags)));
  withApp(
    program
      .command('builds:output')
      .description("print a build's output")
      .argument('<id>', 'the build id (from laambda builds)'),
  ).action((id: string, flags: AppFlags) => run(() => output(id, flags)));
}
