import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../../core/errors.ts';
import { parseDrainUrl, redactDrainUrl } from './url.ts';

function refused(text: string): string {
  try {
    parseDrainUrl(text);
  } catch (error) {
    assert.ok(isLaambdaError(error));
    assert.equal(error.code, 'ERR_DRAIN_URL_INVALID');
    return error.message;
  }
  assert.fail(`${text} was accepted`);
}

describe('parseDrainUrl', () => {
  it('accepts tcp:// and syslog+tcp:// with a host and port, in one canonical spelling', () => {
    assert.deepEqual(parseDrainUrl(' tcp://Logs.Example.com:5000/ '), { kind: 'tcp', url: 'tcp://logs.example.com:5000', host: 'logs.example.com', port: 5000 });
    assert.deepEqual(parseDrainUrl('syslog+tcp://10.0.0.7:514'), { kind: 'syslog+tcp', url: 'syslog+tcp://10.0.0.7:514', host: '10.0.0.7', port: 514 });
    assert.deepEqual(parseDrainUrl('tcp://[::1]:7000'), { kind: 'tcp', url: 'tcp://[::1]:7000', host: '::1', port: 7000 });
  });

  it('accepts https:// with a path and query, and http:// only to this machine', () => {
    assert.deepEqual(parseDrainUrl('https://logs.example.com/ingest?token=abc'), { kind: 'https', url: 'https://logs.example.com/ingest?token=abc' });
    assert.equal(parseDrainUrl('http://127.0.0.1:8080/in').url, 'http://127.0.0.1:8080/in');
    assert.equal(parseDrainUrl('http://localhost:8080').url, 'http://localhost:8080/');
    assert.match(refused('http://logs.example.com/in'), /plain http:\/\/ to another machine/);
  });

  it('refuses other schemes and incomplete URLs, saying what is accepted', () => {
    const message = refused('udp://logs.example.com:514');
    assert.match(message, /unsupported scheme udp:/);
    assert.match(message, /tcp:\/\/HOST:PORT .*syslog\+tcp:\/\/HOST:PORT .*https:\/\/HOST\/PATH/);
    assert.match(refused('logs.example.com:5000'), /unsupported scheme|not a URL/);
    assert.match(refused('not a url'), /not a URL/);
    assert.match(refused('tcp://logs.example.com'), /no port/);
    assert.match(refused('tcp://logs.example.com:0'), /port outside/);
    assert.match(refused('tcp://logs.example.com:5000/path'), /path, query or fragment/);
    assert.match(refused('syslog+tcp://user:pw@logs.example.com:514'), /credentials/);
    assert.match(refused('https://logs.example.com/#frag'), /fragment/);
  });
});

describe('redactDrainUrl', () => {
  it('hides passwords and query strings', () => {
    assert.equal(redactDrainUrl('https://user:secret@logs.example.com/in?token=abc'), 'https://user:***@logs.example.com/in?***');
    assert.equal(redactDrainUrl('tcp://logs.example.com:5000'), 'tcp://logs.example.com:5000');
  });
});
