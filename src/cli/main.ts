import { Command, CommanderError } from 'commander';
import { registerApps } from './commands/apps.ts';
import { registerAuth } from './commands/auth.ts';
import { registerConfig } from './commands/config.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDev } from './commands/dev.ts';
import { registerEventsGenerate } from './commands/events-generate.ts';
import { registerFunctions } from './commands/functions.ts';
import { registerEventSources } from './commands/sources.ts';
import { registerResources } from './commands/resources.ts';
import { registerObserve } from './commands/observe.ts';
import { registerGit } from './commands/git.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerKeys } from './commands/keys.ts';
import { registerReleases } from './commands/releases.ts';
import { registerServer } from './commands/server.ts';
import { registerTokens } from './commands/tokens.ts';
import { EXIT, printError } from './output.ts';

/** Builds the CLI; every command body runs through `run`, which maps errors to exit codes. */
export function createProgram(): Command {
  const program = new Command('laambda')
    .description('AWS-Lambda-compatible functions: a fast local loop and a self-hosted Lambda PaaS')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  const run = async (work: () => Promise<number>): Promise<void> => {
    try {
      process.exitCode = await work();
    } catch (error) {
      process.exitCode = printError(error);
    }
  };
  registerDev(program, run);
  registerInvoke(program, run);
  registerEventsGenerate(program, run);
  // The platform: a server, and thin commands over its API.
  registerServer(program, run);
  registerAuth(program, run);
  registerApps(program, run);
  registerGit(program, run);
  registerFunctions(program, run);
  registerEventSources(program, run);
  registerResources(program, run);
  registerObserve(program, run);
  registerDeploy(program, run);
  registerReleases(program, run);
  registerConfig(program, run);
  registerTokens(program, run);
  registerKeys(program, run);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = printError(error);
  }
}
