import type { Kysely, Selectable } from 'kysely';
import { LaambdaError } from '../../core/errors.ts';
import type { App, AppStore } from '../../core/platform.ts';
import { guard, isUniqueViolation, storageError } from './errors.ts';
import { randomHex } from './ids.ts';
import type { AppsTable, Database } from './schema.ts';

export class SqliteAppStore implements AppStore {
  readonly #db: Kysely<Database>;
  readonly #now: () => number;

  constructor(db: Kysely<Database>, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async create(app: Omit<App, 'id' | 'createdAt'>): Promise<App> {
    const row: AppsTable = { id: `app_${randomHex(8)}`, name: app.name, domain: app.domain, created_at: this.#now() };
    try {
      await this.#db.insertInto('apps').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.#taken(app, error);
      throw storageError(`create app ${app.name}`, error);
    }
    return toApp(row);
  }

  /** Which unique column refused the app; asked again so it works the same on every database. */
  async #taken(app: Omit<App, 'id' | 'createdAt'>, cause: unknown): Promise<LaambdaError> {
    if (await this.get(app.name)) {
      return new LaambdaError('ERR_APP_EXISTS', `App ${app.name} already exists`, { cause });
    }
    if (app.domain !== null && (await this.getByDomain(app.domain))) {
      return new LaambdaError('ERR_APP_EXISTS', `Domain ${app.domain} is already used by another app`, { cause });
    }
    return storageError(`create app ${app.name}`, cause);
  }

  get(name: string): Promise<App | undefined> {
    return guard(`read app ${name}`, async () => {
      const row = await this.#db.selectFrom('apps').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toApp(row);
    });
  }

  getById(id: string): Promise<App | undefined> {
    return guard(`read app ${id}`, async () => {
      const row = await this.#db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApp(row);
    });
  }

  getByDomain(domain: string): Promise<App | undefined> {
    return guard(`read the app of domain ${domain}`, async () => {
      const row = await this.#db.selectFrom('apps').selectAll().where('domain', '=', domain).executeTakeFirst();
      return row && toApp(row);
    });
  }

  /** By name. */
  list(): Promise<App[]> {
    return guard('list apps', async () => {
      const rows = await this.#db.selectFrom('apps').selectAll().orderBy('name').execute();
      return rows.map(toApp);
    });
  }

  /** Foreign keys cascade to releases, builds, tokens, keys and invocations. */
  remove(id: string): Promise<void> {
    return guard(`remove app ${id}`, async () => {
      await this.#db.deleteFrom('apps').where('id', '=', id).execute();
    });
  }
}

function toApp(row: Selectable<AppsTable>): App {
  return { id: row.id, name: row.name, domain: row.domain, createdAt: Number(row.created_at) };
}
