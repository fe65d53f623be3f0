import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.js';
import type { ConfigProblem } from './config-error.js';
import { configFormatFromPath, loadConfigFile, parseConfig, REDACTED } from './load-config.js';
import type { ParseConfigOptions } from './load-config.js';
import { geminiProviderConfigSchema } from '../providers/gemini/gemini-config-schema.js';
import { openaiProviderConfigSchema } from '../providers/openai/openai-config-schema.js';
import { KNOWN_PROVIDER_TYPES } from '../providers/registry.js';
import { PROVIDER_TYPES, withDefaultProviderType } from './schema.js';

/** The server's connection limits and drain, as the schema fills them in. */
const SERVER_LIMITS = { header_limit_bytes: 16384, headers_timeout_ms: 20000, request_timeout_ms: 60000, keep_alive_timeout_ms: 65000, max_connections: 8192, max_json_depth: 128, drain: { accept_ms: 5000, timeout_ms: 60000 }, ui: true };

const KNOWN = ['openai', 'anthropic'] as const;
const ALL_TYPES = KNOWN_PROVIDER_TYPES;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function parseYaml(text: string, opts: Partial<ParseConfigOptions> = {}) {
  return parseConfig(text, { format: 'yaml', env: {}, knownProviderTypes: KNOWN, ...opts });
}

/** The ConfigError parseConfig throws (fails the test if it does not throw one). */
function problemsOf(text: string, opts: Partial<ParseConfigOptions> = {}): { error: ConfigError; lines: string[] } {
  try {
    parseConfig(text, { format: 'yaml', env: {}, knownProviderTypes: KNOWN, ...opts });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return { error: err, lines: err.problems.map((p: ConfigProblem) => `${p.path}: ${p.message}`) };
  }
  assert.fail('expected parseConfig to throw a ConfigError');
}

describe('parseConfig: valid files', () => {
  it('fills every default from an empty document', () => {
    for (const text of ['', '{}', '# only a comment\n']) {
      const config = parseYaml(text);
      assert.deepEqual(config, {
        server: { host: '127.0.0.1', port: 8080, body_limit_bytes: 20 * 1024 * 1024, api_keys: [], ...SERVER_LIMITS },
        providers: {},
        models: {},
        routing: { deadline_ms: 25000, max_deadline_ms: 300000, circuit_breaker: { failure_threshold: 5, cooldown_ms: 30000 } },
        logging: { level: 'info', content: 'metadata', retention_days: 30, queue_size: 10000, flush_interval_ms: 1000 },
        storage: { sqlite_path: './data/switchyard.db' },
        responses: { store: true, retention_days: 30 },
        telemetry: { service_name: 'switchyard' },
        pricing: { overrides: {} },
        metrics: { enabled: true },
        governance: { enabled: false, counters: { type: 'memory' }, on_counter_store_error: 'fail_open', default_max_tokens: 4096 },
        cache: {
          enabled: false,
          store: { type: 'memory', max_bytes: 268435456 },
          ttl_s: 3600,
          namespace: 'key',
          admission: { mode: 'adaptive', window: 10000 },
          semantic: { enabled: false, embedding_model: 'embed', threshold: 0.95, max_messages: 4, timeout_ms: 500, index: { type: 'embedded', max_entries: 100_000 } },
        },
        teams: {},
        virtual_keys: {},
        breaker_overrides: {},
        mcp: { servers: {}, tool_timeout_ms: 30000, max_rounds: 8, max_result_bytes: 65536, connect_timeout_ms: 10000, ping_interval_ms: 30000 },
      });
    }
  });

  it('fills provider defaults and sets type from a known provider name', () => {
    const config = parseYaml(`
providers:
  anthropic:
    keys:
      - value: sk-ant-test
`);
    assert.deepEqual(config.providers['anthropic'], {
      type: 'anthropic',
      keys: [{ value: 'sk-ant-test', weight: 1, models: ['*'] }],
      models: [],
      headers: {},
      timeouts: { connect_ms: 2000, first_byte_ms: 10000, idle_ms: 30000 },
      retries: { max: 1, backoff_initial_ms: 200, backoff_max_ms: 2000 },
      stream_upstream: true,
      max_connections: 256,
      anthropic_version: '2023-06-01',
    });
  });

  it('returns configs that share no objects with each other', () => {
    const a = parseYaml('providers: { openai: {}, anthropic: {} }');
    const b = parseYaml('providers: { openai: {}, anthropic: {} }');
    a.server.api_keys.push('changed');
    a.providers['openai']!.keys.push({ value: 'k', weight: 1, models: ['*'] });
    a.providers['openai']!.timeouts.connect_ms = 1;
    assert.deepEqual(b.server.api_keys, []);
    assert.deepEqual(parseYaml('').server.api_keys, []);
    assert.deepEqual(a.providers['anthropic']!.keys, []);
    assert.equal(a.providers['anthropic']!.timeouts.connect_ms, 2000);
    assert.equal(b.providers['openai']!.timeouts.connect_ms, 2000);
  });

  it('keeps an explicit type and fills partly written nested objects', () => {
    const config = parseYaml(`
providers:
  mock-openai:
    type: openai
    base_url: http://127.0.0.1:9090/v1
    timeouts: { connect_ms: 500 }
server: { port: 0 }
`);
    const p = config.providers['mock-openai']!;
    assert.equal(p.type, 'openai');
    assert.equal(p.base_url, 'http://127.0.0.1:9090/v1');
    assert.deepEqual(p.timeouts, { connect_ms: 500, first_byte_ms: 10000, idle_ms: 30000 });
    assert.deepEqual(config.server, { host: '127.0.0.1', port: 0, body_limit_bytes: 20 * 1024 * 1024, api_keys: [], ...SERVER_LIMITS });
  });

  it('reads JSON the same as YAML', () => {
    const yaml = parseYaml(`
providers:
  openai: { keys: [{ value: k1, weight: 2 }] }
models:
  fast: { targets: [openai/gpt-4o-mini, { target: openai/gpt-4o }] }
`);
    const json = parseConfig(
      JSON.stringify({
        providers: { openai: { keys: [{ value: 'k1', weight: 2 }] } },
        models: { fast: { targets: ['openai/gpt-4o-mini', { target: 'openai/gpt-4o' }] } },
      }),
      { format: 'json', env: {}, knownProviderTypes: KNOWN },
    );
    assert.deepEqual(json, yaml);
    assert.deepEqual(yaml.models['fast']!.targets, ['openai/gpt-4o-mini', { target: 'openai/gpt-4o' }]);
  });

  it('splits targets at the first slash, so model names may contain slashes', () => {
    const config = parseYaml(`
providers:
  router: { type: openai }
models:
  llama: { targets: [router/meta-llama/llama-3-70b] }
`);
    assert.deepEqual(config.models['llama']!.targets, ['router/meta-llama/llama-3-70b']);
  });

  it('ignores a top-level $schema (editor hint) and a UTF-8 byte order mark', () => {
    const config = parseConfig('\uFEFF{"$schema": "./schema/switchyard.config.schema.json", "server": {"port": 9000}}', {
      format: 'json',
      env: {},
      knownProviderTypes: KNOWN,
    });
    assert.equal(config.server.port, 9000);
    assert.equal('$schema' in config, false);
  });

  it('supports YAML anchors and merge keys', () => {
    const config = parseYaml(`
providers:
  openai:
    timeouts: &fast { connect_ms: 300, first_byte_ms: 3000 }
  anthropic:
    timeouts: { <<: *fast, idle_ms: 5000 }
`);
    assert.deepEqual(config.providers['anthropic']!.timeouts, { connect_ms: 300, first_byte_ms: 3000, idle_ms: 5000 });
  });
});

describe('parseConfig: environment references', () => {
  it('replaces env.NAME anywhere in the document with the variable from the env option', () => {
    const config = parseYaml(
      `
server:
  api_keys: [env.CLIENT_KEY, literal-key]
  admin_token: env.ADMIN
providers:
  anthropic:
    keys:
      - value: env.ANTHROPIC_API_KEY
    headers:
      x-team: env.TEAM
`,
      { env: { CLIENT_KEY: 'ck', ADMIN: 'adm', ANTHROPIC_API_KEY: 'sk-ant', TEAM: 'blue' } },
    );
    assert.deepEqual(config.server.api_keys, ['ck', 'literal-key']);
    assert.equal(config.server.admin_token, 'adm');
    assert.equal(config.providers['anthropic']!.keys[0]!.value, 'sk-ant');
    assert.deepEqual(config.providers['anthropic']!.headers, { 'x-team': 'blue' });
  });

  it('reads process.env when no env option is given', () => {
    const name = 'SWITCHYARD_CONFIG_TEST_KEY';
    process.env[name] = 'from-process-env';
    try {
      const config = parseConfig(`providers: { openai: { keys: [{ value: env.${name} }] } }`, { format: 'yaml', knownProviderTypes: KNOWN });
      assert.equal(config.providers['openai']!.keys[0]!.value, 'from-process-env');
    } finally {
      delete process.env[name];
    }
  });

  it('takes only exact references: other strings and keys stay as written', () => {
    const config = parseYaml(
      `
providers:
  openai:
    headers:
      env.X: Bearer env.X
      x-envy: envX
`,
      { env: { X: 'nope' } },
    );
    assert.deepEqual(config.providers['openai']!.headers, { 'env.X': 'Bearer env.X', 'x-envy': 'envX' });
  });

  it('reports an unset variable with its path, and all unset ones at once', () => {
    const { error, lines } = problemsOf(`
providers:
  anthropic:
    keys:
      - value: env.ANTHROPIC_API_KEY
  openai:
    keys:
      - value: env.OPENAI_API_KEY
`);
    assert.deepEqual(lines, [
      'providers.anthropic.keys[0].value: environment variable ANTHROPIC_API_KEY is not set (export it, or put the value in the config)',
      'providers.openai.keys[0].value: environment variable OPENAI_API_KEY is not set (export it, or put the value in the config)',
    ]);
    assert.match(error.message, /^Invalid configuration \(2 problems\):\n/);
  });

  it('does not also complain about the placeholder an unset variable leaves behind', () => {
    const { lines } = problemsOf('providers: { openai: { base_url: env.OPENAI_BASE_URL } }');
    assert.deepEqual(lines, ['providers.openai.base_url: environment variable OPENAI_BASE_URL is not set (export it, or put the value in the config)']);
  });

  it('rejects references with invalid variable names instead of using them literally', () => {
    const { lines } = problemsOf('providers: { openai: { keys: [{ value: env.my-key }] } }');
    assert.deepEqual(lines, [
      'providers.openai.keys[0].value: "env.my-key" looks like an environment reference, but "my-key" is not a valid variable name (letters, digits and _, not starting with a digit)',
    ]);
  });

  it('says a number cannot come from the environment', () => {
    const { lines } = problemsOf('server: { port: env.PORT }', { env: { PORT: '8080' } });
    assert.deepEqual(lines, [
      'server.port: expected a number, got the value of environment variable PORT; environment references only fill in strings, so write the number in the config',
    ]);
  });

  it('names an empty variable', () => {
    const { lines } = problemsOf('providers: { openai: { keys: [{ value: env.EMPTY }] } }', { env: { EMPTY: '' } });
    assert.deepEqual(lines, ['providers.openai.keys[0].value: must not be empty (environment variable EMPTY is set but empty)']);
  });
});

describe('parseConfig: secrets never appear in error text', () => {
  const SECRET = 'sk-live-0123456789abcdefSECRETvalue';
  const SHORT = 'q7Zk'; // too short for the last-line redaction: must be kept out by construction
  const env = { S: SECRET, T: SHORT, GOOD: 'sk-good-key-000000000' };

  const cases: Array<[string, string]> = [
    ['wrong type (number)', 'server: { port: env.S }'],
    ['wrong type (object)', 'server: env.S'],
    ['wrong type (array)', 'server: { api_keys: env.S }'],
    ['bad URL', 'providers: { openai: { base_url: env.S } }'],
    ['not one of a set', 'logging: { level: env.S }'],
    ['short value, wrong type', 'server: { port: env.T }'],
    ['short value, bad URL', 'providers: { openai: { base_url: env.T } }'],
    ['short value, not one of a set', 'logging: { level: env.T }'],
    ['unknown provider type', 'providers: { foo: { type: env.S } }'],
    ['unknown provider type (short)', 'providers: { foo: { type: env.T } }'],
    ['target of an unconfigured provider', 'providers: { openai: {} }\nmodels: { m: { targets: [env.S] } }'],
    ['target without a slash (short)', 'providers: { openai: {} }\nmodels: { m: { targets: [env.T, { target: env.S }] } }'],
    [
      'secrets beside other errors',
      `
server: { prot: 1, admin_token: env.S }
providers:
  openai:
    keys: [{ value: env.S, idd: 1 }, { value: env.GOOD, weight: 0 }]
    headers: { authorization: env.S, x-n: 3 }
    unknown: env.S
`,
    ],
    ['secret in an unknown key value', 'providers: { openai: { api_key: env.S } }'],
    ['secret in an alias with a bad name', 'providers: { openai: {} }\nmodels: { "a/b": { targets: [openai/x], deadline_ms: env.S } }'],
  ];

  for (const [name, text] of cases) {
    it(name, () => {
      const { error } = problemsOf(text, { env });
      const everything = [error.message, JSON.stringify(error.problems), String(error.stack)].join('\n');
      for (const secret of [SECRET, SHORT, env.GOOD]) assert.ok(!everything.includes(secret), `secret leaked:\n${error.message}`);
      // Kept out by construction, not by the last-line redaction:
      assert.ok(!everything.includes(REDACTED), `redaction had to step in:\n${error.message}`);
    });
  }

  it('describes such values by variable name', () => {
    const { lines } = problemsOf('providers: { openai: { base_url: env.S } }\nlogging: { level: env.S }', { env });
    assert.deepEqual(lines, [
      'providers.openai.base_url: expected an http:// or https:// URL such as https://api.example.com/v1, got the value of environment variable S',
      'logging.level: the value of environment variable S is not one of "trace", "debug", "info", "warn", "error", "fatal", "silent"',
    ]);
  });
});

describe('parseConfig: schema problems, in words', () => {
  it('suggests the closest key for an unknown key', () => {
    assert.deepEqual(problemsOf('server: { prot: 8080 }').lines, ['server: unknown key "prot"; did you mean "port"?']);
    assert.deepEqual(problemsOf('sever: {}').lines, ['(top level): unknown key "sever"; did you mean "server"?']);
    assert.deepEqual(problemsOf('providers: { openai: { baseUrl: "http://x" } }').lines, ['providers.openai.baseUrl: unknown key for an openai provider; did you mean "base_url"?']);
    assert.deepEqual(problemsOf('providers: { openai: { keys: [{ value: k, wieght: 2 }] } }').lines, [
      'providers.openai.keys[0]: unknown key "wieght"; did you mean "weight"?',
    ]);
    assert.deepEqual(problemsOf('routing: { circuit_breaker: { cooldown: 5 } }').lines, [
      'routing.circuit_breaker: unknown key "cooldown"; did you mean "cooldown_ms"?',
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    assert.deepEqual(problemsOf('providers: { openai: { api_key: sk } }').lines, [
      `providers.openai.api_key: unknown key for an openai provider; allowed keys: ${Object.keys(openaiProviderConfigSchema.shape).join(', ')}`,
    ]);
    assert.deepEqual(problemsOf('models: { m: { targets: [openai/x], colour: red } }\nproviders: { openai: {} }').lines, [
      'models.m: unknown key "colour"; allowed keys: targets, deadline_ms, hedge_after_ms, cache, mcp',
    ]);
  });

  it('names an MCP server an alias or a key uses that mcp.servers does not define', () => {
    const text = [
      'providers: { openai: {} }',
      'mcp: { servers: { tracker: { transport: http, url: "http://127.0.0.1:1/mcp" } } }',
      'models: { m: { targets: [openai/x], mcp: { servers: [tracker, trakcer] } } }',
      'virtual_keys: { k: { key: sk-sy-test-0000000000000000, mcp: { servers: [wiki] } } }',
    ].join('\n');
    assert.deepEqual(problemsOf(text).lines, [
      'models.m.mcp.servers[1]: no MCP server named "trakcer"; did you mean "tracker"?; define it under mcp.servers (defined: tracker)',
      'virtual_keys.k.mcp.servers[0]: no MCP server named "wiki"; define it under mcp.servers (defined: tracker)',
    ]);
  });

  it('walks into the object form of a target', () => {
    assert.deepEqual(problemsOf('providers: { openai: {} }\nmodels: { m: { targets: [{ target: openai/x, wieght: 1 }] } }').lines, [
      'models.m.targets[0]: unknown key "wieght"; allowed keys: target',
    ]);
  });

  it('states expected and found types', () => {
    assert.deepEqual(problemsOf('server: { port: "80" }').lines, ['server.port: expected a number, got string "80"']);
    assert.deepEqual(problemsOf('server: { port: 80.5 }').lines, ['server.port: expected a whole number, got number 80.5']);
    assert.deepEqual(problemsOf('server: { host: 127 }').lines, ['server.host: expected a string, got number 127; put it in quotes: "127"']);
    assert.deepEqual(problemsOf('server: { api_keys: abc }').lines, ['server.api_keys: expected an array, got string "abc"; write a list, e.g. ["abc"]']);
    assert.deepEqual(problemsOf('providers: []').lines, ['providers: expected an object, got an array']);
    assert.deepEqual(problemsOf('providers:\n  openai:\n').lines, ['providers.openai: expected an object, got an empty value']);
    assert.deepEqual(problemsOf('server:\n').lines, ['server: expected an object, got an empty value; remove the key to use the default']);
    assert.deepEqual(problemsOf('providers: { openai: {} }\nmodels: { m: { targets: [3] } }').lines, [
      'models.m.targets[0]: expected a string or an object, got number 3',
    ]);
  });

  it('names missing required keys with their meaning', () => {
    assert.deepEqual(problemsOf('models: { review-model: {} }').lines, [
      'models.review-model.targets: required but missing (Ordered "provider/model" targets: the first is tried first)',
    ]);
    assert.deepEqual(problemsOf('providers: { openai: { keys: [{ id: main }] } }').lines, [
      'providers.openai.keys[0].value: required but missing (The provider API key, usually "env.NAME")',
    ]);
  });

  it('words ranges with the limit and the value found', () => {
    assert.deepEqual(problemsOf('server: { port: 70000 }').lines, ['server.port: must be at most 65535, got 70000']);
    assert.deepEqual(problemsOf('server: { port: -1 }').lines, ['server.port: must be at least 0, got -1']);
    assert.deepEqual(problemsOf('routing: { deadline_ms: 0 }').lines, ['routing.deadline_ms: must be greater than 0, got 0']);
    assert.deepEqual(problemsOf('server: { host: "" }').lines, ['server.host: must not be empty']);
    assert.deepEqual(problemsOf('providers: { openai: {} }\nmodels: { m: { targets: [] } }').lines, ['models.m.targets: must have at least 1 item, got 0']);
  });

  it('suggests the closest allowed value', () => {
    assert.deepEqual(problemsOf('logging: { level: inof }').lines, [
      'logging.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got string "inof"; did you mean "info"?',
    ]);
  });

  it('asks for an http(s) URL', () => {
    assert.deepEqual(problemsOf('providers: { openai: { base_url: api.openai.com } }').lines, [
      'providers.openai.base_url: expected an http:// or https:// URL such as https://api.example.com/v1, got string "api.openai.com"',
    ]);
    assert.equal(problemsOf('providers: { openai: { base_url: "localhost:9090" } }').lines.length, 1);
  });

  it('explains invalid provider names', () => {
    assert.deepEqual(problemsOf('providers: { "my openai": { type: openai } }').lines, [
      'providers["my openai"]: invalid name: provider names use letters, digits, _ . - and start with a letter or digit',
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    assert.deepEqual(problemsOf('- a\n- b\n').lines, ['(top level): expected an object with keys such as server, providers and models, got an array']);
    assert.deepEqual(problemsOf('just text').lines, ['(top level): expected an object with keys such as server, providers and models, got string']);
  });

  it('reports every problem, not just the first', () => {
    const { error, lines } = problemsOf(
      `
server:
  prot: 8080
  port: "80"
providers:
  anthropic:
    keys:
      - value: env.ANTHROPIC_API_KEY
routing:
  deadline_ms: 0
`,
      { source: 'switchyard.yaml' },
    );
    // The same example is in docs/configuration.md.
    assert.equal(
      error.message,
      [
        'Invalid configuration in switchyard.yaml (4 problems):',
        'providers.anthropic.keys[0].value: environment variable ANTHROPIC_API_KEY is not set (export it, or put the value in the config)',
        'server.port: expected a number, got string "80"',
        'server: unknown key "prot"; did you mean "port"?',
        'routing.deadline_ms: must be greater than 0, got 0',
      ].join('\n'),
    );
    assert.equal(lines.length, 4);
  });
});

describe('parseConfig: provider types', () => {
  it('requires a type when the name is not a known type', () => {
    assert.deepEqual(problemsOf('providers: { foo: {} }').lines, ['providers.foo.type: missing; set type to one of openai, anthropic']);
  });

  it('suggests the closest known type', () => {
    assert.deepEqual(problemsOf('providers: { foo: { type: opnai } }').lines, [
      'providers.foo.type: unknown provider type "opnai"; did you mean "openai"? Known: openai, anthropic',
    ]);
    assert.deepEqual(problemsOf('providers: { foo: { type: bedrock } }').lines, [
      'providers.foo.type: unknown provider type "bedrock". Known: openai, anthropic',
    ]);
  });

  it('uses the registry it is given', () => {
    const config = parseYaml('providers: { bedrock: {} }', { knownProviderTypes: ['openai', 'anthropic', 'bedrock'] });
    assert.equal(config.providers['bedrock']!.type, 'bedrock');
  });

  it('defaults type to the name before validating, so the type\'s own fields apply', () => {
    const config = parseYaml('providers: { anthropic: { anthropic_version: "2024-01-01" }, gemini: { api_version: v1 } }', { knownProviderTypes: ALL_TYPES });
    assert.deepEqual(
      Object.values(config.providers).map((p) => [p.type, 'anthropic_version' in p ? p.anthropic_version : undefined]),
      [
        ['anthropic', '2024-01-01'],
        ['gemini', undefined],
      ],
    );
    // A type given explicitly wins over the name.
    assert.equal(parseYaml('providers: { anthropic: { type: openai } }').providers['anthropic']!.type, 'openai');
  });

  it("refuses another type's field, naming the path, the type and the type that has it", () => {
    assert.deepEqual(problemsOf('providers: { g: { type: gemini, anthropic_version: "2023-06-01" } }', { knownProviderTypes: ALL_TYPES }).lines, [
      `providers.g.anthropic_version: unknown key for a gemini provider: it is a key of anthropic providers; allowed keys for gemini: ${Object.keys(geminiProviderConfigSchema.shape).join(', ')}`,
    ]);
    assert.match(problemsOf('providers: { openai: { region: eu-west-1 } }').lines.join('\n'), /^providers\.openai\.region: unknown key for an openai provider: it is a key of bedrock providers;/);
    assert.match(problemsOf('providers: { openai: { api_version: v1 } }').lines.join('\n'), /^providers\.openai\.api_version: unknown key for an openai provider: it is a key of gemini and azure providers;/);
    // A typo of the type's own field still gets a suggestion.
    assert.deepEqual(problemsOf('providers: { anthropic: { anthropic_verison: x } }').lines, [
      'providers.anthropic.anthropic_verison: unknown key for an anthropic provider; did you mean "anthropic_version"?',
    ]);
    // Fields nested in a type's own object are checked too.
    assert.deepEqual(problemsOf('providers: { aws: { type: bedrock, credentials: { access_key_id: a, secret_access_key: b, token: c } } }', { knownProviderTypes: ALL_TYPES }).lines, [
      'providers.aws.credentials: unknown key "token"; allowed keys: access_key_id, secret_access_key, session_token',
    ]);
  });

  it('checks the fields of each type: preset names, credentials', () => {
    assert.deepEqual(problemsOf('providers: { local: { type: openai-compatible, preset: olama } }', { knownProviderTypes: ALL_TYPES }).lines.map((l) => l.split(', got')[0]), [
      `providers.local.preset: expected one of ${PROVIDER_TYPES.filter((t) => !['openai', 'anthropic', 'bedrock', 'gemini', 'azure'].includes(t)).map((t) => JSON.stringify(t)).join(', ')}`,
    ]);
    assert.deepEqual(problemsOf('providers: { aws: { type: bedrock, credentials: { access_key_id: a } } }', { knownProviderTypes: ALL_TYPES }).lines, [
      'providers.aws.credentials.secret_access_key: required but missing (bedrock: AWS secret access key, usually "env.NAME")',
    ]);
  });

  it('an unknown type lists the known ones; only the type is reported', () => {
    assert.deepEqual(problemsOf('providers: { foo: { type: gemnii, anthropic_version: x, base_url: 3 } }', { knownProviderTypes: ALL_TYPES }).lines, [
      `providers.foo.type: unknown provider type "gemnii"; did you mean "gemini"? Known: ${ALL_TYPES.join(', ')}`,
    ]);
    assert.deepEqual(problemsOf('providers: { foo: { type: 7 } }').lines, ['providers.foo.type: expected a string, got number 7. Known: openai, anthropic']);
    assert.deepEqual(problemsOf('providers: { foo: { type: env.T } }', { env: { T: 'nope' } }).lines, [
      'providers.foo.type: the value of environment variable T is not a known provider type. Known: openai, anthropic',
    ]);
  });

  it('the schema knows every type the registry can build', () => {
    assert.deepEqual([...PROVIDER_TYPES].sort(), [...KNOWN_PROVIDER_TYPES].sort());
  });

  it('withDefaultProviderType fills type from a known name only', () => {
    assert.deepEqual(withDefaultProviderType('openai', {}), { type: 'openai' });
    assert.deepEqual(withDefaultProviderType('openai', { type: 'azure' }), { type: 'azure' });
    assert.deepEqual(withDefaultProviderType('mine', {}), {});
    assert.equal(withDefaultProviderType('openai', null), null);
  });
});

describe('parseConfig: aliases and targets', () => {
  const providers = `
providers:
  openai: {}
  anthropic: {}
`;

  it('reports a target whose provider is not configured, with a suggestion', () => {
    assert.deepEqual(problemsOf(`${providers}models:\n  review-model:\n    targets: [anthropic/claude-sonnet-4-6, opneai/gpt-4o]\n`).lines, [
      'models.review-model.targets[1]: provider "opneai" is not configured; did you mean "openai"? Configured: anthropic, openai',
    ]);
    assert.deepEqual(problemsOf(`${providers}models: { m: { targets: [mistral/large] } }`).lines, [
      'models.m.targets[0]: provider "mistral" is not configured. Configured: anthropic, openai',
    ]);
    assert.deepEqual(problemsOf('models: { m: { targets: [openai/gpt-4o] } }').lines, [
      'models.m.targets[0]: provider "openai" is not configured. No providers are configured yet (add one under providers)',
    ]);
  });

  it('points at the target key of the object form', () => {
    assert.deepEqual(problemsOf(`${providers}models: { m: { targets: [{ target: opneai/gpt-4o }] } }`).lines, [
      'models.m.targets[0].target: provider "opneai" is not configured; did you mean "openai"? Configured: anthropic, openai',
    ]);
  });

  it('requires provider/model with both parts', () => {
    assert.deepEqual(problemsOf(`${providers}models: { m: { targets: [gpt-4o, /gpt-4o, openai/] } }`).lines, [
      'models.m.targets[0]: "gpt-4o" is not "provider/model"; write it as e.g. "anthropic/gpt-4o"',
      'models.m.targets[1]: "/gpt-4o" has no provider before the "/"; write it as e.g. "anthropic/gpt-4o"',
      'models.m.targets[2]: "openai/" has no model after the "/"; write it as e.g. "openai/gpt-4o-mini"',
    ]);
  });

  it('does not let an alias target another alias', () => {
    assert.deepEqual(problemsOf(`${providers}models: { a: { targets: [openai/x] }, b: { targets: [a] } }`).lines, [
      'models.b.targets[0]: "a" is an alias; targets name a provider and a model ("provider/model"), aliases cannot point at aliases',
    ]);
  });

  it('rejects alias names with a slash', () => {
    assert.deepEqual(problemsOf(`${providers}models: { "team/review": { targets: [openai/x] } }`).lines, [
      'models["team/review"]: alias names may not contain "/" (a name with "/" reads as provider/model); rename it, e.g. "team-review"',
    ]);
  });
});

describe('parseConfig: the semantic cache', () => {
  const base = `
providers:
  openai: {}
models:
  chat: { targets: [openai/gpt-4o-mini] }
  embed: { targets: [openai/text-embedding-3-small] }
`;
  const EMBED_FIX = 'the semantic cache embeds questions through this gateway: name an alias with an embedding target (e.g. models.embed: { targets: [openai/text-embedding-3-small] }) or a provider/model such as "openai/text-embedding-3-small"';

  const parses = (text: string) => parseConfig(text, { format: 'yaml', env: {}, knownProviderTypes: KNOWN });

  it('accepts an alias or a provider/model as the embedding model, and anything while semantic is off', () => {
    assert.equal(parses(`${base}cache: { enabled: true, semantic: { enabled: true } }`).cache.semantic.embedding_model, 'embed');
    assert.equal(parses(`${base}cache: { enabled: true, semantic: { enabled: true, embedding_model: openai/text-embedding-3-large } }`).cache.semantic.enabled, true);
    assert.equal(parses(`${base}cache: { enabled: true, semantic: { enabled: false, embedding_model: nope, index: { type: postgres } } }`).cache.semantic.embedding_model, 'nope');
  });

  it('names an embedding model this gateway does not serve, with a suggestion', () => {
    assert.deepEqual(problemsOf(`${base}cache: { enabled: true, semantic: { enabled: true, embedding_model: embd } }`).lines, [
      `cache.semantic.embedding_model: no alias named "embd"; did you mean "embed"?; ${EMBED_FIX}`,
    ]);
    assert.deepEqual(problemsOf(`${base}cache: { enabled: true, semantic: { enabled: true, embedding_model: opnai/text-embedding-3-small } }`).lines, [
      `cache.semantic.embedding_model: provider "opnai" is not configured; did you mean "openai"?; ${EMBED_FIX}`,
    ]);
  });

  it('checks it when only an alias turns the semantic cache on', () => {
    const only = `providers:\n  openai: {}\nmodels:\n  faq: { targets: [openai/gpt-4o-mini], cache: { semantic: true } }\n`;
    assert.deepEqual(problemsOf(only).lines, [`cache.semantic.embedding_model: no alias named "embed"; ${EMBED_FIX}`]);
    assert.deepEqual(problemsOf(`${only}cache: { semantic: { enabled: true } }`.replace('cache: { semantic: true }', 'cache: true')).lines, [`cache.semantic.embedding_model: no alias named "embed"; ${EMBED_FIX}`]);
  });

  it('requires storage.postgres_url for the postgres index', () => {
    assert.deepEqual(problemsOf(`${base}cache: { enabled: true, semantic: { enabled: true, index: { type: postgres } } }`).lines, [
      'cache.semantic.index.type: postgres keeps the index in storage.postgres_url, which is not set; set it (a Postgres with the pgvector extension) or use { type: embedded }',
    ]);
    assert.equal(parses(`${base}storage: { postgres_url: "postgres://db/switchyard" }\ncache: { enabled: true, semantic: { enabled: true, index: { type: postgres } } }`).cache.semantic.index.type, 'postgres');
  });
});

describe('parseConfig: cross-field checks', () => {
  it('checks backoff, deadlines and key ids', () => {
    assert.deepEqual(
      problemsOf(`
providers:
  openai:
    keys: [{ value: a, id: main }, { value: b, id: main }]
    retries: { backoff_initial_ms: 5000 }
routing: { deadline_ms: 400000 }
`).lines,
      [
        'providers.openai.keys[1].id: "main" is already the id of keys[0]; give each key of a provider its own id',
        'providers.openai.retries.backoff_initial_ms: must not exceed backoff_max_ms (2000), got 5000',
        'routing.deadline_ms: must not exceed routing.max_deadline_ms (300000), got 400000',
      ],
    );
  });
});

describe('parseConfig: syntax errors', () => {
  it('gives line and column for YAML errors', () => {
    assert.deepEqual(problemsOf('server:\n  host: a: b\n').lines, ['line 2, column 9: Nested mappings are not allowed in compact mappings']);
    assert.deepEqual(problemsOf('server:\n  port: 1\n  port: 2\n').lines, ['line 3, column 3: duplicate key "port"; each key may appear once per mapping']);
    assert.deepEqual(problemsOf('server: {}\n---\nlogging: {}\n').lines, ['line 2, column 1: the file holds more than one YAML document (a second "---"); keep one']);
    const { error } = problemsOf('server:\n\tport: 1\n', { source: 'bad.yaml' });
    assert.match(error.message, /^Invalid configuration in bad\.yaml \(\d+ problems?\):\nline 2, column 1: /);
  });

  it('gives line and column for JSON errors', () => {
    const json = '{\n  "server": {\n    "port": 1\n  "logging": {}\n}';
    const { lines } = problemsOf(json, { format: 'json' });
    assert.deepEqual(lines, ["line 4, column 3: invalid JSON: expected ',' or '}' after property value"]);
  });

  it('never echoes the file text in JSON errors', () => {
    const { error } = problemsOf('{"providers": {"openai": {"keys": [{"value": "sk-inline-abcdef"}]}}, tru}', { format: 'json' });
    assert.ok(!error.message.includes('sk-inline-abcdef'), error.message);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks the format from the extension', async () => {
    assert.equal(configFormatFromPath('a.yaml'), 'yaml');
    assert.equal(configFormatFromPath('a.YML'), 'yaml');
    assert.equal(configFormatFromPath('dir.v2/a.json'), 'json');
    assert.equal(configFormatFromPath('a.toml'), undefined);

    await writeFile(join(dir, 'c.yml'), 'server: { port: 1234 }\n');
    await writeFile(join(dir, 'c.json'), '{"server": {"port": 4321}}');
    assert.equal((await loadConfigFile(join(dir, 'c.yml'), { env: {}, knownProviderTypes: KNOWN })).server.port, 1234);
    assert.equal((await loadConfigFile(join(dir, 'c.json'), { env: {}, knownProviderTypes: KNOWN })).server.port, 4321);
  });

  it('names the file in errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'server: { prot: 1 }\n');
    await assert.rejects(loadConfigFile(file, { env: {}, knownProviderTypes: KNOWN }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.source, file);
      assert.equal(err.message, `Invalid configuration in ${file} (1 problem):\nserver: unknown key "prot"; did you mean "port"?`);
      return true;
    });
  });

  it('names a file it cannot read', async () => {
    const file = join(dir, 'missing.yaml');
    await assert.rejects(loadConfigFile(file, { env: {}, knownProviderTypes: KNOWN }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [{ path: file, message: 'cannot read the file: no such file (ENOENT); check the path' }]);
      assert.ok(err.message.includes(file));
      return true;
    });
    const folder = join(dir, 'folder.yaml');
    await mkdir(folder);
    await assert.rejects(loadConfigFile(folder, { env: {}, knownProviderTypes: KNOWN }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /folder\.yaml: cannot read the file: it is a directory \(EISDIR\)/);
      return true;
    });
  });

  it('refuses other extensions', async () => {
    await assert.rejects(loadConfigFile(join(dir, 'c.toml'), { env: {}, knownProviderTypes: KNOWN }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems[0]!.message, 'unknown file type ".toml"; name the file .yaml, .yml or .json');
      return true;
    });
  });

  it('loads examples/switchyard.yaml with no environment variables at all', async () => {
    const config = await loadConfigFile(join(repoRoot, 'examples/switchyard.yaml'), { env: {}, knownProviderTypes: ['openai', 'anthropic'] });
    assert.deepEqual(config.server, { host: '127.0.0.1', port: 8080, body_limit_bytes: 20 * 1024 * 1024, api_keys: [], ...SERVER_LIMITS });
    assert.deepEqual(Object.keys(config.providers).sort(), ['mock-anthropic', 'mock-openai']);
    assert.equal(config.providers['mock-openai']!.type, 'openai');
    assert.equal(config.providers['mock-openai']!.base_url, 'http://127.0.0.1:9090/v1');
    assert.deepEqual(config.providers['mock-openai']!.keys.map((k) => k.value), ['mock-key']);
    assert.equal(config.providers['mock-anthropic']!.type, 'anthropic');
    assert.equal(config.providers['mock-anthropic']!.base_url, 'http://127.0.0.1:9090');
    assert.deepEqual(config.providers['mock-anthropic']!.keys.map((k) => k.value), ['mock-key']);
    assert.deepEqual(config.models['review-model']!.targets, ['mock-anthropic/claude-sonnet-4-6', 'mock-openai/gpt-4o-mini']);
  });
});
