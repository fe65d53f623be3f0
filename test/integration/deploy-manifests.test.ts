/**
 * The Kubernetes manifests in deploy/kubernetes (a Kustomize base and an example overlay):
 * every object is checked against the Kubernetes JSON schemas (kubernetes-models, and
 * @kubernetes-models/prometheus-operator for the ServiceMonitor and PrometheusRule), and what the
 * manifests promise is checked against the code: the probe paths answer on a gateway started from
 * the manifests' own config, ports line up, the drain fits in the grace period, every env.NAME the
 * config reads is set by the Deployment, the memory request covers the benchmark's measured RSS,
 * and the PrometheusRule carries deploy/prometheus's rules unchanged.
 *
 * Rendering: with `kubectl kustomize` (kubectl embeds Kustomize) when kubectl is on the PATH. Without
 * it, the base is resolved by a small merge that does what its kustomization.yaml asks (resources,
 * configMapGenerator without the hash suffix, images, labels without selectors), and the overlay's
 * files are validated one by one; the test output says which way ran. The schemas allow unknown
 * fields (as Kubernetes' own OpenAPI does), so the cross-checks read every field they rely on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import { KNOWN_PROVIDER_TYPES } from '../../src/providers/registry.js';
import { startGateway } from '../../src/start-gateway.js';
import type { RunningGateway } from '../../src/start-gateway.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const K8S = join(root, 'deploy', 'kubernetes');
const BASE = join(K8S, 'base');
const OVERLAY = join(K8S, 'overlays', 'example');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** apiVersion/kind → the model whose validate() checks the object against its JSON schema. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function yamlDocs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join('; '));
      return d.toJSON() as Obj;
    })
    .filter((d) => d !== null);
}

/** What the fallback merge understands; a base using anything else needs kubectl to render. */
const BASE_FIELDS = new Set(['apiVersion', 'kind', 'labels', 'resources', 'configMapGenerator', 'images']);

/** The base as Kustomize renders it, minus the ConfigMap's hash suffix (see the header). */
function renderBaseByMerge(): Obj[] {
  const k = parseYaml(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as Record<string, any>;
  for (const key of Object.keys(k)) assert.ok(BASE_FIELDS.has(key), `base/kustomization.yaml uses "${key}", which the test's merge does not resolve: install kubectl, or extend renderBaseByMerge`);
  const out: Obj[] = [];
  for (const r of k.resources as string[]) out.push(...yamlDocs(readFileSync(join(BASE, r), 'utf8')));
  for (const g of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const f of g.files as string[]) data[f] = readFileSync(join(BASE, f), 'utf8');
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
  }
  const labels: Record<string, string> = Object.assign({}, ...((k.labels ?? []) as { pairs: Record<string, string> }[]).map((l) => l.pairs));
  for (const o of out) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...labels };
  for (const o of out) {
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      const img = (k.images ?? []).find((i: { name: string }) => i.name === c.image);
      if (img) c.image = `${img.newName ?? img.name}:${img.newTag}`;
    }
  }
  return out;
}

interface Rendered {
  how: string;
  base: Obj[];
  /** Undefined when the overlay could not be rendered (no kubectl). */
  overlay?: Obj[];
}

function render(): Rendered {
  if (hasKubectl()) {
    const k = (dir: string) => yamlDocs(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));
    return { how: 'kubectl kustomize', base: k(BASE), overlay: k(OVERLAY) };
  }
  return { how: 'no kubectl on PATH: base resolved by the test’s merge; overlay files validated one by one', base: renderBaseByMerge() };
}

function one(objs: Obj[], kind: string): Obj {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

function validateAll(objs: Obj[], where: string): void {
  for (const o of objs) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(Model, `${where}: no schema model for ${o.apiVersion} ${o.kind} (add it to MODELS)`);
    try {
      new Model(o).validate();
    } catch (e) {
      assert.fail(`${where}: ${o.kind} ${o.metadata?.name} does not match the Kubernetes schema: ${(e as Error).message}`);
    }
  }
}

/** The config file a ConfigMap carries. */
function configText(objs: Obj[]): string {
  const cm = one(objs, 'ConfigMap');
  const text = cm.data?.['switchyard.yaml'];
  assert.equal(typeof text, 'string', 'the ConfigMap carries switchyard.yaml');
  return text as string;
}

function container(objs: Obj[]) {
  const d = one(objs, 'Deployment');
  const c = d.spec.template.spec.containers.find((x: { name: string }) => x.name === 'switchyard');
  assert.ok(c, 'the Deployment has a container named switchyard');
  return { d, c } as { d: Obj; c: Record<string, any> };
}

/** env.NAME references in a config text (the loader's syntax: a whole value "env.NAME"). */
function envRefs(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:^|[\s:\-\[,])["']?env\.([A-Za-z_][A-Za-z0-9_]*)["']?\s*(?:$|[,\]}#])/gm)].map((m) => m[1]!))].sort();
}

/** Parses the config with the values the Deployment's env provides (placeholders for secrets). */
function configAsDeployed(objs: Obj[]): Config {
  const { c } = container(objs);
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) env[e.name] = e.value ?? (/POSTGRES/.test(e.name) ? 'postgres://u:p@db:5432/switchyard' : /REDIS/.test(e.name) ? 'redis://cache:6379' : 'placeholder-secret');
  return parseConfig(configText(objs), { format: 'yaml', env, knownProviderTypes: KNOWN_PROVIDER_TYPES });
}

/** "512Mi" → bytes. */
function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[m[2] as 'Ki'] ?? 1;
  return Number(m[1]) * unit;
}

let r: Rendered;
let gw: RunningGateway | undefined;

before(() => {
  r = render();
});
after(async () => {
  await gw?.close();
});

test('every rendered object matches its Kubernetes schema', (t) => {
  t.diagnostic(`rendered with: ${r.how}`);
  validateAll(r.base, 'base');
  assert.deepEqual(r.base.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor']);
  if (r.overlay) {
    validateAll(r.overlay, 'overlay');
    for (const o of r.overlay) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'llm-gateway', `${o.kind} is in the overlay's namespace`);
    const { c } = container(r.overlay);
    assert.equal(c.image, 'registry.example.com/platform/switchyard:0.1.0');
    assert.equal(c.resources.limits.memory, '1Gi', 'the overlay patch is applied');
    const cmName = one(r.overlay, 'ConfigMap').metadata.name;
    const vol = one(r.overlay, 'Deployment').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'config');
    assert.equal(vol.configMap.name, cmName, 'the Deployment mounts the generated (hash-suffixed) ConfigMap');
  } else {
    const k = parseYaml(readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    validateAll(k.resources.filter((f) => !f.startsWith('..')).flatMap((f) => yamlDocs(readFileSync(join(OVERLAY, f), 'utf8'))), 'overlay');
    parseYaml(readFileSync(join(OVERLAY, 'deployment-patch.yaml'), 'utf8'));
  }
});

test('three replicas spread over zones and hosts, a budget of two, rolling one at a time', () => {
  const { d } = container(r.base);
  const pod = d.spec.template;
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
  const keys = pod.spec.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey);
  assert.deepEqual(keys, ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  for (const c of pod.spec.topologySpreadConstraints) assert.deepEqual(c.labelSelector.matchLabels, d.spec.selector.matchLabels);
  const pdb = one(r.base, 'PodDisruptionBudget');
  assert.equal(pdb.spec.minAvailable, 2);
  assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels as Record<string, string>)) assert.equal(pod.metadata.labels[k], v, `pod label ${k}`);
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);
});

test('ports line up: config → container → Service → ServiceMonitor, and the Dockerfile', () => {
  const config = configAsDeployed(r.base);
  const { d, c } = container(r.base);
  assert.equal(config.server.host, '0.0.0.0', 'the gateway listens on every interface in a pod');
  const http = c.ports.find((p: { name: string }) => p.name === 'http');
  assert.equal(http.containerPort, config.server.port);
  const svc = one(r.base, 'Service');
  assert.equal(svc.spec.ports[0].targetPort, 'http');
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) assert.equal(d.spec.template.metadata.labels[k], v, `Service selector ${k}`);
  const sm = one(r.base, 'ServiceMonitor');
  assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) assert.equal(svc.metadata.labels?.[k], v, `ServiceMonitor selects the Service by ${k}`);
  // The SwitchyardDown alert expects job="switchyard": the Operator names the job after the Service.
  assert.equal(svc.metadata.name, 'switchyard');
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, new RegExp(`^EXPOSE ${config.server.port}$`, 'm'));
  const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
  assert.ok(user, 'the Dockerfile sets a numeric non-root USER');
  assert.equal(d.spec.template.spec.securityContext.runAsUser, Number(user[1]));
  // The container's args are a CLI invocation the gateway understands, with the mounted config.
  const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'config');
  assert.deepEqual(c.args, ['start', '--config', `${mount.mountPath}/switchyard.yaml`]);
});

test('every env.NAME the configs read is set by the Deployment, from a Secret', () => {
  for (const [where, objs] of [['base', r.base], ['overlay', r.overlay]] as const) {
    if (!objs) continue;
    const { c } = container(objs);
    const provided = new Map<string, Record<string, any>>((c.env ?? []).map((e: { name: string }) => [e.name, e]));
    const refs = envRefs(configText(objs));
    assert.ok(refs.length >= 3, `${where}: found the config's env references (${refs.join(', ')})`);
    for (const name of refs) {
      const e = provided.get(name);
      assert.ok(e, `${where}: the config reads env.${name}, which the Deployment does not set`);
      assert.ok(e.valueFrom?.secretKeyRef?.name, `${where}: env ${name} comes from a Secret`);
      assert.notEqual(e.valueFrom.secretKeyRef.optional, true, `${where}: env ${name} is required by the config, so its Secret key must not be optional`);
    }
    // And with those values, the config is valid as the gateway will load it.
    const config = configAsDeployed(objs);
    assert.ok(config.storage.postgres_url, `${where}: the request log goes to the external Postgres`);
  }
  const { c } = container(r.base);
  const datastores = (c.env as { name: string; valueFrom?: any }[]).filter((e) => e.valueFrom?.secretKeyRef?.name === 'switchyard-datastores').map((e) => e.name);
  assert.deepEqual(datastores.sort(), ['SWITCHYARD_POSTGRES_URL', 'SWITCHYARD_REDIS_URL']);
});

test('the drain fits inside the grace period', (t) => {
  for (const objs of [r.base, r.overlay]) {
    if (!objs) continue;
    const { d } = container(objs);
    const config = configAsDeployed(objs) as Config & { server: { drain?: { accept_ms: number; timeout_ms: number } } };
    const drain = config.server.drain;
    assert.ok(drain, 'server.drain is in the config schema (graceful drain)');
    const graceMs = d.spec.template.spec.terminationGracePeriodSeconds * 1000;
    // Flushing the request log and metrics after the drain: a few seconds of margin.
    const needMs = drain.accept_ms + drain.timeout_ms + 5000;
    t.diagnostic(`drain ${drain.accept_ms} + ${drain.timeout_ms} ms + 5 s flush margin = ${needMs} ms ≤ grace ${graceMs} ms`);
    assert.ok(needMs <= graceMs, `terminationGracePeriodSeconds (${graceMs} ms) must exceed accept_ms + timeout_ms + 5 s (${needMs} ms)`);
    // The readiness probe notices the drain before the listener stops accepting.
    const rp = d.spec.template.spec.containers[0].readinessProbe;
    assert.ok(rp.periodSeconds * rp.failureThreshold * 1000 <= drain.accept_ms, 'readiness turns false within server.drain.accept_ms');
  }
});

test('memory is sized from the benchmark’s measured RSS', (t) => {
  const perf = readFileSync(join(root, 'docs', 'performance.md'), 'utf8');
  const row = /^\| switchyard \| ([\d.]+) MB \| ([\d.]+) MB \|/m.exec(perf);
  assert.ok(row, 'docs/performance.md has the switchyard RSS row (idle | under load)');
  const loadMb = Number(row[2]);
  for (const objs of [r.base, r.overlay]) {
    if (!objs) continue;
    const { c } = container(objs);
    const request = bytes(c.resources.requests.memory) / 2 ** 20;
    const limit = bytes(c.resources.limits.memory) / 2 ** 20;
    const heap = Number(/--max-old-space-size=(\d+)/.exec(c.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
    t.diagnostic(`measured RSS under load ${loadMb} MB; request ${request} MiB, limit ${limit} MiB, V8 old space ${heap} MB`);
    assert.ok(request >= loadMb, 'the memory request covers RSS under load');
    assert.ok(limit >= 2 * loadMb, 'the limit leaves room for bursts (2× RSS under load)');
    assert.ok(heap > 0 && heap + 100 <= limit, 'V8 old space is capped below the memory limit');
  }
});

test('the PrometheusRule carries deploy/prometheus’s rules unchanged', () => {
  const rules = parseYaml(readFileSync(join(root, 'deploy', 'prometheus', 'switchyard-rules.yml'), 'utf8')) as { groups: unknown };
  assert.deepEqual(one(r.base, 'PrometheusRule').spec.groups, rules.groups, 'copy the groups of deploy/prometheus/switchyard-rules.yml into deploy/kubernetes/base/prometheus-rule.yaml');
});

test('the probe and scrape paths answer on a gateway started from the manifests’ config', async () => {
  const { c } = container(r.base);
  const config = configAsDeployed(r.base);
  // Same config, but the request log in memory instead of the external Postgres.
  const local = { ...config, storage: { ...config.storage, postgres_url: undefined, sqlite_path: ':memory:' }, logging: { ...config.logging, level: 'silent' as const } };
  gw = await startGateway({ config: local, port: 0, host: '127.0.0.1', logger: silentLogger() });
  const sm = one(r.base, 'ServiceMonitor');
  for (const [what, path] of [
    ['readinessProbe', c.readinessProbe.httpGet.path],
    ['livenessProbe', c.livenessProbe.httpGet.path],
    ['ServiceMonitor', sm.spec.endpoints[0].path],
  ]) {
    assert.equal(c.readinessProbe.httpGet.port, 'http');
    const res = await fetch(`${gw.url}${path}`);
    assert.equal(res.status, 200, `${what} ${path} answers 200`);
    await res.arrayBuffer();
  }
});
