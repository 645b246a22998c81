import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Clock, Logger } from '../../core/ports.ts';
import type { ResolvedFunctionSpec } from '../../core/function.ts';
import { ERROR_TYPE, HEADER, MAX_SYNC_PAYLOAD_BYTES } from '../protocol.js';
import { buildLaunch, type LaunchContext } from './launch.ts';
import { captureLines, formatReport, LogTail, type LogSink, type LogStream } from './log-capture.ts';
import type { MemoryGuard, MemoryHandle } from './memory.ts';
import { readBody, type RuntimeApiEndpoint, type RuntimeApiServer, sendJson } from './runtime-api.ts';
import { entrypointError, exitOutcome, type Fatal, type Outcome, parseError, parseFunctionError } from './outcomes.ts';
import { directorySize } from './tmp-size.ts';
import type { FunctionError, Invocation, InvokeResult } from './types.ts';

export type EnvironmentState = 'starting' | 'idle' | 'busy' | 'dead';

export interface EnvironmentOptions {
  spec: ResolvedFunctionSpec;
  api: RuntimeApiServer;
  memory: MemoryGuard;
  clock: Clock;
  context: LaunchContext;
  /** Parent of the per-environment temp dirs. */
  tmpRoot: string;
  onLog: LogSink;
  /** Platform events (start, exit, timeouts); function output goes to onLog. */
  logger: Logger;
  provisioned: boolean;
  /** Told when the environment can take an invocation (after init, after each invocation). */
  onAvailable(env: Environment): void;
  /** Told once when the environment is gone, with an invocation it took but never started. */
  onDead(env: Environment, undelivered?: Invocation): void;
}


interface Active {
  invocation: Invocation;
  dispatchedAt: number;
  tail: LogTail | undefined;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/** One child process running one function version; it serves one invocation at a time. */
export class Environment {
  readonly id = randomBytes(12).toString('hex');
  readonly spec: ResolvedFunctionSpec;
  state: EnvironmentState = 'starting';
  lastUsed: number;
  /** Set when init failed: the next invocation reports it, then the environment goes. */
  initError: FunctionError | undefined;

  readonly #options: EnvironmentOptions;
  readonly #tmpDir: string;
  #startedAt: number;
  #initDurationMs: number | undefined;
  #reportedInit = false;
  #child: ChildProcess | undefined;
  #endpoint: RuntimeApiEndpoint | undefined;
  #killRequested = false;
  #tmpCheckedAt = Number.NEGATIVE_INFINITY;
  #memory: MemoryHandle | undefined;
  #pendingNext: ServerResponse | undefined;
  #queued: Invocation | undefined;
  #active: Active | undefined;
  #stderrTail: string[] = [];
  #deathReason: Fatal | undefined;

  constructor(options: EnvironmentOptions) {
    this.#options = options;
    this.spec = options.spec;
    this.#startedAt = options.clock.monotonic();
    this.lastUsed = this.#startedAt;
    this.#tmpDir = path.join(options.tmpRoot, this.id);
    // A provisioned environment initialises before anyone invokes it: its first invocation waits
    // for no init, so it is no cold start and its REPORT has no Init Duration (as on Lambda).
    this.#reportedInit = options.provisioned;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process; the environment reports itself available once init is done. */
  start(): void {
    this.#launch().catch((error: Error) => {
      this.#fail({ errorType: ERROR_TYPE.exit, errorMessage: `Runtime failed to start: ${error.message}` });
    });
  }

  async #launch(): Promise<void> {
    const { spec, api, context } = this.#options;
    mkdirSync(this.#tmpDir, { recursive: true });
    this.#endpoint = await api.open({
      next: (req, res) => this.#onNext(req, res),
      response: (id, req, res) => void this.#onResult(id, req, res, 'response'),
      error: (id, req, res) => void this.#onResult(id, req, res, 'error'),
      initError: (req, res) => void this.#onInitError(req, res),
    });
    if (this.#killRequested) {
      this.#die();
      return;
    }
    const date = new Date(this.#options.clock.now()).toISOString().slice(0, 10).replaceAll('-', '/');
    const launch = buildLaunch({
      spec,
      context,
      runtimeApi: this.#endpoint.address,
      tmpDir: this.#tmpDir,
      logStreamName: `${date}/[${spec.version}]${this.id}`,
      provisioned: this.#options.provisioned,
    });

    // Init Duration counts from the spawn: resolving an interpreter or a port is platform time.
    this.#startedAt = this.#options.clock.monotonic();
    const child = spawn(launch.command, launch.args, {
      cwd: spec.codeDir,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills everything the function started.
      detached: true,
    });
    this.#child = child;
    this.#options.logger.debug({ fn: spec.name, env: this.id, pid: child.pid }, 'environment started');
    child.on('error', (error) => this.#fail(entrypointError(launch.command, error)));
    if (child.pid !== undefined) {
      this.#memory = this.#options.memory.attach(child.pid, spec.memoryMB, () => this.kill());
    }
    const stdout = captureLines(child.stdout!, (line) => this.#log('stdout', line));
    const stderr = captureLines(child.stderr!, (line) => {
      this.#stderrTail.push(line);
      if (this.#stderrTail.length > 20) this.#stderrTail.shift();
      this.#log('stderr', line);
    });
    let closed = 0;
    const onClosed = (): void => {
      if (++closed < 3) return;
      stdout.flush();
      stderr.flush();
      this.#onExit(child.exitCode, child.signalCode);
    };
    child.stdout!.on('close', onClosed);
    child.stderr!.on('close', onClosed);
    child.on('exit', () => {
      onClosed();
      // A grandchild holding the pipes open must not keep the environment alive.
      setTimeout(() => {
        if (this.state !== 'dead') {
          closed = 2;
          onClosed();
        }
      }, 100).unref();
    });
  }

  /** Runs one invocation; the result is always a value (function errors included), never a throw. */
  invoke(invocation: Invocation): void {
    this.state = 'busy';
    if (this.initError !== undefined) {
      this.#finishWith(invocation, { kind: 'fatal', error: this.initError, status: 'error' });
      return;
    }
    if (this.#pendingNext !== undefined) this.#dispatch(invocation);
    else this.#queued = invocation;
  }

  /** Kills the whole process tree at once. */
  kill(): void {
    if (this.#child === undefined) {
      // Still opening its endpoint: #launch stops before spawning.
      this.#killRequested = true;
      return;
    }
    const pids = new Set(this.#memory?.pids() ?? []);
    const pid = this.#child?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        pids.add(pid);
      }
    }
    for (const other of pids) {
      try {
        process.kill(other, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  #log(stream: LogStream, line: string, active = this.#active): void {
    const requestId = active?.invocation.requestId;
    active?.tail?.push(line);
    this.#options.onLog({
      time: this.#options.clock.now(),
      functionName: this.spec.name,
      version: this.spec.version,
      requestId,
      stream,
      line,
    });
  }

  #onNext(_req: IncomingMessage, res: ServerResponse): void {
    if (this.state === 'starting') {
      this.#initDurationMs = this.#options.clock.monotonic() - this.#startedAt;
      this.state = 'idle';
      this.#pendingNext = res;
      this.#options.onAvailable(this);
      return;
    }
    this.#pendingNext = res;
    const queued = this.#queued;
    if (queued !== undefined) {
      this.#queued = undefined;
      this.#dispatch(queued);
    }
  }

  #dispatch(invocation: Invocation): void {
    const res = this.#pendingNext!;
    this.#pendingNext = undefined;
    const { clock } = this.#options;
    const timeoutMs = this.spec.timeoutS * 1000;
    const deadline = clock.now() + timeoutMs;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': invocation.payload.length,
      [HEADER.requestId]: invocation.requestId,
      [HEADER.deadlineMs]: deadline,
      [HEADER.functionArn]: invocation.functionArn,
      [HEADER.traceId]: invocation.traceId,
    };
    if (invocation.clientContext !== undefined) headers[HEADER.clientContext] = invocation.clientContext;
    if (invocation.identity !== undefined) headers[HEADER.cognitoIdentity] = invocation.identity;

    const active: Active = {
      invocation,
      dispatchedAt: clock.monotonic(),
      tail: invocation.logTail ? new LogTail() : undefined,
      timer: setTimeout(() => this.#onTimeout(), timeoutMs),
      done: false,
    };
    this.#active = active;
    this.#log('platform', `START RequestId: ${invocation.requestId} Version: ${this.spec.version}`);
    res.writeHead(200, headers);
    res.end(invocation.payload);
  }

  async #onResult(requestId: string, req: IncomingMessage, res: ServerResponse, kind: 'response' | 'error') {
    const active = this.#active;
    if (active === undefined || active.done || active.invocation.requestId !== requestId) {
      req.resume();
      sendJson(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
      return;
    }
    const receivedAt = this.#options.clock.monotonic();
    const body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
    if (body === undefined) {
      sendJson(res, 413, {
        errorMessage: `Exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
        errorType: 'RequestEntityTooLarge',
      });
      const error = {
        errorType: ERROR_TYPE.responseTooLarge,
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
      };
      this.#complete(active, { kind: 'fatal', error, status: 'error' }, receivedAt);
      return;
    }
    sendJson(res, 202, { status: 'OK' });
    const contentType = req.headers['content-type'];
    const outcome: Outcome = kind === 'response' ? { kind, body, contentType } : { kind, body };
    // Lines the function printed before answering are already in the pipe: read them first,
    // so they belong to this invocation and come before its END line.
    setImmediate(() => this.#complete(active, outcome, receivedAt));
  }

  async #onInitError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
    sendJson(res, 202, { status: 'OK' });
    this.initError = parseFunctionError(body) ?? { errorType: 'Runtime.Unknown', errorMessage: 'init failed' };
    // The runtime exits after reporting; #onExit hands the error to whoever waits.
  }

  #onTimeout(): void {
    const active = this.#active;
    if (active === undefined || active.done) return;
    const seconds = this.spec.timeoutS.toFixed(2);
    const error = {
      errorType: ERROR_TYPE.timeout,
      errorMessage: `RequestId: ${active.invocation.requestId} Error: Task timed out after ${seconds} seconds`,
    };
    this.#deathReason = { kind: 'fatal', error, status: 'timeout' };
    // Read the peak while the process still exists: /proc forgets it at exit.
    this.#memory?.peakMB();
    this.kill();
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'dead') return;
    if (this.state === 'starting') this.#initDurationMs ??= this.#options.clock.monotonic() - this.#startedAt;
    const active = this.#active;
    const requestId = active?.invocation.requestId;
    const oom =
      this.#memory?.oomKilled() === true || this.#stderrTail.some((line) => line.includes('heap out of memory'));
    const reason = this.#deathReason ?? exitOutcome({ code, signal, oom, requestId, initError: this.initError });
    const fields = { fn: this.spec.name, env: this.id, code, signal };
    if (active !== undefined && !active.done) {
      this.#options.logger.warn({ ...fields, requestId, errorType: reason.error.errorType }, 'environment ended mid-invocation');
    } else {
      this.#options.logger.debug(fields, 'environment stopped');
    }
    let undelivered: Invocation | undefined;
    if (active !== undefined && !active.done) {
      this.#complete(active, reason, this.#options.clock.monotonic());
    } else if (this.#queued !== undefined) {
      // The runtime exited between invocations (it reported an error, then quit) without asking
      // for this one: it never ran, so another environment takes it, as on Lambda, instead of
      // failing with a crash that was not its own.
      undelivered = this.#queued;
      this.#queued = undefined;
    } else if (this.state === 'starting' && reason.kind === 'fatal') {
      // Died during init with nobody waiting on it yet: the pool hands the error to the
      // invocation that asked for this environment.
      this.initError ??= reason.error;
      this.#options.onAvailable(this);
    }
    this.#die(undelivered);
  }

  #fail(error: FunctionError): void {
    if (this.state === 'starting') this.#initDurationMs ??= this.#options.clock.monotonic() - this.#startedAt;
    this.initError ??= error;
    if (this.state === 'starting') this.#options.onAvailable(this);
    // A launch that failed after the spawn (e.g. joining the memory cgroup) leaves a process.
    if (this.#child !== undefined) this.kill();
    this.#die();
  }

  #die(undelivered?: Invocation): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.#endpoint?.close();
    if (this.#pendingNext !== undefined) this.#pendingNext.destroy();
    this.#memory?.release();
    rmSync(this.#tmpDir, { recursive: true, force: true });
    this.#options.onDead(this, undelivered);
  }

  #complete(active: Active, outcome: Outcome, endedAt: number): void {
    if (active.done) return;
    active.done = true;
    clearTimeout(active.timer);
    this.#active = undefined;
    const { invocation } = active;
    const durationMs = endedAt - active.dispatchedAt;
    const memorySizeMB = this.spec.memoryMB;
    const maxMemoryUsedMB = this.#memory?.peakMB() ?? 0;
    const initDurationMs = this.#reportedInit ? undefined : this.#initDurationMs;
    this.#reportedInit = true;

    const error = outcome.kind === 'fatal' ? outcome.error : outcome.kind === 'error' ? parseError(outcome.body) : undefined;
    this.#log('platform', `END RequestId: ${invocation.requestId}`, active);
    // Billed from the Duration as REPORT prints it (two decimals), so the two always agree.
    const billedDurationMs = Math.ceil(Math.round(durationMs * 100) / 100);
    this.#log(
      'platform',
      formatReport({
        requestId: invocation.requestId,
        durationMs,
        billedDurationMs,
        memorySizeMB,
        maxMemoryUsedMB,
        initDurationMs,
        ...(outcome.kind === 'fatal' ? { status: outcome.status, errorType: outcome.error.errorType } : {}),
      }),
      active,
    );
    invocation.resolve({
      requestId: invocation.requestId,
      payload: outcome.kind === 'fatal' ? Buffer.from(JSON.stringify(outcome.error)) : outcome.body,
      contentType: outcome.kind === 'response' ? outcome.contentType : 'application/json',
      error,
      executedVersion: this.spec.version,
      coldStart: initDurationMs !== undefined,
      initDurationMs,
      durationMs,
      billedDurationMs,
      memorySizeMB,
      maxMemoryUsedMB,
      logTail: active.tail?.text(),
    });
    this.lastUsed = this.#options.clock.monotonic();
    if (outcome.kind === 'fatal') {
      this.kill();
      return;
    }
    if (this.state === 'busy') {
      this.state = 'idle';
      void this.#checkTmp();
      this.#options.onAvailable(this);
    }
  }

  /**
   * A function that fills its temp dir past the cap loses its environment, as a full disk
   * would. Checked at most once a second: a directory walk per warm invocation costs more than
   * the rest of the platform's work for it.
   */
  async #checkTmp(): Promise<void> {
    const now = this.#options.clock.monotonic();
    if (now - this.#tmpCheckedAt < 1000) return;
    this.#tmpCheckedAt = now;
    const bytes = await directorySize(this.#tmpDir);
    if (bytes > this.spec.tmpMB * 1024 * 1024 && this.state !== 'dead') {
      this.#log('platform', `Temp storage ${Math.ceil(bytes / 1048576)} MB is over the ${this.spec.tmpMB} MB cap: environment recycled`);
      this.kill();
    }
  }

  /** An invocation that never reached the runtime (init failed): result only, no START line. */
  #finishWith(invocation: Invocation, outcome: Fatal): void {
    const now = this.#options.clock.monotonic();
    const tail = invocation.logTail ? new LogTail() : undefined;
    this.#complete({ invocation, dispatchedAt: now, tail, timer: undefined, done: false }, outcome, now);
  }
}
