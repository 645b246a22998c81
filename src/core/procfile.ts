import { LaambdaError } from './errors.ts';

/** One Procfile line: a function name and its handler. */
export interface ProcfileEntry {
  name: string;
  handler: string;
  line: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Parses a Procfile: `name: module.handler` per line; blank lines and `#` comments allowed.
 * Errors name the file and line and say what was expected.
 */
export function parseProcfile(text: string, file = 'Procfile'): ProcfileEntry[] {
  const entries: ProcfileEntry[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const colon = content.indexOf(':');
    const where = `${file}:${line}`;
    if (colon === -1) {
      throw new LaambdaError('ERR_APP_PROCFILE_INVALID', `${where}: expected \`name: module.handler\`, got "${content}"`);
    }
    const name = content.slice(0, colon).trim();
    const handler = content.slice(colon + 1).trim();
    if (!NAME.test(name)) {
      throw new LaambdaError(
        'ERR_APP_PROCFILE_INVALID',
        `${where}: function name "${name}" must start with a letter or digit and hold only letters, digits, - and _ (at most 64)`,
      );
    }
    if (!/^[^\s.][^\s]*\.[^\s.][^\s]*$/.test(handler)) {
      throw new LaambdaError(
        'ERR_APP_PROCFILE_INVALID',
        `${where}: handler "${handler}" must look like module.function (e.g. index.handler or src/api/users.handler)`,
      );
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new LaambdaError('ERR_APP_PROCFILE_INVALID', `${where}: function "${name}" is already defined on line ${previous}`);
    }
    seen.set(name, line);
    entries.push({ name, handler, line });
  });
  if (entries.length === 0) {
    throw new LaambdaError('ERR_APP_PROCFILE_INVALID', `${file} declares no function; add a line like \`hello: index.handler\``);
  }
  return entries;
}
