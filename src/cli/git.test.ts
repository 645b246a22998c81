import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addLaambdaRemote, appFromGitUrl, insideGitRepo, laambdaRemote, resolveApp } from './git.ts';

describe('app resolution', () => {
  let dir = '';
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' });
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-git-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the app from the laambda remote of the checkout, from any subdirectory', async () => {
    const repo = path.join(dir, 'shop');
    await mkdir(path.join(repo, 'src', 'deep'), { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'remote', 'add', 'origin', 'https://github.com/me/shop.git');
    git(repo, 'remote', 'add', 'laambda', 'http://127.0.0.1:8000/git/shop-api.git');
    assert.equal(await resolveApp(undefined, repo), 'shop-api');
    assert.equal(await resolveApp(undefined, path.join(repo, 'src', 'deep')), 'shop-api');
  });

  it('lets -a win over the git remote', async () => {
    assert.equal(await resolveApp('other', path.join(dir, 'shop')), 'other');
  });

  it('says ERR_CLI_APP_REQUIRED outside a checkout and in a checkout without a laambda remote', async () => {
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    await assert.rejects(resolveApp(undefined, plain), { code: 'ERR_CLI_APP_REQUIRED', message: /pass -a APP/ });
    const repo = path.join(dir, 'no-remote');
    await mkdir(repo);
    git(repo, 'init', '-q');
    await assert.rejects(resolveApp(undefined, repo), { code: 'ERR_CLI_APP_REQUIRED' });
  });

  it('says ERR_CLI_APP_REQUIRED when the laambda remote is not a laambda git URL', async () => {
    const repo = path.join(dir, 'odd');
    await mkdir(repo);
    git(repo, 'init', '-q');
    git(repo, 'remote', 'add', 'laambda', 'git@github.com:me/odd.git');
    await assert.rejects(resolveApp(undefined, repo), { code: 'ERR_CLI_APP_REQUIRED', message: /does not end in \/git\/APP\.git/ });
  });

  it('adds the laambda remote that apps:create links a checkout with', async () => {
    const repo = path.join(dir, 'linked');
    await mkdir(repo);
    assert.equal(await insideGitRepo(repo), false);
    git(repo, 'init', '-q');
    assert.equal(await insideGitRepo(repo), true);
    assert.equal(await addLaambdaRemote(repo, 'http://127.0.0.1:8000/git/linked.git'), true);
    assert.equal(await laambdaRemote(repo), 'http://127.0.0.1:8000/git/linked.git');
    assert.equal(await addLaambdaRemote(repo, 'http://elsewhere/git/linked.git'), false, 'an existing remote is left alone');
  });

  it('parses app names from laambda git URLs only', () => {
    assert.equal(appFromGitUrl('http://127.0.0.1:8000/git/shop.git'), 'shop');
    assert.equal(appFromGitUrl('https://user:lb_tok@paas.example.com/git/my-app.git/'), 'my-app');
    assert.equal(appFromGitUrl('https://paas.example.com/git/shop'), 'shop');
    assert.equal(appFromGitUrl('https://github.com/me/shop.git'), undefined);
  });
});
