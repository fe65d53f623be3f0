/**
 * The SQLite driver under the embedded request log: Node's own `node:sqlite` where the runtime has
 * it unflagged (22.13+, 24), else better-sqlite3 (Node 20). Node's built-in module avoids a native
 * addon on current Node, where better-sqlite3 12 can abort the process at exit (a statement
 * finalised after the environment is gone). Both are synchronous and expose the same few calls.
 */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number | bigint };
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}

export interface SqliteDb {
  readonly driver: 'node:sqlite' | 'better-sqlite3';
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back when it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string) => { exec(sql: string): void; prepare(sql: string): SqliteStatement; close(): void; isOpen?: boolean };
}

async function loadNodeSqlite(): Promise<NodeSqliteModule | undefined> {
  try {
    // Not in @types/node 20; loaded by name so the type checker does not look for it.
    const name = 'node:sqlite';
    return (await import(name)) as NodeSqliteModule;
  } catch {
    return undefined;
  }
}

export async function openSqlite(path: string): Promise<SqliteDb> {
  const native = await loadNodeSqlite();
  if (native) {
    const db = new native.DatabaseSync(path);
    let open = true;
    return wrap('node:sqlite', {
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        const stmt = db.prepare(sql);
        // node:sqlite rows have a null prototype; callers get plain objects, as from better-sqlite3.
        return {
          run: (...params) => stmt.run(...params),
          all: (...params) => stmt.all(...params).map((r) => ({ ...(r as object) })),
          get: (...params) => {
            const r = stmt.get(...params);
            return r === undefined ? undefined : { ...(r as object) };
          },
        };
      },
      close: () => {
        if (open) db.close();
        open = false;
      },
    });
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  return wrap('better-sqlite3', {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql) as unknown as SqliteStatement,
    close: () => {
      if (db.open) db.close();
    },
  });
}

function wrap(driver: SqliteDb['driver'], db: Pick<SqliteDb, 'exec' | 'prepare' | 'close'>): SqliteDb {
  return {
    driver,
    ...db,
    transaction<T>(fn: () => T): T {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
  };
}

/** Whether a SQLite call failed because another connection holds the lock it needs (SQLITE_BUSY). */
export function isBusy(e: unknown): boolean {
  const err = e as { code?: unknown; errcode?: unknown };
  if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_BUSY')) return true; // better-sqlite3
  return typeof err?.errcode === 'number' && (err.errcode & 0xff) === 5; // node:sqlite
}

/**
 * Runs `fn` (one statement or transaction on a connection with `busy_timeout = 0`). When another
 * connection holds the lock, tries again 1, 2, then every 4 ms, up to `giveUpMs`, then throws the
 * busy error: the caller's promise waits for the lock, the event loop does not. (SQLite's own busy
 * timeout would sleep inside the call, holding the thread.)
 */
export async function whenUnlocked<T>(fn: () => T, giveUpMs = 5_000): Promise<T> {
  let waited = 0;
  for (let delay = 1; ; delay = Math.min(delay * 2, 4)) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || waited >= giveUpMs) throw e;
    }
    await new Promise((r) => setTimeout(r, delay));
    waited += delay;
  }
}
