import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../core/errors.ts';
import { describeConfig, readConfigFile, resolveConfig } from './load.ts';

describe('resolveConfig', () => {
  it('uses defaults when nothing is given', () => {
    const { config, sources } = resolveConfig({});
    assert.equal(config.logLevel, 'info');
    assert.equal(sources.logLevel, 'default');
  });

  it('lets the file beat defaults, env beat the file, and flags beat env', () => {
    const file = { logLevel: 'warn', region: 'eu-west-1', concurrency: 7 };
    const env = { LAAMBDA_REGION: 'eu-central-1', LAAMBDA_CONCURRENCY: '9' };
    const { config, sources } = resolveConfig({ file, env, flags: { concurrency: '11' } });
    assert.equal(config.logLevel, 'warn');
    assert.equal(sources.logLevel, 'file');
    assert.equal(config.region, 'eu-central-1');
    assert.equal(sources.region, 'env');
    assert.equal(config.concurrency, 11);
    assert.equal(sources.concurrency, 'flag');
  });

  it('names the variable and the expected value when one is invalid', () => {
    assert.throws(
      () => resolveConfig({ env: { LAAMBDA_LOG_LEVEL: 'loud' } }),
      (error) => isLaambdaError(error) && error.code === 'ERR_CONFIG_INVALID' && /LAAMBDA_LOG_LEVEL/.test(error.message),
    );
  });

  it('rejects unknown settings in the file, listing the known ones', () => {
    assert.throws(
      () => resolveConfig({ file: { dataDirectory: 'x' } }),
      (error) => isLaambdaError(error) && /dataDirectory/.test(error.message) && /dataDir/.test(error.message),
    );
  });

  it('returns a frozen config', () => {
    const { config } = resolveConfig({});
    assert.ok(Object.isFrozen(config));
  });

  it('reports every value with its source', () => {
    const rows = describeConfig(resolveConfig({ flags: { region: 'ap-south-1' } }));
    assert.deepEqual(
      rows.find((row) => row.name === 'region'),
      { name: 'region', value: 'ap-south-1', source: 'flag' },
    );
  });
});

describe('readConfigFile', () => {
  it('says which file is not JSON', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'laambda-config-')), 'laambda.config.json');
    writeFileSync(file, '{ not json');
    assert.throws(
      () => readConfigFile(file),
      (error) => isLaambdaError(error) && error.code === 'ERR_CONFIG_FILE_UNREADABLE' && error.message.includes(file),
    );
  });
});
