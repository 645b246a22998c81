import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthorization } from './auth.ts';
import { parseCgiHead } from './cgi.ts';
import { createKeyedQueue } from './keyed-queue.ts';
import { checkPush, parseRefUpdates } from './refs.ts';
import { hookScript } from './repos.ts';

const ZERO = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseCgiHead', () => {
  it('takes the status from Status: and keeps the other headers in order', () => {
    const head = parseCgiHead('Status: 404 Not Found\r\nContent-Type: text/plain\r\nCache-Control: no-cache');
    assert.equal(head.status, 404);
    assert.deepEqual(head.headers, [
      ['Content-Type', 'text/plain'],
      ['Cache-Control', 'no-cache'],
    ]);
  });

  it('defaults to 200 and accepts bare newlines', () => {
    assert.deepEqual(parseCgiHead('Content-Type: application/x-git-upload-pack-advertisement\n'), {
      status: 200,
      headers: [['Content-Type', 'application/x-git-upload-pack-advertisement']],
    });
  });

  it('rejects a line that is not a header and a status that is not one', () => {
    assert.throws(() => parseCgiHead('garbage'));
    assert.throws(() => parseCgiHead('Status: nope'));
  });
});

describe('parseAuthorization', () => {
  const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

  it('takes the token from the Basic password, whatever the user name', () => {
    assert.deepEqual(parseAuthorization(basic('pat:lb_secret')), { user: 'pat', token: 'lb_secret' });
    assert.deepEqual(parseAuthorization(basic(':lb_secret')), { user: '', token: 'lb_secret' });
    assert.deepEqual(parseAuthorization(basic('x:a:b')), { user: 'x', token: 'a:b' });
  });

  it('accepts a Bearer token and nothing without a token', () => {
    assert.deepEqual(parseAuthorization('Bearer lb_x'), { user: 'git', token: 'lb_x' });
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization(basic('pat:')), undefined);
    assert.equal(parseAuthorization(basic('pat')), undefined);
    assert.equal(parseAuthorization('Digest abc'), undefined);
  });

  it('keeps control characters out of the user name', () => {
    assert.equal(parseAuthorization(basic('pa\nt"x:tok'))?.user, 'patx');
  });
});

describe('checkPush', () => {
  it('accepts one update of main or master', () => {
    for (const ref of ['refs/heads/main', 'refs/heads/master']) {
      const check = checkPush(parseRefUpdates(`${A} ${B} ${ref}\n`));
      assert.deepEqual(check, { ok: true, update: { oldId: A, newId: B, ref } });
    }
  });

  it('refuses other branches and tags, naming the branch to push', () => {
    const branch = checkPush(parseRefUpdates(`${ZERO} ${B} refs/heads/feature\n`));
    assert.equal(branch.ok, false);
    assert.match(!branch.ok ? branch.fix : '', /feature:main/);
    const tag = checkPush(parseRefUpdates(`${ZERO} ${B} refs/tags/v1\n${A} ${B} refs/heads/main\n`));
    assert.equal(tag.ok, false);
    assert.match(!tag.ok ? tag.message : '', /not ref "v1"/);
  });

  it('refuses deleting the branch and pushing both main and master', () => {
    const deletion = checkPush(parseRefUpdates(`${A} ${ZERO} refs/heads/main\n`));
    assert.match(!deletion.ok ? deletion.message : '', /cannot be deleted/);
    const both = checkPush(parseRefUpdates(`${A} ${B} refs/heads/main\n${A} ${B} refs/heads/master\n`));
    assert.equal(both.ok, false);
  });
});

describe('createKeyedQueue', () => {
  it('runs tasks of one key one after another, and of other keys side by side, past failures', async () => {
    const queue = createKeyedQueue();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = queue.run('app', async () => {
      order.push('first start');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first end');
      throw new Error('first failed');
    });
    const second = queue.run('app', async () => {
      order.push('second');
      return 2;
    });
    await queue.run('other', async () => order.push('other'));
    assert.deepEqual(order, ['first start', 'other']);
    releaseFirst();
    await assert.rejects(first, /first failed/);
    assert.equal(await second, 2);
    assert.deepEqual(order, ['first start', 'other', 'first end', 'second']);
  });
});

describe('hookScript', () => {
  it('execs node on the hook module, quoting paths for sh', () => {
    const script = hookScript("/opt/it's/node", '/srv/laambda/src/git/pre-receive.ts');
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(script, /exec '\/opt\/it'\\''s\/node' --disable-warning=ExperimentalWarning '\/srv\/laambda\/src\/git\/pre-receive.ts' "\$@"\n$/);
  });
});
