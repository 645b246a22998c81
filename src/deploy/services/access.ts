import { LaambdaError } from '../../core/errors.ts';
import type { App, Token } from '../../core/platform.ts';
import type { PlatformServices, Principal, TokenView } from '../../core/services.ts';
import { hashToken, newAccessKeyId, newSecretAccessKey, newToken } from '../credentials.ts';
import type { ServiceContext } from './context.ts';

/** lastUsedAt is written at most this often per token (a write per API call would be waste). */
const TOUCH_INTERVAL_MS = 60_000;

export function authenticate(context: ServiceContext): PlatformServices['authenticate'] {
  const { storage, clock } = context.deps;
  return async (token) => {
    const stored = await storage.tokens.findByHash(hashToken(token));
    if (stored === undefined) return undefined;
    const now = clock.now();
    if (stored.lastUsedAt === null || now - stored.lastUsedAt > TOUCH_INTERVAL_MS) await storage.tokens.touch(stored.id, now);
    let app: App | undefined;
    if (stored.appId !== null) {
      app = await storage.apps.getById(stored.appId);
      if (app === undefined) return undefined;
    }
    return { tokenId: stored.id, name: stored.name, appId: stored.appId, appName: app?.name ?? null, admin: stored.appId === null };
  };
}

/**
 * Makes sure an admin token exists: the one from LAAMBDA_ADMIN_TOKEN, or on a data dir without
 * tokens a generated one, returned so the server prints it once.
 */
export async function ensureAdminToken(context: ServiceContext, configured: string | undefined): Promise<string | undefined> {
  const { tokens } = context.deps.storage;
  const createdAt = context.deps.clock.now();
  if (configured !== undefined) {
    if ((await tokens.findByHash(hashToken(configured))) === undefined) {
      await tokens.create({ name: 'admin (LAAMBDA_ADMIN_TOKEN)', appId: null, hash: hashToken(configured), createdAt });
    }
    return undefined;
  }
  if ((await tokens.count()) > 0) return undefined;
  const token = newToken();
  await tokens.create({ name: 'admin', appId: null, hash: hashToken(token), createdAt });
  return token;
}

export function tokenServices(context: ServiceContext): PlatformServices['tokens'] {
  const { storage, clock } = context.deps;
  const view = async (token: Token): Promise<TokenView> => ({
    id: token.id,
    name: token.name,
    app: token.appId === null ? null : ((await storage.apps.getById(token.appId))?.name ?? null),
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
  });
  return {
    async list(principal: Principal) {
      const tokens = await storage.tokens.list(principal.admin ? undefined : (principal.appId ?? undefined));
      return Promise.all(tokens.map(view));
    },

    async create(principal, input) {
      context.requireAdmin(principal, 'create tokens');
      const app = input.app === undefined ? undefined : await context.app(principal, input.app);
      const token = newToken();
      const name = input.name ?? (app === undefined ? 'admin' : `${app.name} deploy`);
      const stored = await storage.tokens.create({ name, appId: app?.id ?? null, hash: hashToken(token), createdAt: clock.now() });
      context.deps.logger.info({ tokenId: stored.id, app: app?.name ?? null, by: principal.name }, 'token created');
      return { ...(await view(stored)), token };
    },

    async revoke(principal, id) {
      const visible = await storage.tokens.list(principal.admin ? undefined : (principal.appId ?? undefined));
      if (!visible.some((token) => token.id === id) || !(await storage.tokens.remove(id))) {
        throw new LaambdaError('ERR_TOKEN_NOT_FOUND', `no token ${id}`);
      }
    },
  };
}

export function keyServices(context: ServiceContext): PlatformServices['keys'] {
  const { storage, clock, secrets } = context.deps;
  return {
    async list(principal, name) {
      const app = await context.app(principal, name);
      const keys = await storage.keys.list(app.id);
      return keys.map((key) => ({ accessKeyId: key.id, app: app.name, createdAt: key.createdAt }));
    },

    async create(principal, name) {
      const app = await context.app(principal, name);
      const secretAccessKey = newSecretAccessKey();
      const key = await storage.keys.create({ id: newAccessKeyId(), appId: app.id, secret: secrets.seal(secretAccessKey), createdAt: clock.now() });
      context.deps.logger.info({ app: app.name, accessKeyId: key.id, by: principal.name }, 'access key created');
      return { accessKeyId: key.id, app: app.name, createdAt: key.createdAt, secretAccessKey, endpointUrl: context.deps.urls().aws, region: context.deps.region };
    },

    async revoke(principal, name, id) {
      const app = await context.app(principal, name);
      const key = await storage.keys.get(id);
      if (key === undefined || key.appId !== app.id || !(await storage.keys.remove(id))) {
        throw new LaambdaError('ERR_KEY_NOT_FOUND', `app ${app.name} has no access key ${id}`);
      }
    },
  };
}

/** The secret and app of an access key, for SigV4 checks on the aws listener. */
export async function accessKeySecret(context: ServiceContext, accessKeyId: string): Promise<{ secret: string; appId: string } | undefined> {
  const key = await context.deps.storage.keys.get(accessKeyId);
  if (key === undefined) return undefined;
  return { secret: context.deps.secrets.open(key.secret), appId: key.appId };
}
