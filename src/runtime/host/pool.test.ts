import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../../core/errors.ts';
import { resolveFunctionSpec, type FunctionSpec } from '../../core/function.ts';
import type { Environment, EnvironmentState } from './environment.ts';
import { Pool, type PoolOptions } from './pool.ts';
import type { Invocation, InvokeResult } from './types.ts';

type Hooks = Parameters<PoolOptions['createEnvironment']>[0];

/** Stands in for an Environment: the test drives its life cycle by hand. */
class FakeEnvironment {
  state: EnvironmentState = 'starting';
  lastUsed = 0;
  initError: Environment['initError'];
  readonly invocations: Invocation[] = [];
  killed = false;
  readonly #hooks: Hooks;
  readonly #clock: { now: number };

  constructor(hooks: Hooks, clock: { now: number }) {
    this.#hooks = hooks;
    this.#clock = clock;
  }

  get provisioned(): boolean {
    return this.#hooks.provisioned;
  }

  start(): void {}

  invoke(invocation: Invocation): void {
    this.state = 'busy';
    this.invocations.push(invocation);
  }

  kill(): void {
    this.killed = true;
  }

  /** Init done, or the current invocation done. */
  available(): void {
    this.state = 'idle';
    this.lastUsed = this.#clock.now;
    this.#hooks.onAvailable(this as unknown as Environment);
  }

  die(undelivered?: Invocation): void {
    this.state = 'dead';
    this.#hooks.onDead(this as unknown as Environment, undelivered);
  }
}

function setup(spec: Partial<FunctionSpec> = {}, idleTimeoutMs = 60_000) {
  const clock = { now: 0 };
  const envs: FakeEnvironment[] = [];
  const pool = new Pool({
    spec: resolveFunctionSpec({ name: 'fn', codeDir: '/app', handler: 'index.handler', runtime: 'nodejs', ...spec }, 10),
    clock: { now: () => clock.now, monotonic: () => clock.now },
    idleTimeoutMs,
    createEnvironment(hooks) {
      const env = new FakeEnvironment(hooks, clock);
      envs.push(env);
      return env as unknown as Environment;
    },
  });
  return { pool, envs, clock };
}

function invocation(requestId: string): Invocation & { outcome: Promise<InvokeResult> } {
  let resolve!: (result: InvokeResult) => void;
  let reject!: (error: Error) => void;
  const outcome = new Promise<InvokeResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    requestId,
    payload: Buffer.from('{}'),
    functionArn: 'arn',
    traceId: 't',
    clientContext: undefined,
    identity: undefined,
    logTail: false,
    resolve,
    reject,
    outcome,
  };
}

describe('Pool', () => {
  it('starts one environment per waiting invocation and hands each its own', () => {
    const { pool, envs } = setup();
    const [a, b, c] = [invocation('a'), invocation('b'), invocation('c')];
    pool.submit(a);
    pool.submit(b);
    pool.submit(c);
    assert.equal(envs.length, 3);
    assert.deepEqual(pool.stats(), { functionName: 'fn', version: '$LATEST', environments: 3, starting: 3, busy: 0, idle: 0, waiting: 3 });
    envs[1]!.available();
    envs[0]!.available();
    assert.deepEqual(envs[1]!.invocations, [a]);
    assert.deepEqual(envs[0]!.invocations, [b]);
    assert.equal(pool.stats().waiting, 1);
  });

  it('uses an idle environment before starting another', () => {
    const { pool, envs } = setup();
    pool.submit(invocation('a'));
    envs[0]!.available();
    envs[0]!.available();
    const b = invocation('b');
    pool.submit(b);
    assert.equal(envs.length, 1);
    assert.deepEqual(envs[0]!.invocations.at(-1), b);
  });

  it('throttles only when every environment exists and none is starting spare', () => {
    const { pool, envs } = setup({ concurrency: 2 });
    pool.submit(invocation('a'));
    pool.submit(invocation('b'));
    assert.throws(
      () => pool.submit(invocation('c')),
      (error: unknown) => isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED',
    );
    assert.equal(envs.length, 2);
  });

  it('gives an invocation its environment never started to the next environment', () => {
    const { pool, envs } = setup();
    const a = invocation('a');
    pool.submit(invocation('first'));
    envs[0]!.available();
    envs[0]!.available();
    pool.submit(a);
    // The runtime exits between invocations without asking for `a`.
    envs[0]!.die(a);
    assert.equal(envs.length, 2, 'a new environment starts for it');
    envs[1]!.available();
    assert.deepEqual(envs[1]!.invocations, [a]);
  });

  it('fails an invocation its environment never started when the pool is closing', async () => {
    const { pool, envs } = setup();
    const a = invocation('a');
    pool.submit(invocation('first'));
    envs[0]!.available();
    envs[0]!.available();
    pool.submit(a);
    const closed = pool.close();
    envs[0]!.die(a);
    await closed;
    await assert.rejects(a.outcome, (error: unknown) => isLaambdaError(error) && error.code === 'ERR_ENGINE_CLOSED');
  });

  it('starts the warm minimum at once as provisioned and replaces one that dies', () => {
    const { pool, envs } = setup({ minWarm: 2, concurrency: 3 });
    assert.equal(envs.length, 2);
    assert.ok(envs.every((env) => env.provisioned));
    envs[0]!.available();
    envs[0]!.die();
    assert.equal(envs.length, 3);
    assert.equal(envs[2]!.provisioned, true);
    void pool.close();
  });

  it('reaps idle environments past the idle timeout, never below the warm minimum in one pass', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { pool, envs, clock } = setup({ minWarm: 1, concurrency: 3 }, 100);
    // The warm one starting counts for the first invocation: three invocations, three environments.
    for (const id of ['a', 'b', 'c']) pool.submit(invocation(id));
    assert.equal(envs.length, 3);
    for (const env of envs) env.available();
    for (const env of envs) env.available();
    assert.equal(pool.stats().idle, 3);
    clock.now = 1000;
    t.mock.timers.tick(1000);
    assert.equal(envs.filter((env) => env.killed).length, 2, 'one stays: the warm minimum');
    void pool.close();
  });

  it('drains: idle environments stop now, busy ones after their invocation', async () => {
    const { pool, envs } = setup();
    pool.submit(invocation('a'));
    pool.submit(invocation('b'));
    envs[0]!.available();
    envs[1]!.available();
    envs[1]!.available();
    const drained = pool.drain();
    assert.deepEqual(
      envs.map((env) => env.killed),
      [false, true],
    );
    assert.throws(() => pool.submit(invocation('c')), (error: unknown) => isLaambdaError(error) && error.code === 'ERR_ENGINE_CLOSED');
    envs[0]!.available();
    assert.equal(envs[0]!.killed, true, 'the busy one stops once its invocation is done');
    envs[0]!.die();
    envs[1]!.die();
    await drained;
  });

  it('drains: an invocation already queued for a starting environment still runs', async () => {
    const { pool, envs } = setup();
    pool.submit(invocation('held'));
    envs[0]!.available();
    const queued = invocation('queued');
    pool.submit(queued);
    assert.equal(envs.length, 2, 'an environment starts for the queued invocation');
    const drained = pool.drain();
    assert.equal(envs[1]!.killed, false, 'the environment starting for it is kept');
    envs[1]!.available();
    assert.deepEqual(envs[1]!.invocations.map((i) => i.requestId), ['queued']);
    envs[1]!.available();
    envs[0]!.available();
    assert.deepEqual(envs.map((env) => env.killed), [true, true], 'both stop once nothing waits');
    for (const env of envs) env.die();
    await drained;
  });
});
