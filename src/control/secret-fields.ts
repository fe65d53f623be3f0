/**
 * Walking an entity's secret fields: redaction for responses and revisions ("****" + last four),
 * sealing literals for the store, opening them for compilation, and carrying a stored secret over
 * when a client sends back the redacted form it was shown.
 */
import { ENV_REF_PATTERN } from '../config/resolve-env-refs.js';
import type { SecretPath } from './entity-kinds.js';
import type { SecretBox } from './secret-box.js';
import { isSealed } from './secret-box.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const MASK = '****';
const REDACTED_FORM = /^\*{4}[^*]{0,4}$/;

/** The form shown for a secret: env references as written, other values as "****" + last four. */
export function redactValue(value: string, plain?: string): string {
  if (ENV_REF_PATTERN.test(value)) return value;
  const text = plain ?? value;
  // Short values would give away too much of themselves; sealed values have no readable end.
  if (isSealed(text) || text.length < 12) return MASK;
  return MASK + text.slice(-4);
}

export function isRedactedForm(value: string): boolean {
  return REDACTED_FORM.test(value);
}

export interface SecretSite {
  /** Concrete path inside the entity: ["keys", 0, "value"]. */
  path: (string | number)[];
  value: string;
  /** The container holding the value (to replace it) and its key. */
  parent: Record<string, Json> | Json[];
  key: string | number;
}

/** Every string found at one of the secret paths of `entity`. */
export function secretSites(entity: Json, secrets: readonly SecretPath[]): SecretSite[] {
  const out: SecretSite[] = [];
  const walk = (node: Json, pattern: readonly string[], at: (string | number)[]): void => {
    if (pattern.length === 0 || node === null || typeof node !== 'object') return;
    const [head, ...rest] = pattern as [string, ...string[]];
    const entries: Array<[string | number, Json]> = Array.isArray(node)
      ? head === '*' ? node.map((v, i) => [i, v]) : []
      : head === '*' ? Object.entries(node) : Object.hasOwn(node, head) ? [[head, node[head]!]] : [];
    for (const [k, child] of entries) {
      if (rest.length === 0) {
        if (typeof child === 'string') out.push({ path: [...at, k], value: child, parent: node as Record<string, Json>, key: k });
      } else walk(child, rest, [...at, k]);
    }
  };
  for (const p of secrets) walk(entity, p, []);
  return out;
}

function setSite(site: SecretSite, value: string): void {
  (site.parent as Record<string | number, Json>)[site.key] = value;
}

/** A deep copy with every secret in its redacted form (sealed values are opened to show their end). */
export function redactEntity<T extends Json>(entity: T, secrets: readonly SecretPath[], box?: SecretBox): T {
  const copy = structuredClone(entity);
  for (const site of secretSites(copy, secrets)) {
    let plain: string | undefined;
    if (isSealed(site.value) && box) {
      try {
        plain = box.open(site.value);
      } catch {
        plain = undefined;
      }
    }
    setSite(site, redactValue(site.value, plain));
  }
  return copy;
}

/** A deep copy with sealed secrets opened (for compiling); env references stay for the resolver. */
export function openEntity<T extends Json>(entity: T, secrets: readonly SecretPath[], box: SecretBox | undefined): T {
  const copy = structuredClone(entity);
  for (const site of secretSites(copy, secrets)) {
    if (!isSealed(site.value)) continue;
    if (!box) throw new Error('the config store holds encrypted secrets and SWITCHYARD_SECRET_KEY is not set on this replica');
    setSite(site, box.open(site.value));
  }
  return copy;
}

export interface SealProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Prepares a body for the store: env references stay, redacted forms are replaced by the stored
 * secret they stand for (matched by the sibling `id`, else by position), literals are sealed.
 * Returns the problems instead when a literal cannot be sealed or a redacted form matches nothing.
 */
export function sealEntity(input: {
  body: JsonObject;
  previous: JsonObject | undefined;
  secrets: readonly SecretPath[];
  box: SecretBox | undefined;
  howToKey: string;
}): { body: JsonObject } | { problems: SealProblem[] } {
  const body = structuredClone(input.body);
  const problems: SealProblem[] = [];
  const prev = input.previous;
  const previous = prev ? secretSites(prev, input.secrets).map((p) => ({ ...p, ids: idAlong(prev, p.path) })) : [];
  for (const site of secretSites(body, input.secrets)) {
    if (ENV_REF_PATTERN.test(site.value)) continue;
    if (isRedactedForm(site.value)) {
      const old = matchPrevious(site, previous, body);
      const shown = old && redactValue(old.value, isSealed(old.value) && input.box ? safeOpen(input.box, old.value) : undefined);
      if (!old || shown !== site.value) {
        problems.push({ path: site.path, message: 'a redacted value stands for a stored secret, and none matches here; send the secret itself (or env.NAME)' });
      } else setSite(site, old.value);
      continue;
    }
    if (!input.box) {
      problems.push({ path: site.path, message: `a literal secret is stored only encrypted, and this gateway has no key: ${input.howToKey}, or send an environment reference such as "env.OPENAI_API_KEY"` });
      continue;
    }
    setSite(site, input.box.seal(site.value));
  }
  return problems.length ? { problems } : { body };
}

function safeOpen(box: SecretBox, v: string): string | undefined {
  try {
    return box.open(v);
  } catch {
    return undefined;
  }
}

/** The previous site at the same path, where array elements are matched by their `id` first. */
function matchPrevious(site: SecretSite, previous: Array<SecretSite & { ids: Array<string | undefined> }>, body: Json): SecretSite | undefined {
  const ids = idAlong(body, site.path);
  const byId = previous.find(
    (p) =>
      p.path.length === site.path.length &&
      p.path.every((seg, i) => (typeof seg === 'number' && ids[i] !== undefined ? p.ids[i] === ids[i] : seg === site.path[i])),
  );
  return byId ?? previous.find((p) => p.path.length === site.path.length && p.path.every((seg, i) => seg === site.path[i]));
}

/** For each numeric segment of `path`, the `id` of that array element in `root`, if it has one. */
function idAlong(root: Json, path: (string | number)[]): Array<string | undefined> {
  const ids: Array<string | undefined> = [];
  let node: Json | undefined = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') {
      ids.push(undefined);
      continue;
    }
    node = Array.isArray(node) ? node[seg as number] : (node as JsonObject)[seg as string];
    const id = node !== null && typeof node === 'object' && !Array.isArray(node) ? node['id'] : undefined;
    ids.push(typeof seg === 'number' && typeof id === 'string' ? id : undefined);
  }
  return ids;
}
