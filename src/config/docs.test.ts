import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createProgram } from '../cli/main.ts';
import { OPTIONS } from './options.ts';

const read = (file: string) => readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8');

describe('docs stay in step with the code', () => {
  it('documents every platform setting with its variable, flag and default', () => {
    const docs = read('configuration.md');
    for (const [name, definition] of Object.entries(OPTIONS)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      assert.ok(row, `docs/configuration.md has no row for ${name}`);
      assert.ok(row.includes(definition.env), `${name}: ${definition.env} missing`);
      assert.ok(row.includes(definition.flag.split(' ')[0] ?? ''), `${name}: flag missing`);
      if (definition.default !== undefined) assert.ok(row.includes(`\`${definition.default}\``), `${name}: default missing`);
    }
  });

  it('documents every CLI command and option', () => {
    const docs = read('cli.md');
    for (const command of createProgram().commands) {
      assert.ok(docs.includes(`## \`laambda ${command.name()}`), `docs/cli.md has no section for ${command.name()}`);
      for (const option of command.options) {
        assert.ok(docs.includes(`\`${option.flags.replaceAll('|', '\\|')}\``), `docs/cli.md lacks ${command.name()} ${option.flags}`);
      }
    }
  });
});
