/**
 * Versioned schema migrations, one list for both databases. A migration is never edited once
 * released: a change is a new version. Each store records applied versions in
 * `schema_migrations` and applies the missing ones in order, in one transaction, under a lock.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'request_logs',
    sqlite: [
      `CREATE TABLE request_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        client_key_id TEXT,
        dialect TEXT NOT NULL,
        requested_model TEXT,
        alias TEXT,
        provider TEXT,
        provider_type TEXT,
        model TEXT,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        attempts TEXT NOT NULL,
        attempt_count INTEGER NOT NULL,
        fallback_index INTEGER,
        latency_ms REAL NOT NULL,
        ttft_ms REAL,
        upstream_ms REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cached_input_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        priced INTEGER NOT NULL,
        finish_reason TEXT,
        content TEXT NOT NULL,
        request_meta TEXT,
        request_body TEXT,
        response_body TEXT
      )`,
      'CREATE INDEX request_logs_ts ON request_logs (ts, id)',
      'CREATE INDEX request_logs_provider_model_ts ON request_logs (provider, model, ts)',
      'CREATE INDEX request_logs_alias_ts ON request_logs (alias, ts)',
      'CREATE INDEX request_logs_request_id ON request_logs (request_id)',
    ],
    postgres: [
      `CREATE TABLE request_logs (
        id BIGSERIAL PRIMARY KEY,
        ts BIGINT NOT NULL,
        request_id TEXT NOT NULL,
        client_key_id TEXT,
        dialect TEXT NOT NULL,
        requested_model TEXT,
        alias TEXT,
        provider TEXT,
        provider_type TEXT,
        model TEXT,
        stream BOOLEAN NOT NULL,
        status INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        attempts JSONB NOT NULL,
        attempt_count INTEGER NOT NULL,
        fallback_index INTEGER,
        latency_ms DOUBLE PRECISION NOT NULL,
        ttft_ms DOUBLE PRECISION,
        upstream_ms DOUBLE PRECISION NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        priced BOOLEAN NOT NULL,
        finish_reason TEXT,
        content TEXT NOT NULL,
        request_meta JSONB,
        request_body JSONB,
        response_body JSONB
      )`,
      'CREATE INDEX request_logs_ts ON request_logs (ts, id)',
      'CREATE INDEX request_logs_provider_model_ts ON request_logs (provider, model, ts)',
      'CREATE INDEX request_logs_alias_ts ON request_logs (alias, ts)',
      'CREATE INDEX request_logs_request_id ON request_logs (request_id)',
    ],
  },
  {
    version: 2,
    name: 'request_logs_cache',
    sqlite: [
      'ALTER TABLE request_logs ADD COLUMN cache TEXT',
      'ALTER TABLE request_logs ADD COLUMN cache_similarity REAL',
      'ALTER TABLE request_logs ADD COLUMN cache_saved_usd REAL',
    ],
    postgres: [
      'ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS cache TEXT',
      'ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS cache_similarity DOUBLE PRECISION',
      'ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS cache_saved_usd DOUBLE PRECISION',
    ],
  },
  {
    version: 3,
    name: 'request_logs_team',
    sqlite: [
      'ALTER TABLE request_logs ADD COLUMN team TEXT',
      'CREATE INDEX request_logs_client_key_ts ON request_logs (client_key_id, ts)',
      'CREATE INDEX request_logs_team_ts ON request_logs (team, ts)',
    ],
    postgres: [
      'ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS team TEXT',
      'CREATE INDEX IF NOT EXISTS request_logs_client_key_ts ON request_logs (client_key_id, ts)',
      'CREATE INDEX IF NOT EXISTS request_logs_team_ts ON request_logs (team, ts)',
    ],
  },
  {
    version: 4,
    name: 'request_logs_mcp_calls',
    sqlite: ['ALTER TABLE request_logs ADD COLUMN mcp_calls TEXT'],
    postgres: ['ALTER TABLE request_logs ADD COLUMN IF NOT EXISTS mcp_calls JSONB'],
  },
];

export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
