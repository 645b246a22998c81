// `event-sources FUNCTION`, `event-sources:add|remove FUNCTION SOURCE`, `event-sources:clear FUNCTION`.
import type { Command } from 'commander';
import type { ApiEventSource, ApiRelease } from '../../api/client.ts';
import { table } from '../format.ts';
import { EXIT } from '../output.ts';
import { type AppFlags, connect, dim, ok, out, printJson, type Run, targetApp, withApp } from '../platform.ts';

const SOURCE_HELP = 'e.g. queue:orders?batch=10, bucket:uploads?events=created&prefix=logs/, "schedule:rate(5 minutes)", http:GET:/users/{id}';

function print(sources: ApiEventSource[], empty: string): void {
  if (sources.length === 0) {
    out(`${empty}\n`);
    return;
  }
  const rows = sources.map((s) => [s.function, s.source, s.origin, s.status ?? '—']);
  out(table(['FUNCTION', 'SOURCE', 'FROM', 'STATUS'], rows, { header: dim }));
}

async function list(fn: string | undefined, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const sources = await connect().eventSources.list(app, fn);
  if (flags.json) printJson(sources);
  else print(sources, `${fn ?? app} has no event sources.`);
  return EXIT.ok;
}

async function change(flags: AppFlags, work: (app: string) => Promise<{ sources: ApiEventSource[]; release: ApiRelease }>, done: string, fn: string): Promise<number> {
  const app = await targetApp(flags);
  const result = await work(app);
  if (flags.json) {
    printJson(result);
    return EXIT.ok;
  }
  out(ok(`${app} ${fn}: ${done} — released v${result.release.version}`));
  print(result.sources, `${fn} has no event sources now.`);
  return EXIT.ok;
}

export function registerEventSources(program: Command, run: Run): void {
  withApp(
    program
      .command('event-sources')
      .description('list what invokes the functions: routes, queues, buckets and schedules')
      .argument('[function]', 'only this function'),
  ).action((fn: string | undefined, flags: AppFlags) => run(() => list(fn, flags)));
  withApp(
    program
      .command('event-sources:add')
      .description('add a source to a function (same queue, bucket filters, schedule or route: change it); makes a new release')
      .argument('<function>', 'the function name from the Procfile')
      .argument('<source>', SOURCE_HELP),
  ).action((fn: string, source: string, flags: AppFlags) =>
    run(() => change(flags, (app) => connect().eventSources.add(app, fn, source), `added ${source}`, fn)),
  );
  withApp(
    program
      .command('event-sources:remove')
      .description('remove a source from a function; makes a new release')
      .argument('<function>', 'the function name from the Procfile')
      .argument('<source>', SOURCE_HELP),
  ).action((fn: string, source: string, flags: AppFlags) =>
    run(() => change(flags, (app) => connect().eventSources.remove(app, fn, source), `removed ${source}`, fn)),
  );
  withApp(
    program
      .command('event-sources:clear')
      .description('remove every source of a function, its routes too; makes a new release')
      .argument('<function>', 'the function name from the Procfile'),
  ).action((fn: string, flags: AppFlags) => run(() => change(flags, (app) => connect().eventSources.clear(app, fn), 'cleared its sources', fn)));
  withApp(
    program
      .command('event-sources:reset')
      .description('drop the sources set with event-sources:*, back to the events in laambda.json; makes a new release')
      .argument('<function>', 'the function name from the Procfile'),
  ).action((fn: string, flags: AppFlags) =>
    run(() => change(flags, (app) => connect().eventSources.reset(app, fn), 'back to the events in laambda.json', fn)),
  );
}
