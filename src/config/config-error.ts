/**
 * The one error the configuration loader throws. It carries every problem found (not just the
 * first), each naming the exact place in the file and, where there is one, the fix.
 *
 * Message format, one problem per line after a header line:
 *
 *     Invalid configuration in switchyard.yaml (2 problems):
 *     server: unknown key "prot"; did you mean "port"?
 *     providers.anthropic.keys[0].value: environment variable ANTHROPIC_API_KEY is not set (export it, or put the value in the config)
 *
 * Never put a value that came from an environment variable into a problem message: the loader
 * describes such values by the variable's name only.
 */

export interface ConfigProblem {
  /** Where: a dotted path like `providers.anthropic.keys[0].value`, `(top level)`, or `line 3, column 5` for syntax errors. */
  path: string;
  /** What is wrong and, where possible, how to fix it. One line. */
  message: string;
}

export interface ConfigErrorOptions {
  /** The file (or other label) the configuration came from, shown in the header line. */
  source?: string;
  cause?: unknown;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  readonly source?: string;

  constructor(problems: readonly ConfigProblem[], options: ConfigErrorOptions = {}) {
    super(formatConfigErrorMessage(problems, options.source), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.problems = problems.map((p) => ({ path: p.path, message: p.message }));
    if (options.source !== undefined) this.source = options.source;
  }
}

function formatConfigErrorMessage(problems: readonly ConfigProblem[], source: string | undefined): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const header = `Invalid configuration${source === undefined ? '' : ` in ${source}`} (${count}):`;
  return [header, ...problems.map(formatProblem)].join('\n');
}

/** `<path>: <message>`, newlines in the message flattened so each problem stays on one line. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.path}: ${problem.message.replace(/\s*\n\s*/g, ' ')}`;
}

/** The path shown for problems about the document as a whole. */
export const TOP_LEVEL_PATH = '(top level)';

const BARE_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Formats a path as users write it: `providers.anthropic.keys[0].value`. Keys that are not plain
 * words (a provider called "eu.openai", an alias containing "/") are quoted: `models["a/b"]`.
 */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (BARE_SEGMENT.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? TOP_LEVEL_PATH : out;
}
