import type { Command } from 'commander';
import { LaambdaError } from '../../core/errors.ts';
import { EVENT_OPTIONS, EVENT_TYPES, EVENT_TYPE_NAMES, generateEvent, type SampleValues } from '../../events/samples/index.ts';
import { EXIT } from '../output.ts';

function typeList(): string {
  const width = Math.max(...EVENT_TYPE_NAMES.map((name) => name.length));
  return EVENT_TYPE_NAMES.map((name) => `  ${name.padEnd(width)}  ${EVENT_TYPES[name].summary}`).join('\n');
}

function eventsGenerate(type: string, flags: SampleValues, rest: string[]): number {
  // Options no event type takes reach us as excess arguments (allowUnknownOption).
  const unknown = rest.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined) {
    throw new LaambdaError('ERR_EVENT_OPTION_INVALID', `unknown option ${unknown.split('=')[0]} (see laambda events:generate --help)`);
  }
  if (rest.length > 0) {
    throw new LaambdaError('ERR_EVENT_OPTION_INVALID', `unexpected argument "${rest[0]}": give one event type`);
  }
  const event = generateEvent(type, flags);
  process.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
  return EXIT.ok;
}

export function registerEventsGenerate(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  const command = program
    .command('events:generate')
    .description('print a realistic AWS event of TYPE as JSON, to pipe into invoke --event -')
    .argument('<type>', `the event type: ${EVENT_TYPE_NAMES.join(', ')}`)
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', `\nEvent types:\n${typeList()}\n`);
  for (const option of Object.values(EVENT_OPTIONS)) command.option(option.flags, option.help);
  command.action((type: string, flags: SampleValues, self: Command) =>
    run(async () => eventsGenerate(type, flags, self.args.slice(1))),
  );
}
