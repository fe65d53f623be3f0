/**
 * The control plane of one replica: it owns the config store connection, the config file (the
 * bootstrap), and the snapshot the gateway serves. It compiles file + store into a runtime and
 * swaps it into the gateway when
 *   - this replica commits an edit (at once, before the API answers),
 *   - another replica commits one (Postgres NOTIFY; a poll of the latest revision catches a
 *     missed notification),
 *   - the file is reloaded (SIGHUP, --watch).
 * When the store cannot be reached the replica keeps its last good snapshot, says so once (log
 * line, gauge) and catches up when the store answers again.
 */
import type { ConfigProblem } from '../config/config-error.js';
import { formatProblem } from '../config/config-error.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { KNOWN_PROVIDER_TYPES } from '../providers/registry.js';
import type { Runtime } from '../routing/runtime.js';
import { loadRuntime } from '../routing/runtime.js';
import { redactUrl } from '../storage/open-log-store.js';
import type { Actor, CommitPlan, ConfigStore, EntityChange, PlannedChange, StoreState } from './config-store.js';
import { applyPlan } from './config-store.js';
import type { SecretBox } from './secret-box.js';
import { createSecretBox, parseSecretKey, SECRET_KEY_ENV } from './secret-box.js';

/** What the control plane needs of the gateway: the runtime it serves, and an atomic swap. */
export interface SwappableGateway {
  readonly currentRuntime: Runtime;
  swapRuntime(next: Runtime): void;
}

export interface ControlPlaneOptions {
  /** The validated config file. */
  file: Config;
  logger: Logger;
  /** For env.NAME references in store entities and SWITCHYARD_SECRET_KEY. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** How often to poll the latest revision (Postgres). Default 2000 ms. */
  pollMs?: number;
  /** A store to use instead of the one `storage.*` names (tests). */
  store?: ConfigStore;
}

export class ConfigInvalidError extends GatewayError {
  constructor(readonly problems: ConfigProblem[]) {
    super('GW_ERR_INVALID_REQUEST', problems.map(formatProblem).join('; '), { param: problems[0]?.path ?? '' });
  }
}

/** Opens the store `storage.*` names (Postgres when postgres_url is set, else SQLite) and migrates it. */
export async function openConfigStore(storage: Config['storage']): Promise<ConfigStore> {
  const kind = storage.postgres_url ? 'Postgres' : `SQLite (${storage.sqlite_path})`;
  let store: ConfigStore | undefined;
  try {
    if (storage.postgres_url) {
      const { openPostgresConfigStore } = await import('./postgres-config-store.js');
      store = openPostgresConfigStore({ url: storage.postgres_url });
    } else {
      const { openSqliteConfigStore } = await import('./sqlite-config-store.js');
      store = await openSqliteConfigStore(storage.sqlite_path);
    }
    await store.migrate();
    return store;
  } catch (e) {
    await store?.close().catch(() => {});
    throw new Error(`config store: cannot open the ${kind} database (storage.*): ${redactUrl((e as Error).message)}`, { cause: e });
  }
}

/**
 * The validator (zod, the config checks) is loaded only when there is something to validate: a
 * gateway whose store is empty never loads it, as its file was validated in the loader thread.
 */
let compiler: typeof import('./effective-config.js') | undefined;

async function loadCompiler(): Promise<typeof import('./effective-config.js')> {
  compiler ??= await import('./effective-config.js');
  return compiler;
}

export class ControlPlane {
  readonly box: SecretBox | undefined;
  readonly env: Record<string, string | undefined>;
  private file: Config;
  private state: StoreState = { revision: 0, entities: [] };
  private applied = -1;
  private up = true;
  private gateway: SwappableGateway | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastBadRevision = -1;
  private readonly logger: Logger;
  private readonly pollMs: number;

  private constructor(
    readonly store: ConfigStore,
    options: ControlPlaneOptions,
  ) {
    this.file = options.file;
    this.logger = options.logger;
    this.env = options.env ?? process.env;
    this.pollMs = options.pollMs ?? 2000;
    const key = parseSecretKey(this.env[SECRET_KEY_ENV]);
    this.box = key ? createSecretBox(key) : undefined;
  }

  static async open(options: ControlPlaneOptions): Promise<ControlPlane> {
    // Checked before the store opens, so a malformed key fails the start with its own message.
    parseSecretKey((options.env ?? process.env)[SECRET_KEY_ENV]);
    const store = options.store ?? (await openConfigStore(options.file.storage));
    const cp = new ControlPlane(store, options);
    try {
      cp.state = await store.load();
      if (cp.state.entities.length > 0) await loadCompiler();
    } catch (e) {
      await store.close().catch(() => {});
      throw new Error(`config store: cannot read the config: ${redactUrl((e as Error).message)}`, { cause: e });
    }
    return cp;
  }

  /** The config to start on: file + store, or the file alone (with an error logged) when they do not fit together. */
  initialConfig(): Config {
    if (this.state.entities.length === 0) {
      this.applied = this.state.revision;
      return this.file;
    }
    const r = this.build(this.state);
    if (r.ok) {
      this.applied = this.state.revision;
      return r.config;
    }
    this.lastBadRevision = this.state.revision;
    this.logger.error({ revision: this.state.revision, problems: r.problems.map(formatProblem) }, 'config store: the stored entities do not fit the config file; serving the file alone until an edit or a file reload fixes it');
    return this.file;
  }

  /** Starts following the store: NOTIFY (Postgres) and the revision poll. */
  attach(gateway: SwappableGateway): void {
    this.gateway = gateway;
    this.store.listen({
      onRevision: (n) => {
        if (n > this.applied) void this.sync().catch(() => {});
      },
      onReconnect: () => void this.sync().catch(() => {}),
      onLost: () => void this.poll(),
    });
    if (this.store.kind === 'postgres') {
      this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
      this.pollTimer.unref();
    }
  }

  /** For the gauges: whether the store answered last time, and the revision served. */
  status(): { up: boolean; revision: number } {
    return { up: this.up, revision: Math.max(this.applied, 0) };
  }

  get fileConfig(): Config {
    return this.file;
  }

  /** The last state read from the store. */
  get storeState(): StoreState {
    return this.state;
  }

  /** The effective config the gateway currently serves. */
  get currentConfig(): Config {
    return this.gateway?.currentRuntime.config ?? this.file;
  }

  /** Loads the validator; needed before validate(). */
  async prepare(): Promise<void> {
    await loadCompiler();
  }

  private build(state: StoreState, file: Config = this.file) {
    if (!compiler) throw new Error('control plane: prepare() before validating');
    return compiler.buildEffectiveConfig({ file, entities: state.entities, box: this.box, env: this.env, knownProviderTypes: KNOWN_PROVIDER_TYPES });
  }

  private setUp(up: boolean, err?: unknown): void {
    if (up === this.up) return;
    this.up = up;
    if (up) this.logger.info({ revision: this.applied }, 'config store reachable again; catching up');
    else this.logger.warn({ revision: this.applied, err: { message: redactUrl(String((err as Error | undefined)?.message ?? err)) } }, 'config store unreachable; serving the last good config until it returns');
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const head = await this.store.head();
      const wasDown = !this.up;
      this.setUp(true);
      if (head !== this.applied || wasDown) await this.sync();
    } catch (e) {
      this.setUp(false, e);
    }
  }

  /** Runs fn after every earlier sync/commit/reload: snapshots are applied one at a time, in order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Reads the store and applies its latest revision if this replica does not serve it yet. */
  sync(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      let state: StoreState;
      try {
        state = await this.store.load();
        this.setUp(true);
      } catch (e) {
        this.setUp(false, e);
        throw e;
      }
      if (state.revision === this.applied) {
        this.state = state;
        return;
      }
      await this.apply(state);
    });
  }

  /** Compiles file + state and swaps it in; an unfit state is logged once and the old snapshot stays. */
  private async apply(state: StoreState, file: Config = this.file): Promise<ConfigProblem[] | undefined> {
    if (state.revision < this.applied && file === this.file) return undefined;
    this.state = state;
    await loadCompiler();
    const r = this.build(state, file);
    if (!r.ok) {
      if (this.lastBadRevision !== state.revision) {
        this.lastBadRevision = state.revision;
        this.logger.error({ revision: state.revision, problems: r.problems.map(formatProblem) }, 'config: cannot apply this revision; still serving the last good config');
      }
      return r.problems;
    }
    for (const s of r.shadowed) this.logger.warn({ kind: s.kind, name: s.name }, 'config store: the config file now defines this name too; the file wins');
    const gw = this.gateway;
    if (gw) {
      const previous = gw.currentRuntime;
      let next: Runtime;
      try {
        next = await loadRuntime(r.config, previous);
      } catch (e) {
        this.logger.error({ revision: state.revision, err: { message: (e as Error).message } }, 'config: cannot compile this revision; still serving the last good config');
        return [{ path: '(runtime)', message: (e as Error).message }];
      }
      gw.swapRuntime(next);
    }
    this.applied = state.revision;
    this.file = file;
    this.logger.info({ revision: state.revision }, 'config applied');
    return undefined;
  }

  /**
   * Commits an edit: `plan` runs under the store's write lock against its current state; the
   * result is validated as the whole effective config before anything is written, then applied
   * here at once. Throws GatewayError (400 with every problem, 409 from the plan, 503 when the
   * store cannot be reached).
   */
  async commit(actor: Actor, plan: (current: StoreState) => CommitPlan): Promise<{ revision: number; changes: EntityChange[] }> {
    await loadCompiler();
    let result;
    try {
      result = await this.store.commit(actor, (current) => {
        const p = plan(current);
        this.validate(current, p.changes);
        return p;
      });
      this.setUp(true);
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      this.setUp(false, e);
      throw new GatewayError('GW_ERR_CONFIG_STORE_UNAVAILABLE', `the config store cannot be reached, nothing was changed: ${redactUrl((e as Error).message)}`);
    }
    if (result.changes.length > 0) {
      this.logger.info({ revision: result.revision, actor, changes: result.changes.map((c) => `${c.action} ${c.kind}/${c.name}`) }, 'config revision committed');
    }
    if (result.changes.length > 0) await this.serial(() => this.apply(result.state));
    return { revision: result.revision, changes: result.changes };
  }

  /** Throws ConfigInvalidError when applying `changes` to `current` would not give a valid config. */
  validate(current: StoreState, changes: readonly PlannedChange[]): Config {
    const next = applyPlan(current, [...changes], current.revision + 1);
    const r = this.build({ revision: current.revision + 1, entities: next.entities });
    if (!r.ok) throw new ConfigInvalidError(r.problems);
    return r.config;
  }

  /**
   * A new config file (SIGHUP, --watch): validated with the store's entities, then applied. On
   * problems the running snapshot stays and the problems are returned.
   */
  reloadFile(file: Config): Promise<ConfigProblem[] | undefined> {
    return this.serial(async () => {
      try {
        this.state = await this.store.load();
        this.setUp(true);
      } catch (e) {
        this.setUp(false, e);
      }
      return this.apply(this.state, file);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.queue;
    await this.store.close();
  }
}

export type { Actor };
