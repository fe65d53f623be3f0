/**
 * Versioned migrations of the config store's tables, for both databases. Recorded in their own
 * table (config_schema_migrations), apart from the request log's, so each part of Switchyard can
 * evolve its tables alone. A released migration is never edited: a change is a new version.
 */
export interface ConfigMigration {
  version: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

export const CONFIG_MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS config_schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

const both = (sql: string[]): { sqlite: string[]; postgres: string[] } => ({ sqlite: sql, postgres: sql });

export const CONFIG_MIGRATIONS: readonly ConfigMigration[] = [
  {
    version: 1,
    name: 'config_entities_and_revisions',
    ...both([
      `CREATE TABLE config_entities (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        revision BIGINT NOT NULL,
        PRIMARY KEY (kind, name)
      )`,
      `CREATE TABLE config_revisions (
        revision BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        summary TEXT NOT NULL,
        changes TEXT NOT NULL,
        state TEXT NOT NULL,
        restored_from BIGINT
      )`,
    ]),
  },
];
