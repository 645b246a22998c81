import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfig, parseAssignments, parseKeys } from './commands/config.ts';
import { EXIT, printError } from './output.ts';

function exitCodeOf(fn: () => unknown): { code: number; text: string } {
  let text = '';
  const stream = { isTTY: false, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  try {
    fn();
  } catch (error) {
    return { code: printError(error, stream), text };
  }
  throw new Error('expected an error');
}

describe('config:set and config:unset arguments', () => {
  it('splits KEY=VALUE at the first =, keeping = and spaces in values and allowing empty ones', () => {
    assert.deepEqual(parseAssignments(['FOO=bar', 'URL=postgres://u:p@h/db?a=b', 'MSG=hello world', 'EMPTY=']), {
      FOO: 'bar',
      URL: 'postgres://u:p@h/db?a=b',
      MSG: 'hello world',
      EMPTY: '',
    });
  });

  it('refuses an argument without = as a usage error (exit 2) that says what was expected', () => {
    const { code, text } = exitCodeOf(() => parseAssignments(['FOO=1', 'BAR']));
    assert.equal(code, EXIT.usage);
    assert.match(text, /^✘ ERR_CONFIG_KEY_INVALID: expected KEY=VALUE, got "BAR"/);
    assert.match(text, /\n {2}fix: Use KEY=VALUE/);
  });

  it('refuses empty, malformed and repeated keys', () => {
    assert.throws(() => parseAssignments(['=value']), { code: 'ERR_CONFIG_KEY_INVALID', message: /no key before the =/ });
    assert.throws(() => parseAssignments(['1FOO=x']), { code: 'ERR_CONFIG_KEY_INVALID', message: /"1FOO" .*not a valid key/ });
    assert.throws(() => parseAssignments(['MY-KEY=x']), { code: 'ERR_CONFIG_KEY_INVALID' });
    assert.throws(() => parseAssignments(['A=1', 'A=2']), { code: 'ERR_CONFIG_KEY_INVALID', message: /A is given twice/ });
  });

  it('takes bare keys for config:unset and refuses KEY=VALUE there', () => {
    assert.deepEqual(parseKeys(['FOO', 'BAR', 'FOO']), ['FOO', 'BAR']);
    const { code, text } = exitCodeOf(() => parseKeys(['FOO=1']));
    assert.equal(code, EXIT.usage);
    assert.match(text, /config:unset takes keys, got "FOO=1"/);
  });

  it('prints config as sorted KEY=VALUE lines, or export lines for a shell', () => {
    const config = { ZED: 'last', MSG: "it's here", A: '1' };
    assert.equal(formatConfig(config, false), "A=1\nMSG=it's here\nZED=last\n");
    assert.equal(formatConfig(config, true), `export A=1\nexport MSG='it'\\''s here'\nexport ZED=last\n`);
  });
});
