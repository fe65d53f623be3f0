/**
 * Parses the command-line form of a fault rule:
 *   <kind>[:<value>][:<key>=<value>...]
 * kinds: none | blackhole | reset | error-first-event | json-for-stream | empty-body | status:<code> | latency:<ms>
 *        | cut-mid-stream[:<events>] | slow-drip:<intervalMs>
 * keys:  retry-after=<seconds>, retry-after-ms=<ms> (status); jitter=<ms> (latency);
 *        after=<events> (cut-mid-stream); times=<n> and path=</v1/...> (any kind).
 * Examples: `status:429:retry-after=2`, `latency:500:jitter=100`, `reset:times=1:path=/v1/messages`.
 */
import type { Fault, FaultRule } from './mock-upstream.js';

function nonNegativeNumber(spec: string, what: string, raw: string | undefined): number {
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid fault "${spec}": ${what} must be a non-negative number`);
  return n;
}

function nonNegativeInteger(spec: string, what: string, raw: string | undefined): number {
  const n = nonNegativeNumber(spec, what, raw);
  if (!Number.isInteger(n)) throw new Error(`invalid fault "${spec}": ${what} must be an integer`);
  return n;
}

export function parseFaultSpec(spec: string): FaultRule {
  const [kind = '', ...parts] = spec.trim().split(':');
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) positional.push(p);
    else options.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const allowed = new Set(['times', 'path']);
  const maxPositional = (n: number) => {
    if (positional.length > n) throw new Error(`invalid fault "${spec}": unexpected "${positional[n]}"`);
  };

  let fault: Fault;
  switch (kind) {
    case 'none':
    case 'blackhole':
    case 'reset':
    case 'error-first-event':
    case 'json-for-stream':
    case 'empty-body':
      maxPositional(0);
      fault = { kind };
      break;
    case 'status': {
      maxPositional(1);
      const status = nonNegativeInteger(spec, 'the status', positional[0]);
      if (status < 100 || status > 599) throw new Error(`invalid fault "${spec}": the status must be 100-599`);
      fault = { kind: 'status', status };
      if (options.has('retry-after')) fault.retryAfterSeconds = nonNegativeNumber(spec, 'retry-after', options.get('retry-after'));
      if (options.has('retry-after-ms')) fault.retryAfterMs = nonNegativeNumber(spec, 'retry-after-ms', options.get('retry-after-ms'));
      allowed.add('retry-after').add('retry-after-ms');
      break;
    }
    case 'latency': {
      maxPositional(1);
      fault = { kind: 'latency', ms: nonNegativeNumber(spec, 'the latency', positional[0]) };
      if (options.has('jitter')) fault.jitterMs = nonNegativeNumber(spec, 'jitter', options.get('jitter'));
      allowed.add('jitter');
      break;
    }
    case 'cut-mid-stream': {
      maxPositional(1);
      fault = { kind: 'cut-mid-stream' };
      const after = positional[0] ?? options.get('after');
      if (after !== undefined) fault.afterEvents = nonNegativeInteger(spec, 'the event count', after);
      allowed.add('after');
      break;
    }
    case 'slow-drip':
      maxPositional(1);
      fault = { kind: 'slow-drip', intervalMs: nonNegativeNumber(spec, 'the interval', positional[0]) };
      break;
    default:
      throw new Error(
        `invalid fault "${spec}": unknown kind "${kind}" (none, blackhole, reset, status:<code>, latency:<ms>, cut-mid-stream[:<n>], slow-drip:<ms>, error-first-event, json-for-stream, empty-body)`,
      );
  }
  for (const key of options.keys()) {
    if (!allowed.has(key)) throw new Error(`invalid fault "${spec}": unknown option "${key}"`);
  }
  const rule: FaultRule = { fault };
  if (options.has('times')) rule.times = nonNegativeInteger(spec, 'times', options.get('times'));
  const path = options.get('path');
  if (path !== undefined) {
    if (!path.startsWith('/')) throw new Error(`invalid fault "${spec}": path must start with /`);
    rule.path = path;
  }
  return rule;
}
