/**
 * Turns zod issues into problems a person can act on: the path as written in the file, what was
 * expected, what was found, and the fix. Values that came from environment variables are described
 * by the variable's name, never printed.
 */
import type { z } from 'zod';
import type { ConfigProblem } from './config-error.js';
import { formatConfigPath } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import type { EnvRef } from './resolve-env-refs.js';
import { allowedKeysAtPath, hasDefaultOrIsOptional, schemaAtPath, schemaDescription, unwrapSchema } from './schema-walk.js';

type Issue = z.core.$ZodIssue;

export interface IssueContext {
  /** The schema the issues came from (walked for allowed keys and descriptions). */
  schema: z.core.$ZodType;
  /** Formatted path → environment reference found there. */
  envRefs: ReadonlyMap<string, EnvRef>;
  /** Provider types the gateway serves, listed when a provider's type is missing or unknown. Default: the schema's. */
  knownProviderTypes?: readonly string[];
}

export function issuesToProblems(issues: readonly Issue[], ctx: IssueContext): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) convertIssue(issue, [], ctx, out);
  // Unions can report the same thing from two branches; keep each line once.
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function convertIssue(issue: Issue, prefix: readonly PropertyKey[], ctx: IssueContext, out: ConfigProblem[]): void {
  const pathArr = [...prefix, ...issue.path];
  const path = formatConfigPath(pathArr);
  const env = ctx.envRefs.get(path);
  const push = (message: string): void => {
    out.push({ path, message });
  };

  switch (issue.code) {
    case 'unrecognized_keys': {
      const branch = discriminatedBranch(ctx.schema, pathArr, issue.input);
      if (branch) {
        for (const key of issue.keys) out.push({ path: formatConfigPath([...pathArr, key]), message: unknownBranchKey(key, branch) });
        return;
      }
      const allowed = allowedKeysAtPath(ctx.schema, pathArr);
      for (const key of issue.keys) {
        const guess = didYouMean(key, allowed);
        if (guess) push(`unknown key ${JSON.stringify(key)}; did you mean "${guess}"?`);
        else if (allowed.length > 0) push(`unknown key ${JSON.stringify(key)}; allowed keys: ${allowed.join(', ')}`);
        else push(`unknown key ${JSON.stringify(key)}`);
      }
      return;
    }

    case 'invalid_type': {
      const expected = describeExpected(issue.expected);
      if (issue.input === undefined) {
        // A parsed document holds no undefined values: this is a missing required key.
        const field = schemaAtPath(ctx.schema, pathArr);
        const desc = field ? schemaDescription(field) : undefined;
        push(desc ? `required but missing (${trimPeriod(desc)})` : 'required but missing');
        return;
      }
      let message = `expected ${expected}, got ${describeValue(issue.input, env)}`;
      message += typeFix(issue.expected, issue.input, env, ctx.schema, pathArr);
      push(message);
      return;
    }

    case 'too_small':
    case 'too_big': {
      push(rangeMessage(issue, env));
      return;
    }

    case 'invalid_format': {
      const got = describeValue(issue.input, env);
      if (issue.format === 'url') {
        push(`expected an http:// or https:// URL such as https://api.example.com/v1, got ${got}`);
      } else if (issue.format === 'regex' && !issue.message.startsWith('Invalid string')) {
        push(`${trimPeriod(issue.message)}; got ${got}`);
      } else {
        push(`expected a valid ${issue.format.replace(/_/g, ' ')}, got ${got}`);
      }
      return;
    }

    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      const list = issue.values.map((v) => JSON.stringify(v)).join(', ');
      if (env) {
        push(`the value of environment variable ${env.name} is not one of ${list}`);
        return;
      }
      const guess = typeof issue.input === 'string' ? didYouMean(issue.input, allowed) : undefined;
      push(`expected one of ${list}, got ${describeValue(issue.input, env)}${guess ? `; did you mean "${guess}"?` : ''}`);
      return;
    }

    case 'invalid_key': {
      // A record key (a provider or alias name) that the key schema rejects.
      const reasons = issue.issues.map((i) => trimPeriod(i.message)).join('; ');
      push(`invalid name: ${reasons}`);
      return;
    }

    case 'invalid_union': {
      if ((issue as { note?: unknown }).note === 'No matching discriminator') {
        push(discriminatorMessage(issue, pathArr, env, ctx));
        return;
      }
      convertUnion(issue, pathArr, env, ctx, out);
      return;
    }

    case 'not_multiple_of': {
      push(`must be a multiple of ${issue.divisor}, got ${describeValue(issue.input, env)}`);
      return;
    }

    default:
      push(trimPeriod(issue.message));
  }
}

/**
 * A union failed. If the value's type fits one branch (an object given where "string or object"
 * is allowed), report that branch's issues: they are the ones the user means. Otherwise say which
 * types would be accepted.
 */
function convertUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  pathArr: PropertyKey[],
  env: EnvRef | undefined,
  ctx: IssueContext,
  out: ConfigProblem[],
): void {
  const branches = issue.errors;
  const isTypeMismatch = (errs: readonly Issue[]): boolean =>
    errs.some((e) => e.code === 'invalid_type' && e.path.length === 0);
  const fitting = branches.find((errs) => errs.length > 0 && !isTypeMismatch(errs));
  if (fitting) {
    for (const e of fitting) convertIssue(e, pathArr, ctx, out);
    return;
  }
  const expected = [
    ...new Set(
      branches.flatMap((errs) => errs.filter((e) => e.code === 'invalid_type' && e.path.length === 0).map((e) => describeExpected((e as z.core.$ZodIssueInvalidType).expected))),
    ),
  ];
  const want = expected.length > 0 ? expected.join(' or ') : 'a different value';
  out.push({ path: formatConfigPath(pathArr), message: `expected ${want}, got ${describeValue(issue.input, env)}` });
}

/** The object schema of a discriminated union that `input` selects, with what it needs for messages. */
interface Branch {
  discriminator: string;
  value: string;
  noun: string;
  option: z.core.$ZodObject;
  others: z.core.$ZodObject[];
}

function discriminatedBranch(root: z.core.$ZodType, pathArr: readonly PropertyKey[], input: unknown): Branch | undefined {
  const at = schemaAtPath(root, pathArr);
  if (!at || input === null || typeof input !== 'object') return undefined;
  const u = unwrapSchema(at);
  const def = u._zod.def as z.core.$ZodDiscriminatedUnionDef;
  if (def.type !== 'union' || typeof def.discriminator !== 'string') return undefined;
  const value = (input as Record<string, unknown>)[def.discriminator];
  const options = def.options.map((o) => unwrapSchema(o)).filter((o): o is z.core.$ZodObject => o._zod.def.type === 'object');
  const option = options.find((o) => o._zod.propValues?.[def.discriminator]?.has(value as z.core.util.Primitive));
  if (!option) return undefined;
  return { discriminator: def.discriminator, value: String(value), noun: nounAt(pathArr, def.discriminator), option, others: options.filter((o) => o !== option) };
}

/** What a discriminated entry is called in messages: a provider (the only such union in the config). */
function nounAt(pathArr: readonly PropertyKey[], discriminator: string): string {
  return pathArr.length === 0 || pathArr[0] === 'providers' ? 'provider' : `"${discriminator}" entry`;
}

function unknownBranchKey(key: string, b: Branch): string {
  const allowed = Object.keys(b.option._zod.def.shape);
  const head = `unknown key for ${/^[aeio]/i.test(b.value) ? 'an' : 'a'} ${b.value} ${b.noun}`;
  const owners = b.others.filter((o) => Object.hasOwn(o._zod.def.shape, key)).map((o) => String([...(o._zod.propValues?.[b.discriminator] ?? [])][0]));
  if (owners.length > 0) return `${head}: it is a key of ${owners.join(' and ')} ${b.noun}s; allowed keys for ${b.value}: ${allowed.join(', ')}`;
  const guess = didYouMean(key, allowed);
  if (guess) return `${head}; did you mean "${guess}"?`;
  return `${head}; allowed keys: ${allowed.join(', ')}`;
}

/** No option of a discriminated union matched: the discriminator (a provider's type) is missing or unknown. */
function discriminatorMessage(issue: z.core.$ZodIssueInvalidUnion, pathArr: readonly PropertyKey[], env: EnvRef | undefined, ctx: IssueContext): string {
  const discriminator = String((issue as { discriminator?: unknown }).discriminator ?? pathArr[pathArr.length - 1] ?? 'type');
  const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
  const parent = pathArr.slice(0, -1);
  const isProvider = nounAt(parent, discriminator) === 'provider';
  const known = isProvider && ctx.knownProviderTypes ? ctx.knownProviderTypes : options;
  const list = known.length > 0 ? known.join(', ') : '(none registered)';
  const what = isProvider ? 'provider type' : `value of "${discriminator}"`;
  const input = issue.input as Record<string, unknown> | undefined;
  const value = input !== null && typeof input === 'object' ? input[discriminator] : undefined;
  if (value === undefined) return `missing; set ${discriminator} to one of ${list}`;
  if (env) return `the value of environment variable ${env.name} is not a known ${what}. Known: ${list}`;
  if (typeof value !== 'string') return `expected a string, got ${describeValue(value, undefined)}. Known: ${list}`;
  const guess = didYouMean(value, known);
  return `unknown ${what} ${JSON.stringify(value)}${guess ? `; did you mean "${guess}"?` : '.'} Known: ${list}`;
}

function rangeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, env: EnvRef | undefined): string {
  const small = issue.code === 'too_small';
  const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const n = Number(bound);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string': {
      if (small && n <= 1) {
        return env ? `must not be empty (environment variable ${env.name} is set but empty)` : 'must not be empty';
      }
      const what = `${n} character${n === 1 ? '' : 's'}`;
      return `must be ${issue.exact ? 'exactly' : small ? 'at least' : 'at most'} ${what} long`;
    }
    case 'array':
    case 'set': {
      const what = `${n} item${n === 1 ? '' : 's'}`;
      const count = Array.isArray(issue.input) ? `, got ${issue.input.length}` : '';
      return `must have ${issue.exact ? 'exactly' : small ? 'at least' : 'at most'} ${what}${count}`;
    }
    default: {
      const relation = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
      const got = describeValue(issue.input, env, { bare: true });
      const note = issue.origin === 'int' && !small && n === Number.MAX_SAFE_INTEGER ? ' (the largest safe integer)' : '';
      return `must be ${relation} ${n}${note}, got ${got}`;
    }
  }
}

/** Extra advice for a wrong type, after "expected X, got Y". */
function typeFix(expected: string, input: unknown, env: EnvRef | undefined, schema: z.core.$ZodType, pathArr: PropertyKey[]): string {
  if (env) {
    if (expected === 'number' || expected === 'int' || expected === 'boolean') {
      return `; environment references only fill in strings, so write the ${expected === 'boolean' ? 'value' : 'number'} in the config`;
    }
    return '';
  }
  if (input === null) {
    const field = schemaAtPath(schema, pathArr);
    if (field && hasDefaultOrIsOptional(field)) return '; remove the key to use the default';
    return '';
  }
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return `; put it in quotes: "${String(input)}"`;
  }
  if (expected === 'array' && (typeof input === 'string' || typeof input === 'number')) {
    return `; write a list, e.g. [${JSON.stringify(input)}]`;
  }
  return '';
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
    case 'tuple':
    case 'set':
      return 'an array';
    case 'object':
    case 'record':
    case 'map':
      return 'an object';
    default:
      return expected;
  }
}

const MAX_SHOWN = 60;

/**
 * What was found, for "got ...". Values from the environment are named by variable only. With
 * `bare`, numbers are shown without their type word ("got 0" rather than "got number 0").
 */
export function describeValue(value: unknown, env: EnvRef | undefined, opts: { bare?: boolean } = {}): string {
  if (env) return `the value of environment variable ${env.name}`;
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > MAX_SHOWN ? `${JSON.stringify(value.slice(0, MAX_SHOWN))}… (${value.length} characters)` : JSON.stringify(value);
      return opts.bare ? shown : `string ${shown}`;
    }
    case 'number':
    case 'bigint':
      return opts.bare ? String(value) : `number ${String(value)}`;
    case 'boolean':
      return opts.bare ? String(value) : `boolean ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function trimPeriod(s: string): string {
  return s.replace(/\.\s*$/, '');
}
