// The Node.js bootstrap: runs INSIDE a function's process, loads the user's handler once and
// serves invocations over the Lambda Runtime API, as AWS's Node runtime does. It imports only
// Node built-ins and runtime/protocol.js, and is plain JavaScript so a cold start never pays
// for Node's TypeScript loader.
import { createRequire } from 'node:module';

// Built-ins come through require(): an ES `import` of node:http makes Node evaluate every lazy
// export of the module (undici among them), which costs ~45 ms of cold start.
const require = createRequire(import.meta.url);
/** @type {typeof import('node:fs')} */
const fs = require('node:fs');
/** @type {typeof import('node:path')} */
const path = require('node:path');
/** @type {typeof import('node:stream')} */
const { Writable } = require('node:stream');
/** @type {typeof import('node:url')} */
const { pathToFileURL } = require('node:url');
/** @type {typeof import('node:util')} */
const util = require('node:util');
import { parseApiAddress, RuntimeApiClient } from './runtime-client.mjs';
import {
  ERROR_TYPE,
  HEADER,
  HTTP_INTEGRATION_CONTENT_TYPE,
  runtimePath,
} from '../protocol.js';

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();

/** @type {string | undefined} the request being served, for log lines and crash reports */
let currentRequestId;

const client = new RuntimeApiClient(parseApiAddress(process.env.AWS_LAMBDA_RUNTIME_API ?? ''));

/**
 * One exchange with the Runtime API.
 * @param {string} method
 * @param {string} route
 * @param {Buffer | undefined} body
 * @param {Record<string, string>} [headers]
 */
function call(method, route, body, headers = {}) {
  return client.request(method, route, body, headers);
}

// ---- errors, as AWS's Node runtime serialises them ----

/** @param {unknown} error */
function toErrorBody(error) {
  if (error instanceof Error || (error !== null && typeof error === 'object' && 'stack' in error)) {
    const e = /** @type {Error} */ (error);
    return {
      errorType: String(e.name ?? 'Error'),
      errorMessage: String(e.message ?? ''),
      trace: typeof e.stack === 'string' ? e.stack.split('\n') : [],
    };
  }
  try {
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return { errorType: 'handled', errorMessage: 'the handler failed with a value that cannot be printed', trace: [] };
  }
}

/**
 * @param {string} errorType
 * @param {string} errorMessage
 * @param {unknown} [cause]
 */
function runtimeError(errorType, errorMessage, cause) {
  const stack = cause instanceof Error && typeof cause.stack === 'string' ? cause.stack.split('\n') : [];
  return { errorType, errorMessage, trace: stack };
}

/** @param {{ errorType: string }} body */
function logError(body) {
  flushConsole();
  process.stderr.write(
    `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\tERROR\tInvoke Error \t${JSON.stringify(body)}\n`,
  );
}

/** @param {{ errorType: string, errorMessage: string, trace: string[] }} body */
async function reportInitError(body) {
  flushConsole();
  process.stderr.write(
    `${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(body)}\n`,
  );
  await call('POST', 'runtime/init/error', Buffer.from(JSON.stringify(body)), {
    'content-type': 'application/json',
    [HEADER.errorType]: body.errorType,
  }).catch(() => {});
  process.exit(129);
}

// ---- console, formatted like Lambda's text log format ----

// Console lines wait here and leave in one write per stream: a function printing 10,000 lines
// would otherwise make 10,000 blocking system calls. They go out at the end of the current turn
// of the event loop, once 64 KiB wait, and always before a result or an error is posted.
/** @type {Map<NodeJS.WriteStream, string[]>} */
const consoleQueue = new Map();
let consoleQueued = 0;
let consoleFlushScheduled = false;
const CONSOLE_FLUSH_BYTES = 64 * 1024;

/** The streams' own write, before patchConsole() puts the queue in front of it. */
/** @type {Map<NodeJS.WriteStream, NodeJS.WriteStream['write']>} */
const directWrite = new Map();

function flushConsole() {
  consoleFlushScheduled = false;
  consoleQueued = 0;
  for (const [stream, lines] of consoleQueue) {
    if (lines.length === 0) continue;
    const text = lines.join('');
    lines.length = 0;
    (directWrite.get(stream) ?? stream.write).call(stream, text);
  }
}

/** @param {NodeJS.WriteStream} stream @param {string} line */
function queueConsole(stream, line) {
  let lines = consoleQueue.get(stream);
  if (lines === undefined) consoleQueue.set(stream, (lines = []));
  lines.push(line);
  consoleQueued += line.length;
  if (consoleQueued >= CONSOLE_FLUSH_BYTES) flushConsole();
  else if (!consoleFlushScheduled) {
    consoleFlushScheduled = true;
    setImmediate(flushConsole);
  }
}

function patchConsole() {
  /** @param {string} level @param {NodeJS.WriteStream} stream */
  const writer = (level, stream) =>
    /** @param {unknown[]} args */
    (...args) => {
      // One record per line: Lambda turns newlines inside a message into carriage returns.
      const message = util.format(...args).replace(/\n/g, '\r');
      queueConsole(stream, `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}\n`);
    };
  // Whatever is still queued when the process ends (process.exit in a handler) goes out first.
  process.on('exit', flushConsole);
  // A handler writing to the streams itself must not overtake its own console lines.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    directWrite.set(stream, write);
    stream.write = /** @type {NodeJS.WriteStream['write']} */ (
      /** @param {any[]} args */ (...args) => {
        flushConsole();
        return write.apply(stream, /** @type {any} */ (args));
      }
    );
  }
  console.log = writer('INFO', process.stdout);
  console.info = writer('INFO', process.stdout);
  console.debug = writer('DEBUG', process.stdout);
  console.trace = writer('TRACE', process.stdout);
  console.warn = writer('WARN', process.stderr);
  console.error = writer('ERROR', process.stderr);
}

// ---- loading the handler ----

/** @param {string} dir */
function packageType(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(current, 'package.json'), 'utf8'));
      return pkg.type === 'module' ? 'module' : 'commonjs';
    } catch {
      // no package.json here: keep walking up
    }
    if (current === path.dirname(current) || current === path.dirname(taskRoot)) return 'commonjs';
  }
}

/** @param {unknown} error */
function isSyntaxError(error) {
  return error instanceof SyntaxError;
}

/** @param {string} handlerString */
async function loadHandler(handlerString) {
  const base = path.basename(handlerString);
  const moduleRoot = handlerString.slice(0, handlerString.length - base.length);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    return reportInitError(runtimeError(ERROR_TYPE.malformedHandlerName, `Bad handler ${handlerString}`));
  }
  const moduleName = base.slice(0, dot);
  const handlerPath = base.slice(dot + 1);
  const dir = path.resolve(taskRoot, moduleRoot);
  const requireUser = createRequire(path.join(dir, 'index.js'));

  /** @type {any} */
  let loaded;
  try {
    const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(dir, moduleName + ext)).find((f) => fs.existsSync(f));
    if (file === undefined) {
      loaded = requireUser(moduleName); // a package in node_modules, as AWS allows
    } else if (file.endsWith('.mjs') || (file.endsWith('.js') && packageType(dir) === 'module')) {
      loaded = await import(pathToFileURL(file).href);
    } else {
      loaded = requireUser(file);
    }
  } catch (error) {
    if (isSyntaxError(error)) {
      return reportInitError(runtimeError(ERROR_TYPE.userCodeSyntax, `${error}`, error));
    }
    const code = /** @type {{ code?: string }} */ (error)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      return reportInitError(runtimeError(ERROR_TYPE.importModule, `${error}`, error));
    }
    return reportInitError(toErrorBody(error));
  }

  let target = loaded;
  for (const key of handlerPath.split('.')) target = target?.[key];
  // An ES module's namespace puts a CommonJS module's exports under `default`.
  if (target === undefined && loaded?.default !== undefined) {
    target = loaded.default;
    for (const key of handlerPath.split('.')) target = target?.[key];
  }
  if (target === undefined) {
    return reportInitError(
      runtimeError(ERROR_TYPE.handlerNotFound, `${moduleName}.${handlerPath} is undefined or not exported`),
    );
  }
  if (typeof target !== 'function') {
    return reportInitError(runtimeError(ERROR_TYPE.handlerNotFound, `${moduleName}.${handlerPath} is not a function`));
  }
  return /** @type {Function & { [STREAMING]?: boolean }} */ (target);
}

// ---- the response stream given to streamifyResponse handlers (buffered) ----

class ResponseStream extends Writable {
  /** @type {Buffer[]} */
  chunks = [];
  contentType = 'application/octet-stream';

  /** @param {string} type */
  setContentType(type) {
    this.contentType = type;
  }

  /**
   * @override
   * @param {Buffer | string} chunk @param {BufferEncoding} encoding @param {(error?: Error | null) => void} done
   */
  _write(chunk, encoding, done) {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    done();
  }
}

/** @type {any} */ (globalThis).awslambda = {
  /** @param {Function & { [STREAMING]?: boolean }} handler */
  streamifyResponse(handler) {
    handler[STREAMING] = true;
    return handler;
  },
  HttpResponseStream: {
    /** @param {ResponseStream} stream @param {unknown} prelude */
    from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
      stream.write(JSON.stringify(prelude));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

// ---- invocations ----

/** @param {Record<string, string>} headers */
function makeContext(headers) {
  const header = (/** @type {string} */ name) => headers[name];
  const deadline = Number(header(HEADER.deadlineMs));
  const parse = (/** @type {string | undefined} */ text) => (text ? JSON.parse(text) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: header(HEADER.functionArn),
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: /** @type {string} */ (header(HEADER.requestId)),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(header(HEADER.cognitoIdentity)),
    clientContext: parse(header(HEADER.clientContext)),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * Runs one invocation to its outcome, honouring promises, callbacks, the legacy
 * context.done/succeed/fail and callbackWaitsForEmptyEventLoop.
 * @param {Function & { [STREAMING]?: boolean }} handler
 * @param {unknown} event
 * @param {ReturnType<typeof makeContext>} context
 * @returns {Promise<{ error: unknown, failed: boolean, result?: unknown, stream?: ResponseStream }>}
 */
function runHandler(handler, event, context) {
  return new Promise((resolve) => {
    let settled = false;
    /** @param {boolean} failed @param {unknown} value @param {ResponseStream} [stream] */
    const settle = (failed, value, stream) => {
      if (settled) return;
      settled = true;
      process.removeListener('beforeExit', onEmptyLoop);
      resolve(failed ? { failed, error: value } : { failed, error: undefined, result: value, stream });
    };
    /** @type {() => void} */
    let onEmptyLoop = () => settle(false, undefined);
    /** @param {unknown} error @param {unknown} [result] */
    const callback = (error, result) => {
      const failed = error !== undefined && error !== null;
      if (!failed && context.callbackWaitsForEmptyEventLoop) {
        // Lambda answers a success once the event loop has nothing left to do; an error at once.
        process.removeListener('beforeExit', onEmptyLoop);
        onEmptyLoop = () => settle(false, result);
        process.once('beforeExit', onEmptyLoop);
      } else {
        settle(failed, failed ? error : result);
      }
    };
    // The legacy context methods answer at once, whatever callbackWaitsForEmptyEventLoop says
    // (as aws-lambda-nodejs-runtime-interface-client's CallbackContext does).
    /** @param {unknown} error @param {unknown} [result] */
    const done = (error, result) => {
      const failed = error !== undefined && error !== null;
      settle(failed, failed ? error : result);
    };
    Object.assign(context, {
      done,
      succeed: (/** @type {unknown} */ result) => done(null, result),
      fail: (/** @type {unknown} */ error) => done(error ?? 'handled'),
    });

    try {
      if (handler[STREAMING]) {
        const stream = new ResponseStream();
        stream.on('finish', () => settle(false, undefined, stream));
        Promise.resolve(handler(event, stream, context)).catch((error) => settle(true, error));
        return;
      }
      const returned = handler(event, context, callback);
      if (returned !== null && typeof returned?.then === 'function') {
        returned.then(
          (/** @type {unknown} */ result) => settle(false, result),
          // A promise rejected with nothing fails as context.fail() does: 'handled'.
          (/** @type {unknown} */ error) => settle(true, error ?? 'handled'),
        );
      } else {
        // A callback handler that never calls back answers null once the loop is empty.
        process.once('beforeExit', onEmptyLoop);
      }
    } catch (error) {
      settle(true, error);
    }
  });
}

/** @param {string} requestId @param {Awaited<ReturnType<typeof runHandler>>} outcome */
async function report(requestId, outcome) {
  if (outcome.failed) {
    const body = toErrorBody(outcome.error);
    logError(body);
    await postError(requestId, body);
    return;
  }
  if (outcome.stream) {
    await call('POST', `runtime/invocation/${requestId}/response`, Buffer.concat(outcome.stream.chunks), {
      'content-type': outcome.stream.contentType,
      [HEADER.responseMode]: 'streaming',
    });
    return;
  }
  let body;
  try {
    body = JSON.stringify(outcome.result === undefined ? null : outcome.result);
  } catch (error) {
    const failure = runtimeError('Runtime.MalformedHandlerResponse', `Unable to stringify response body: ${error}`, error);
    logError(failure);
    await postError(requestId, failure);
    return;
  }
  flushConsole();
  await call('POST', `runtime/invocation/${requestId}/response`, Buffer.from(body), {
    'content-type': 'application/json',
  });
}

/** @param {string} requestId @param {{ errorType: string }} body */
function postError(requestId, body) {
  flushConsole();
  return call('POST', `runtime/invocation/${requestId}/error`, Buffer.from(JSON.stringify(body)), {
    'content-type': 'application/json',
    [HEADER.errorType]: body.errorType,
  });
}

/** A crash outside the handler's promise ends the environment, as on AWS. */
function installCrashHandlers() {
  let crashing = false;
  /** @param {{ errorType: string, errorMessage: string, trace: string[] }} body @param {number} code */
  const crash = async (body, code) => {
    // A crash while crashing (stderr gone with the platform: EPIPE) ends the process at once,
    // instead of looping through the handler against a runtime API that is not there.
    if (crashing) process.exit(code);
    crashing = true;
    try {
      logError(body);
    } catch {
      process.exit(code);
    }
    if (currentRequestId !== undefined) await postError(currentRequestId, body).catch(() => {});
    process.exit(code);
  };
  // The platform holds the other ends of stdout and stderr: when they break, it is gone.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(1));
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    void crash(runtimeError(ERROR_TYPE.unhandledRejection, message, reason), 128);
  });
  process.on('uncaughtException', (error) => {
    void crash(toErrorBody(error), 129);
  });
}

async function main() {
  // Output must reach the platform before the result does, as on Lambda. Node leaves pipes
  // non-blocking on Linux and queues what the reader has not taken yet: lines would then land
  // after END (tagged with the next request), a function printing a gigabyte would hold it all
  // in memory, and process.exit() would drop what is still queued.
  for (const stream of [process.stdout, process.stderr]) /** @type {any} */ (stream)._handle?.setBlocking?.(true);
  patchConsole();
  installCrashHandlers();
  const handler = await loadHandler(process.env._HANDLER ?? '');
  if (handler === undefined) return;
  let pending = call('GET', 'runtime/invocation/next', undefined);
  for (;;) {
    const next = await pending;
    const context = makeContext(next.headers);
    currentRequestId = context.awsRequestId;
    const trace = next.headers[HEADER.traceId];
    if (typeof trace === 'string') process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;

    let posted;
    try {
      const event = JSON.parse(next.body.toString('utf8'));
      posted = report(currentRequestId, await runHandler(handler, event, context));
    } catch (error) {
      posted = postError(currentRequestId, runtimeError('Runtime.InvalidEventJson', `${error}`, error));
    }
    // Ask for the next event in the same write as this result (HTTP pipelining).
    pending = call('GET', 'runtime/invocation/next', undefined);
    await posted;
  }
}

await main();
