import type { Command } from 'commander';
import { resolveConfig } from '../../config/index.ts';
import { OPTIONS, type OptionName } from '../../config/options.ts';
import { LaambdaError } from '../../core/errors.ts';
import type { PlatformServer } from '../../main.ts';
import { keyValues } from '../format.ts';
import { EXIT, paint, untilStopped } from '../output.ts';
import type { Run } from '../platform.ts';

interface ServerFlags extends Partial<Record<OptionName, string>> {
  host: string;
  port: string;
  gatewayPort: string;
  awsPort: string;
  json?: boolean;
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new LaambdaError('ERR_CONFIG_INVALID', `${flag} must be a port number from 0 to 65535 (0 picks a free one), got "${value}"`);
  }
  return port;
}

/** What a human sees once the server listens: where it is, the admin token, what to do next. */
export function serverBanner(server: Pick<PlatformServer, 'controlUrl' | 'gatewayUrl' | 'awsUrl' | 'dataDir' | 'adminToken'>, stream: NodeJS.WriteStream = process.stdout): string {
  const bold = (text: string) => paint(stream, 'bold', text);
  const dim = (text: string) => paint(stream, 'dim', text);
  let text = `laambda server · data in ${server.dataDir}\n\n`;
  text += keyValues(
    [
      ['control', `${server.controlUrl}  ${dim('API /api/v1, git /git/APP.git')}`],
      ['gateway', `${server.gatewayUrl}  ${dim("apps' HTTP routes (APP.localhost, custom domains)")}`],
      ['aws', `${server.awsUrl}  ${dim('AWS endpoint: Lambda, S3, SQS (SigV4, keys from keys:create)')}`],
    ],
    '  ',
  );
  if (server.adminToken !== undefined) {
    text += `\n  ${paint(stream, 'yellow', 'Admin token')} (shown once — store it now):\n    ${bold(server.adminToken)}\n`;
  }
  text += `\n  Next steps:\n`;
  text += `    laambda login ${server.controlUrl}${server.adminToken === undefined ? '' : dim('   (paste the admin token)')}\n`;
  text += `    laambda apps:create NAME\n`;
  text += `    git remote add laambda ${server.controlUrl}/git/NAME.git   ${dim('(apps:create does this inside a checkout)')}\n`;
  return text;
}

async function serve(flags: ServerFlags): Promise<number> {
  const settings = Object.fromEntries(SERVER_SETTINGS.map((name) => [name, flags[name]]));
  const { config } = resolveConfig({ env: process.env, flags: settings });
  // Loaded here so the thin API commands never load the platform's engine and storage.
  const { startServer } = await import('../../main.ts');
  const server = await startServer({
    config,
    host: flags.host,
    port: parsePort('--port', flags.port),
    gatewayPort: parsePort('--gateway-port', flags.gatewayPort),
    awsPort: parsePort('--aws-port', flags.awsPort),
    hostEnv: process.env,
  });
  const out = process.stdout;
  if (flags.json) {
    const { controlUrl, gatewayUrl, awsUrl, dataDir, adminToken } = server;
    out.write(`${JSON.stringify({ type: 'listening', controlUrl, gatewayUrl, awsUrl, dataDir, ...(adminToken === undefined ? {} : { adminToken }) })}\n`);
  } else {
    out.write(serverBanner(server));
    out.write(`${paint(out, 'green', '✔')} ready (Ctrl-C to stop)\n`);
  }
  await untilStopped();
  await server.close();
  return EXIT.ok;
}

/** Every platform setting is also a flag of `server` (flags win over LAAMBDA_* variables). */
const SERVER_SETTINGS = Object.keys(OPTIONS) as OptionName[];

export function registerServer(program: Command, run: Run): void {
  const command = program.command('server').description('run the platform: control API and git, the HTTP gateway and the AWS endpoint');
  for (const name of SERVER_SETTINGS) {
    const definition = OPTIONS[name];
    command.option(definition.flag, `${definition.help} (${definition.env})`);
  }
  command
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'control port: API and git (0 picks a free port)', '8000')
    .option('--gateway-port <port>', "port of the apps' HTTP gateway (0 picks a free port)", '8080')
    .option('--aws-port <port>', 'port of the AWS endpoint: Lambda, S3 and SQS (0 picks a free port)', '4566')
    .option('--json', 'print one JSON line with the URLs (and the admin token when this start created it)')
    .action((flags: ServerFlags) => run(() => serve(flags)));
}
