// Readiness and identity.
import { Auth, Health } from './schemas.ts';
import { publicRoute, route, type Route } from './route.ts';

export const metaRoutes: Route[] = [
  publicRoute(
    { id: 'health', method: 'GET', path: '/health', summary: 'Readiness (no token)', tag: 'meta', status: 200, response: Health },
    async ({ version }) => ({ status: 'ok' as const, version }),
  ),
  route(
    { id: 'auth.whoami', method: 'GET', path: '/auth', summary: 'Who the token is', tag: 'meta', status: 200, response: Auth },
    async ({ principal }) => ({
      tokenId: principal.tokenId,
      name: principal.name,
      app: principal.appName,
      admin: principal.admin,
    }),
  ),
];
