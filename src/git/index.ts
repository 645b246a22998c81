// Push-to-deploy over git's smart HTTP protocol: `git push laambda main` to /git/APP.git.
// Requests are authorised here, then handed to `git http-backend` over CGI; the pre-receive hook
// (pre-receive.ts) sends the pushed tree to the deploy endpoint and streams the build back.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLaambdaError, LaambdaError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import { parseAuthorization } from './auth.ts';
import { runCgi } from './cgi.ts';
import { gitEnv } from './git-env.ts';
import { DEPLOY_TOKEN_ENV, DEPLOY_URL_ENV } from './hook-env.ts';
import { createKeyedQueue } from './keyed-queue.ts';
import { APP_NAME, createRepoManager } from './repos.ts';

export { removeRepo } from './repos.ts';

/** What a request needs: pushing writes, fetching and cloning read. */
export type GitAccess = 'read' | 'write';

export interface GitHandlerOptions {
  /** DATA_DIR/git; bare repos APP.git are created on first use. */
  reposDir: string;
  /** Checks the HTTP password (the API token) for an app; push needs write access, fetch/clone read access. */
  authorize(app: string, token: string | undefined, access: GitAccess): Promise<'ok' | 'unauthorized' | 'not-found'>;
  /** Absolute URL of the deploy endpoint of an app, e.g. http://127.0.0.1:PORT/api/v1/apps/APP/deploys */
  deployUrl(app: string): string;
  logger: Logger;
  /** PATH for git and its hook; process.env.PATH by default. */
  path?: string;
}

export type GitHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const ROUTE = /^\/git\/([^/]+?)(?:\.git)?(\/.*)?$/;
const HTTP_BACKEND = 'http-backend';

/** Serves /git/APP.git/…; answers false for any other path, so the caller can route on. */
export function createGitHandler(options: GitHandlerOptions): GitHandler {
  const env = gitEnv({ path: options.path ?? process.env.PATH ?? '/usr/bin:/bin', home: options.reposDir });
  const repos = createRepoManager({ reposDir: options.reposDir, env });
  const pushes = createKeyedQueue();

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/git' && !url.pathname.startsWith('/git/')) return false;
    const requestId = randomUUID();
    const started = Date.now();
    const route = parseRoute(url);
    if (!route) {
      sendError(res, new LaambdaError('ERR_APP_NOT_FOUND', `no git repository at ${url.pathname}`), requestId);
      return true;
    }
    const { app, rest, access } = route;
    const log = options.logger.child({ requestId, app, service: route.service });
    const credentials = parseAuthorization(req.headers.authorization);
    try {
      const verdict = await options.authorize(app, credentials?.token, access);
      if (verdict !== 'ok') {
        if (verdict === 'unauthorized') res.setHeader('WWW-Authenticate', 'Basic realm="laambda"');
        const error =
          verdict === 'unauthorized'
            ? new LaambdaError('ERR_API_UNAUTHORIZED', credentials ? 'the token is not valid for this app' : 'a token is needed: use it as the password')
            : new LaambdaError('ERR_APP_NOT_FOUND', `no app "${app}"`);
        sendError(res, error, requestId);
        log.info({ status: error.status, ms: Date.now() - started }, 'git request refused');
        return true;
      }
      const serve = async () => {
        const gitDir = await repos.ensure(app);
        const cgiEnv = cgiEnvironment(req, url, { env, reposDir: options.reposDir, app, rest, user: credentials?.user });
        if (access === 'write' && credentials) {
          // receive-pack hands its environment to the hook: this is how the hook learns where to deploy.
          cgiEnv[DEPLOY_URL_ENV] = options.deployUrl(app);
          cgiEnv[DEPLOY_TOKEN_ENV] = credentials.token;
        }
        const outcome = await runCgi(req, res, { command: 'git', args: [HTTP_BACKEND], env: cgiEnv, cwd: gitDir, log });
        if (!outcome.ok) throw new LaambdaError('ERR_GIT_FAILED', 'git could not serve the request', { details: { reason: outcome.reason } });
      };
      // One push per app at a time: a push that waited is then refused by the hook if its branch moved.
      if (req.method === 'POST' && rest === '/git-receive-pack') await pushes.run(app, serve);
      else await serve();
      const gzip = req.headers['content-encoding'] === 'gzip';
      log.info({ method: req.method, gzip, status: res.statusCode, ms: Date.now() - started }, 'git request');
    } catch (cause) {
      const error = isLaambdaError(cause) ? cause : new LaambdaError('ERR_GIT_FAILED', 'git could not serve the request', { cause });
      log.error({ err: cause, details: error.details }, 'git request failed');
      if (!res.headersSent) sendError(res, error, requestId);
      else res.destroy();
    }
    return true;
  };
}

interface Route {
  app: string;
  /** The path inside the repository: /info/refs, /git-upload-pack, /git-receive-pack, … */
  rest: string;
  service: string;
  access: GitAccess;
}

function parseRoute(url: URL): Route | undefined {
  const match = ROUTE.exec(url.pathname);
  const app = match?.[1];
  const rest = match?.[2] ?? '/';
  if (!app || !APP_NAME.test(app) || rest.includes('/..') || rest.includes('\\')) return undefined;
  const service = url.searchParams.get('service') ?? rest.slice(1);
  return { app, rest, service, access: service === 'git-receive-pack' ? 'write' : 'read' };
}

interface CgiContext {
  env: Record<string, string>;
  reposDir: string;
  app: string;
  rest: string;
  user: string | undefined;
}

function cgiEnvironment(req: IncomingMessage, url: URL, context: CgiContext): Record<string, string> {
  const cgiEnv: Record<string, string> = {
    ...context.env,
    GIT_PROJECT_ROOT: context.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    // The repository always by its canonical name, whether the URL said APP or APP.git.
    PATH_INFO: `/${context.app}.git${context.rest}`,
    QUERY_STRING: url.search.slice(1),
    REMOTE_USER: context.user || 'git',
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
  };
  setIfPresent(cgiEnv, 'CONTENT_TYPE', req.headers['content-type']);
  // Absent for chunked uploads: http-backend then reads the body to its end.
  setIfPresent(cgiEnv, 'CONTENT_LENGTH', req.headers['content-length']);
  // git gzips larger fetch requests; http-backend inflates them itself.
  setIfPresent(cgiEnv, 'HTTP_CONTENT_ENCODING', req.headers['content-encoding']);
  setIfPresent(cgiEnv, 'HTTP_GIT_PROTOCOL', req.headers['git-protocol']);
  return cgiEnv;
}

function setIfPresent(env: Record<string, string>, name: string, value: string | string[] | undefined): void {
  const single = Array.isArray(value) ? value.join(', ') : value;
  if (single !== undefined && single !== '') env[name] = single;
}

function sendError(res: ServerResponse, error: LaambdaError, requestId: string): void {
  const body = JSON.stringify({
    statusCode: error.status,
    code: error.code,
    error: STATUS_TEXT[error.status] ?? 'Error',
    message: error.message,
    fix: error.fix,
    requestId,
  });
  res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' };
