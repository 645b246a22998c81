import type { Kysely, Selectable } from 'kysely';
import type { Token, TokenStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import { randomHex } from './ids.ts';
import type { Database, TokensTable } from './schema.ts';

export class SqliteTokenStore implements TokenStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(token: Omit<Token, 'id' | 'lastUsedAt'>): Promise<Token> {
    const row: TokensTable = {
      id: `tok_${randomHex(8)}`,
      name: token.name,
      app_id: token.appId,
      hash: token.hash,
      created_at: token.createdAt,
      last_used_at: null,
    };
    try {
      await this.#db.insertInto('tokens').values(row).execute();
    } catch (error) {
      if (token.appId !== null && isForeignKeyViolation(error)) throw appMissing(token.appId, error);
      throw storageError(`create token ${token.name}`, error);
    }
    return toToken(row);
  }

  findByHash(hash: string): Promise<Token | undefined> {
    return guard('look up a token', async () => {
      const row = await this.#db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && toToken(row);
    });
  }

  /** Oldest first. */
  list(appId?: string): Promise<Token[]> {
    return guard('list tokens', async () => {
      let query = this.#db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id');
      if (appId !== undefined) query = query.where('app_id', '=', appId);
      return (await query.execute()).map(toToken);
    });
  }

  remove(id: string): Promise<boolean> {
    return guard(`remove token ${id}`, async () => {
      const result = await this.#db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  touch(id: string, at: number): Promise<void> {
    return guard(`record the use of token ${id}`, async () => {
      await this.#db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    });
  }

  count(): Promise<number> {
    return guard('count tokens', async () => {
      const { count } = await this.#db
        .selectFrom('tokens')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      return Number(count);
    });
  }
}

function toToken(row: Selectable<TokensTable>): Token {
  return {
    id: row.id,
    name: row.name,
    appId: row.app_id,
    hash: row.hash,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}
