/**
 * Loading the configuration file: parse (YAML or JSON), resolve `env.NAME` references, validate
 * against the schema, run the cross-field checks, and either return a complete Config (defaults
 * filled, every provider's `type` set) or throw one ConfigError listing every problem.
 *
 * Error text never contains a value that came from an environment variable.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from './config-error.js';
import { ConfigError, TOP_LEVEL_PATH } from './config-error.js';
import { checkConfigSemantics } from './check-config-semantics.js';
import { issuesToProblems } from './issues-to-problems.js';
import { resolveEnvRefs } from './resolve-env-refs.js';
import type { Config } from './schema.js';
import { configSchema, withDefaultProviderType } from './schema.js';

export type ConfigFormat = 'yaml' | 'json';

type Fail = (problems: ConfigProblem[], cause?: unknown) => never;

export interface ParseConfigOptions {
  format: ConfigFormat;
  /** Where the text came from (a file path), named in the error's header line. */
  source?: string;
  /** Environment for `env.NAME` references. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Provider types the gateway can serve (from the provider registry). */
  knownProviderTypes: readonly string[];
}

export interface LoadConfigFileOptions {
  /** Environment for `env.NAME` references. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Provider types the gateway can serve (from the provider registry). */
  knownProviderTypes: readonly string[];
}

/** Parses and validates configuration text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, opts: ParseConfigOptions): Config {
  const source = opts.source;
  const fail: Fail = (problems, cause) => {
    throw new ConfigError(problems, { ...(source === undefined ? {} : { source }), ...(cause === undefined ? {} : { cause }) });
  };

  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const document = opts.format === 'json' ? parseJson(body, fail) : parseYaml(body, fail);

  if (document !== undefined && document !== null && (typeof document !== 'object' || Array.isArray(document))) {
    fail([{ path: TOP_LEVEL_PATH, message: `expected an object with keys such as server, providers and models, got ${Array.isArray(document) ? 'an array' : typeof document}` }]);
  }
  const root: Record<string, unknown> = { ...((document ?? {}) as Record<string, unknown>) };
  // A "$schema" key only tells editors where the JSON Schema is; it is not configuration.
  if (typeof root['$schema'] === 'string') delete root['$schema'];

  const env = opts.env ?? process.env;
  const resolved = resolveEnvRefs(root, env);
  const unsetPaths = new Set([...resolved.refs].filter(([, ref]) => !ref.set).map(([path]) => path));
  const problems: ConfigProblem[] = [...resolved.problems];

  const input = withDefaultProviderTypes(resolved.value, opts.knownProviderTypes);
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    // An unset variable is already reported; the placeholder left in its place may fail too.
    const schemaProblems = issuesToProblems(result.error.issues, { schema: configSchema, envRefs: resolved.refs, knownProviderTypes: opts.knownProviderTypes });
    problems.push(...schemaProblems.filter((p) => !unsetPaths.has(p.path)));
    return fail(redact(problems, resolved.secrets));
  }

  const checked = checkConfigSemantics(result.data, { knownProviderTypes: opts.knownProviderTypes, envRefs: resolved.refs });
  problems.push(...checked.problems.filter((p) => !unsetPaths.has(p.path)));
  if (problems.length > 0) fail(redact(problems, resolved.secrets));
  // Schema defaults are shared objects (server.api_keys' [] is one array for every parse): copy,
  // so no two loaded configs share anything.
  return structuredClone(checked.config);
}

/**
 * `type` defaults to the provider's name when that is a known type: filled in before validation so
 * the schema's union, discriminated by `type`, checks each provider against its own type's fields.
 */
function withDefaultProviderTypes(root: unknown, knownTypes: readonly string[]): unknown {
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return root;
  const providers = (root as Record<string, unknown>)['providers'];
  if (providers === null || typeof providers !== 'object' || Array.isArray(providers)) return root;
  const filled = Object.fromEntries(Object.entries(providers).map(([name, entry]) => [name, withDefaultProviderType(name, entry, knownTypes)]));
  return { ...root, providers: filled };
}

/** Reads a .yaml, .yml or .json file and parses it with parseConfig. Throws ConfigError. */
export async function loadConfigFile(path: string, opts: LoadConfigFileOptions): Promise<Config> {
  const format = configFormatFromPath(path);
  if (!format) {
    throw new ConfigError([{ path, message: `unknown file type "${extname(path)}"; name the file .yaml, .yml or .json` }], { source: path });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path, message: `cannot read the file: ${describeFsError(err)}` }], { source: path, cause: err });
  }
  return parseConfig(text, { format, source: path, knownProviderTypes: opts.knownProviderTypes, ...(opts.env ? { env: opts.env } : {}) });
}

/** The format implied by a file name, or undefined for other extensions. */
export function configFormatFromPath(path: string): ConfigFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return undefined;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file (ENOENT); check the path';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}); check the file's permissions`;
    case 'EISDIR':
      return 'it is a directory (EISDIR); give the path of the config file inside it';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

function parseYaml(text: string, fail: Fail): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `line ${line}, column ${col}`, message: yamlMessage(e.code, e.message, text, e.pos[0]) };
      }),
      doc.errors[0],
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail([{ path: TOP_LEVEL_PATH, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }], err);
  }
}

function yamlMessage(code: string, message: string, text: string, offset: number): string {
  switch (code) {
    case 'DUPLICATE_KEY': {
      const key = /^("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^:\n]+?)\s*:/.exec(text.slice(offset))?.[1];
      return key ? `duplicate key ${key.startsWith('"') || key.startsWith("'") ? key : JSON.stringify(key)}; each key may appear once per mapping` : 'duplicate key; each key may appear once per mapping';
    }
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (a second "---"); keep one';
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed as indentation in YAML; indent with spaces';
    default:
      return message;
  }
}

function parseJson(text: string, fail: Fail): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(raw);
    // Keep V8's description, drop its location suffix and any echo of the file's text.
    let message = raw.replace(/\s*in JSON at position \d+.*$/, '').replace(/,\s*".*" is not valid JSON$/s, '');
    message = message.charAt(0).toLowerCase() + message.slice(1);
    if (!pos) return fail([{ path: TOP_LEVEL_PATH, message: `invalid JSON: ${message}` }], err);
    const { line, col } = lineAndColumn(text, Number(pos[1]));
    return fail([{ path: `line ${line}, column ${col}`, message: `invalid JSON: ${message}` }], err);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * Last line of defence: problem messages are written never to include values from the
 * environment, but should one slip through it is replaced. Short values are left alone: they are
 * not secrets and would match ordinary words.
 */
function redact(problems: ConfigProblem[], secrets: ReadonlySet<string>): ConfigProblem[] {
  const long = [...secrets].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  if (long.length === 0) return problems;
  return problems.map((p) => {
    let message = p.message;
    for (const s of long) message = message.split(s).join(REDACTED);
    return { path: p.path, message };
  });
}

/** What `redact` puts in place of a value from the environment. Exported for tests. */
export const REDACTED = '<value from the environment>';
