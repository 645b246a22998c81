// The services speak epoch milliseconds; the API speaks ISO 8601. Everything else passes as is,
// but for event sources, which the API writes in their CLI form.
import { formatEventSource } from '../events/sources.ts';
import type {
  AppInfoView,
  AppView,
  BuildView,
  DeployEvent,
  KeyView,
  ReleaseInfoView,
  ReleaseView,
  TokenView,
} from '../core/services.ts';
import type {
  ApiApp,
  ApiAppInfo,
  ApiBuild,
  ApiDeployEvent,
  ApiKey,
  ApiRelease,
  ApiReleaseInfo,
  ApiToken,
} from './schemas.ts';

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}

export function appJson(app: AppView): ApiApp {
  return { ...app, createdAt: isoTime(app.createdAt) };
}

export function appInfoJson(app: AppInfoView): ApiAppInfo {
  return {
    ...app,
    createdAt: isoTime(app.createdAt),
    lastDeploy: app.lastDeploy === null ? null : releaseJson(app.lastDeploy),
  };
}

export function releaseJson(release: ReleaseView): ApiRelease {
  return { ...release, createdAt: isoTime(release.createdAt) };
}

export function releaseInfoJson(release: ReleaseInfoView): ApiReleaseInfo {
  const overrides = Object.fromEntries(
    Object.entries(release.overrides).map(([fn, { events, ...rest }]) => [fn, events === undefined ? rest : { ...rest, events: events.map(formatEventSource) }]),
  );
  return { ...release, overrides, createdAt: isoTime(release.createdAt) };
}

export function buildJson(build: BuildView): ApiBuild {
  return { ...build, startedAt: isoTime(build.startedAt), finishedAt: isoTimeOrNull(build.finishedAt) };
}

export function tokenJson<T extends TokenView>(token: T): Omit<T, 'createdAt' | 'lastUsedAt'> & ApiToken {
  return { ...token, createdAt: isoTime(token.createdAt), lastUsedAt: isoTimeOrNull(token.lastUsedAt) };
}

export function keyJson<K extends KeyView>(key: K): Omit<K, 'createdAt'> & ApiKey {
  return { ...key, createdAt: isoTime(key.createdAt) };
}

export function deployEventJson(event: DeployEvent): ApiDeployEvent {
  if (event.type === 'result' && event.ok) return { ...event, release: releaseJson(event.release) };
  return event;
}
