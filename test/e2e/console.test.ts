/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against the real
 * gateway and the mock upstream: sign-in, a key created in the page and used from the OpenAI SDK,
 * reordering targets, taking a target out of rotation, the response cache's page, the MCP page
 * with a real stdio server, the read-only session, axe-core on every page, and a screenshot of
 * every page (written to SCREENSHOT_DIR, kept out of git).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { launchChromiumOrSkip } from '../helpers/chromium.js';
import type { TestBrowser } from '../helpers/chromium.js';
import { defaultConfig, startStack } from '../helpers/stack.js';
import type { Stack } from '../helpers/stack.js';

// Browser globals used by the functions that run in the page (the tests' tsconfig has no DOM lib).
declare const window: object;
declare const document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): { style: { transform: string }; textContent: string | null } | null };
declare const location: { hash: string };
declare const sessionStorage: { getItem(k: string): string | null };

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the screenshots of every page go (.tmp/ is git-ignored). */
export const SCREENSHOT_DIR = join(ROOT, '.tmp', 'console-screenshots');
const ADMIN = 'console-admin-token-0123456789';
const READER = 'console-read-token-0123456789';
const PAGES = ['overview', 'providers', 'models', 'keys', 'logs', 'playground', 'history', 'cache', 'mcp'] as const;
/** The project's example MCP server (stdio, the official SDK): starts in a fraction of a second. */
const MCP_TRACKER = join(ROOT, 'examples', 'mcp-tracker-server.mjs');

/** The newest modification time of a file under `path` (0 when it is missing). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Builds ui/dist when it is missing (a checkout where `npm install` ran with scripts off) or older
 * than the console's sources or lockfile (an edit or a dependency change since the last build), so
 * the browser tests never run against a stale console.
 */
function ensureConsoleBuilt(): void {
  const built = newestMtime(join(ROOT, 'ui', 'dist', 'index.html'));
  const sources = Math.max(...['src', 'index.html', 'package-lock.json', 'vite.config.ts'].map((f) => newestMtime(join(ROOT, 'ui', f))));
  if (built > 0 && built >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.mjs')], { stdio: 'inherit', timeout: 300_000 });
}

/** Chromium and a built console, or why they cannot be had here (outside CI only). */
async function consoleBrowser(): Promise<{ browser?: TestBrowser; skip?: string }> {
  const launched = await launchChromiumOrSkip();
  if (!launched.skip) ensureConsoleBuilt();
  return launched;
}

/** Polls `check` until it returns a value, at most `ms` (the UI refreshes on its own timers). */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function axeProblems(page: Page): Promise<string[]> {
  const source = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') forbids an inline script tag.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const r = await (window as { axe: { run(ctx: unknown, o: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join('; ')})`);
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

async function openPage(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => (location.hash = `#/${n}`), name);
  await page.locator('main h1').first().waitFor();
  // Wait for the page's data, not only its frame: no loading state left.
  await page.waitForFunction(() => document.querySelectorAll('.state-loading').length === 0, undefined, { timeout: 10_000 });
}

describe('web console in Chromium', () => {
  let stack: Stack;
  let browser: TestBrowser | undefined;
  let skip: string | undefined;
  let page: Page;
  let secret = '';
  let openai: OpenAI;

  before(async () => {
    ({ browser, skip } = await consoleBrowser());
    if (skip) return;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    stack = await startStack({
      config: (mockUrl) => {
        const base = defaultConfig(mockUrl) as { models: Record<string, unknown> };
        return {
          ...base,
          server: { host: '127.0.0.1', port: 0, admin_token: ADMIN, admin_read_token: READER },
          governance: { enabled: true, counters: { type: 'memory' } },
          logging: { level: 'silent', flush_interval_ms: 50 },
          // One cached alias (the memory store) rather than cache.enabled: the other tests repeat
          // prompts and expect each to reach the upstream.
          models: { ...base.models, 'cached-model': { targets: ['openai/gpt-4o-mini'], cache: true } },
          mcp: {
            servers: {
              tracker: { transport: 'stdio', command: process.execPath, args: [MCP_TRACKER], env: { TRACKER_TOKEN: 'console-e2e-tracker-token' } },
              // Exits at once: the page's down state and last error (retried with a growing backoff).
              offline: { transport: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'] },
            },
          },
        };
      },
    });
    page = await browser!.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('the console is served at /ui/ with cache headers; server.ui is on by default', async (t) => {
    if (skip) return t.skip(skip);
    const index = await fetch(`${stack.url}/ui/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await index.text();
    const asset = /\/ui\/assets\/[^"]+\.js/.exec(html)?.[0];
    assert.ok(asset, 'index.html names a hashed script');
    const js = await fetch(`${stack.url}${asset}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const redirect = await fetch(`${stack.url}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
  });

  test('sign in: a wrong token is refused with a clear message, the admin token opens the Overview', async (t) => {
    if (skip) return t.skip(skip);
    await page.goto(`${stack.url}/ui/`);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /That token was refused: it is neither server\.admin_token nor server\.admin_read_token/);
    await page.getByLabel('Admin token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // The token is in this tab's sessionStorage, never in a cookie.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('switchyard.admin-token')), ADMIN);
    assert.deepEqual(await browser!.context.cookies(), []);
  });

  test('a key created in the page works from the OpenAI SDK, and its request is in Logs with cost and key', async (t) => {
    if (skip) return t.skip(skip);
    await openPage(page, 'keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('console-e2e');
    await dialog.getByLabel('Budget (USD)').fill('5');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secretEl = page.getByTestId('new-key-secret');
    await secretEl.waitFor();
    secret = (await secretEl.innerText()).trim();
    assert.match(secret, /^sk-sy-[0-9A-Za-z]{43}$/);
    assert.match(await page.locator('.secret-once').innerText(), /will not be shown again/);
    // The live usage bar of the new key's budget.
    await page.getByTestId('key-console-e2e').getByRole('progressbar', { name: 'Budget per 1M' }).waitFor();

    openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: secret, maxRetries: 0 });
    const { data, response } = await openai.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'Hello from the console test' }] }).withResponse();
    assert.ok(data.choices[0]?.message.content);
    const requestId = response.headers.get('x-request-id')!;

    await openPage(page, 'logs');
    await page.getByRole('textbox', { name: 'Key' }).fill('console-e2e');
    const row = page.locator(`tr[data-request-id="${requestId}"]`);
    await until('the request in Logs', async () => {
      await page.getByRole('button', { name: 'Apply' }).click();
      return (await row.count()) > 0;
    });
    await row.click();
    const detail = page.getByTestId('log-detail');
    await detail.getByTestId('detail-key').waitFor();
    assert.equal((await detail.getByTestId('detail-key').innerText()).trim(), 'console-e2e');
    const cost = (await detail.getByTestId('detail-cost').innerText()).trim();
    assert.match(cost, /^\$\d/);
    assert.notEqual(cost, '$0');
  });

  test('reordering an alias’s targets in Models (keyboard, then mouse) changes which target serves the next SDK request', async (t) => {
    if (skip) return t.skip(skip);
    // An alias made through the API (aliases in the config file are edited in the file).
    const created = await fetch(`${stack.url}/api/models`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'console-chain', targets: ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-6'] }) });
    assert.equal(created.status, 201);
    const ask = async () => (await openai.chat.completions.create({ model: 'console-chain', messages: [{ role: 'user', content: 'which?' }] }).withResponse()).response.headers.get('x-switchyard-provider');
    assert.equal(await ask(), 'openai');

    await openPage(page, 'models');
    const card = page.getByTestId('alias-console-chain');
    await card.waitFor();
    // Keyboard: focus the second target's handle, Space lifts it, ArrowUp moves it, Space drops it.
    await card.getByRole('button', { name: /^Drag anthropic\/claude-sonnet-4-6/ }).focus();
    await page.keyboard.press('Space');
    await card.locator('.target.dragging').waitFor();
    // dnd-kit listens for the arrow keys a moment after the lift, and announces in its live region
    // when the lifted item is over another: press ArrowUp until that announcement, then drop.
    const overAnnounced = () => page.evaluate(() => /was moved over droppable area/.test(document.querySelector('[id^="DndLiveRegion"]')?.textContent ?? ''));
    for (let i = 0; i < 20 && !(await overAnnounced()); i++) {
      await page.keyboard.press('ArrowUp');
      await page.waitForFunction(() => /was moved over droppable area/.test(document.querySelector('[id^="DndLiveRegion"]')?.textContent ?? ''), undefined, { timeout: 500 }).catch(() => {});
    }
    await page.keyboard.press('Space');
    await until('the keyboard move', async () => (await card.getByTestId('target-row').first().innerText()).includes('anthropic/claude-sonnet-4-6'));
    await card.getByRole('button', { name: 'Save console-chain' }).click();
    await until('the saved revision', async () => (await card.innerText()).includes('revision') && (await card.getByRole('button', { name: 'Save console-chain' }).isDisabled()));
    assert.equal(await ask(), 'anthropic');

    // Mouse: drag the second target (openai) above the first.
    const rows = card.getByTestId('target-row');
    const from = await rows.nth(1).getByRole('button', { name: /^Drag / }).boundingBox();
    const to = await rows.nth(0).boundingBox();
    assert.ok(from && to);
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, from.y - 6, { steps: 5 });
    await page.mouse.move(to.x + 20, to.y + 2, { steps: 10 });
    await page.mouse.up();
    await until('the drag', async () => (await rows.first().innerText()).includes('openai/gpt-4o-mini') && (await card.getByRole('button', { name: 'Save console-chain' }).isEnabled()));
    // A click that lands as the drop animation ends can be swallowed: click again while Save is still enabled.
    await until('the second save', async () => {
      const save = card.getByRole('button', { name: 'Save console-chain' });
      if ((await save.count()) > 0 && (await save.isEnabled())) await save.click();
      return (await save.count()) > 0 && (await save.isDisabled());
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}; the alias shows: ${await card.innerText()}`);
    });
    assert.equal(await ask(), 'openai');
  });

  test('taking the primary out of rotation in Providers: the next request falls back, Overview counts it, Logs shows the attempts', async (t) => {
    if (skip) return t.skip(skip);
    await openPage(page, 'providers');
    const takeOut = page.getByRole('button', { name: 'Take out of rotation: anthropic/claude-sonnet-4-6' });
    await takeOut.click();
    await page.getByRole('button', { name: 'Put back in rotation: anthropic/claude-sonnet-4-6' }).waitFor();

    const { response } = await openai.chat.completions.create({ model: 'review-model', messages: [{ role: 'user', content: 'after the drill' }] }).withResponse();
    assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
    assert.equal(response.headers.get('x-switchyard-fallback-index'), '1');
    const requestId = response.headers.get('x-request-id')!;

    await openPage(page, 'overview');
    await until('a fallback on the Overview', async () => {
      const n = Number((await page.getByTestId('fallbacks').locator('.card-value').innerText()).trim());
      return n >= 1;
    });
    assert.match(await page.locator('table.table').innerText(), /anthropic\/claude-sonnet-4-6[\s\S]*out of rotation/);

    await page.evaluate((id) => (location.hash = `#/logs?request_id=${id}`), requestId);
    const timeline = page.getByTestId('attempts-timeline');
    await until('the attempts timeline', async () => {
      if ((await timeline.count()) > 0) return true;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.evaluate((id) => (location.hash = `#/logs?x=${Date.now()}&request_id=${id}`), requestId);
      return false;
    });
    const text = await timeline.innerText();
    assert.match(text, /anthropic\/claude-sonnet-4-6\s+skipped[\s\S]*out of rotation \(manual breaker override\)/);
    assert.match(text, /openai\/gpt-4o-mini\s+ok/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'logs-detail.png') });

    // The override is a config revision.
    await openPage(page, 'history');
    assert.match(await page.locator('.revisions').innerText(), /create breaker-overrides\/anthropic\/claude-sonnet-4-6/);
  });

  test('Cache: a repeated SDK request shows as a hit; clearing a namespace, then the whole cache, empties it', async (t) => {
    if (skip) return t.skip(skip);
    const ask = async () => (await openai.chat.completions.create({ model: 'cached-model', messages: [{ role: 'user', content: 'Answer me once' }] }).withResponse()).response.headers.get('x-switchyard-cache');
    assert.equal(await ask(), 'miss');
    assert.equal(await ask(), 'hit');

    await openPage(page, 'cache');
    const tile = async (id: string) => Number((await page.getByTestId(id).locator('.card-value').innerText()).trim());
    await until('the hit and its entry in the tiles', async () => (await tile('cache-hits')) >= 1 && (await tile('cache-entries')) >= 1);
    // Only cached-model turns the cache on: the page says so.
    assert.match(await page.getByRole('note').innerText(), /cache\.enabled is false: only alias cached-model is cached/);

    // One namespace: the client-side check first (no request), then the key's own namespace.
    const ns = page.getByRole('textbox', { name: 'Namespace' });
    const clearNs = page.getByRole('button', { name: 'Clear namespace' });
    await ns.fill('key:');
    await clearNs.click();
    await page.getByText('Expected global, key:<key id> or team:<team name>').waitFor();
    await ns.fill('key:console-e2e');
    page.once('dialog', (d) => void d.accept());
    await clearNs.click();
    const cleared = page.getByTestId('cache-cleared');
    await cleared.waitFor();
    assert.equal((await cleared.innerText()).trim(), 'Deleted 1 entry (1 exact, 0 semantic) from key:console-e2e.');
    await until('no entry held', async () => (await tile('cache-entries')) === 0);
    assert.equal(await ask(), 'miss');

    // The whole cache: the new entry shows on the next refresh (every 5 s), then goes.
    await until('the new entry', async () => (await tile('cache-entries')) >= 1);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Clear the cache' }).click();
    await until('the cache cleared', async () => (await cleared.count()) > 0 && (await cleared.innerText()).trim() === 'Deleted 1 entry (1 exact, 0 semantic).');
    await until('no entry held', async () => (await tile('cache-entries')) === 0);
    assert.equal(await ask(), 'miss');
  });

  test('MCP: the stdio server is connected with its tools; Reconnect starts it again', async (t) => {
    if (skip) return t.skip(skip);
    await openPage(page, 'mcp');
    const row = page.getByTestId('mcp-tracker');
    await until('the tracker connected', async () => (await row.getByTestId('mcp-status').innerText()).trim() === 'connected');
    assert.equal((await row.getByTestId('mcp-reconnects').innerText()).trim(), '0');
    await row.getByRole('button', { name: '2 tools of tracker' }).click();
    const tools = await page.getByTestId('mcp-tools-tracker').innerText();
    assert.match(tools, /tracker__search_issues/);
    assert.match(tools, /tracker__get_issue/);

    const pid = (await row.getByTestId('mcp-pid').innerText()).trim();
    await row.getByRole('button', { name: 'Reconnect tracker' }).click();
    await until('the reconnect', async () => (await row.getByTestId('mcp-reconnects').innerText()).trim() === '1' && (await row.getByTestId('mcp-status').innerText()).trim() === 'connected');
    // A new child process: the connection really was made again.
    await until('the new pid', async () => (await row.getByTestId('mcp-pid').count()) > 0 && (await row.getByTestId('mcp-pid').innerText()).trim() !== pid);
    // The server that cannot start shows as such, with its error.
    assert.match(await page.getByTestId('mcp-offline').innerText(), /down|connecting/);
  });

  test('every page: no serious or critical axe-core violation, and a screenshot at 1280×800', async (t) => {
    if (skip) return t.skip(skip);
    const problems: string[] = [];
    for (const name of PAGES) {
      await openPage(page, name);
      if (name === 'history') await page.locator('.revisions button.link').first().click();
      if (name === 'mcp') await page.getByRole('button', { name: '2 tools of tracker' }).click();
      if (name === 'playground') {
        await page.getByLabel('Model', { exact: true }).fill('review-model');
        await page.getByLabel('Client key').fill(secret);
        await page.getByRole('button', { name: 'Send' }).click();
        await page.getByRole('button', { name: 'Send' }).waitFor();
        await until('the playground answer', async () => (await page.getByTestId('playground-answer').innerText()).length > 3 && (await page.getByRole('button', { name: 'Send' }).isEnabled()));
      }
      for (const p of await axeProblems(page)) problems.push(`${name}: ${p}`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    }
    await page.evaluate(() => (location.hash = '#/providers'));
    await page.getByRole('button', { name: 'Add provider' }).click();
    for (const p of await axeProblems(page)) problems.push(`add-provider dialog: ${p}`);
    await page.keyboard.press('Escape');
    const signin = await browser!.context.newPage();
    await signin.goto(`${stack.url}/ui/`);
    for (const p of await axeProblems(signin)) problems.push(`sign-in: ${p}`);
    await signin.screenshot({ path: join(SCREENSHOT_DIR, 'sign-in.png') });
    await signin.close();
    assert.deepEqual(problems, []);
    t.diagnostic(`screenshots in ${SCREENSHOT_DIR}`);
  });

  test('a read-only sign-in sees everything, every control is disabled, and the API refuses a write', async (t) => {
    if (skip) return t.skip(skip);
    const ro = await browser!.context.newPage();
    await signIn(ro, stack.url, READER);
    await ro.getByText('Read-only session').waitFor();
    const checks: Array<[string, string]> = [
      ['keys', 'Create key'],
      ['keys', 'Revoke'],
      ['providers', 'Add provider'],
      ['providers', 'Test'],
      ['providers', 'Put back in rotation: anthropic/claude-sonnet-4-6'],
      ['models', 'Add alias'],
      ['history', 'Restore'],
      ['cache', 'Clear the cache'],
      ['cache', 'Clear namespace'],
      ['mcp', 'Reconnect tracker'],
    ];
    for (const [name, button] of checks) {
      await openPage(ro, name);
      const buttons = ro.getByRole('button', { name: button, exact: true });
      const n = await buttons.count();
      assert.ok(n > 0, `${name}: a "${button}" button is shown`);
      for (let i = 0; i < n; i++) assert.equal(await buttons.nth(i).isDisabled(), true, `${name}: "${button}" is disabled`);
    }
    // The namespace field of the cache, and the drag handles.
    await openPage(ro, 'cache');
    assert.equal(await ro.getByRole('textbox', { name: 'Namespace' }).isDisabled(), true);
    await openPage(ro, 'models');
    for (const h of await ro.getByRole('button', { name: /^Drag / }).all()) assert.equal(await h.isDisabled(), true);
    // And the API itself refuses, whatever the page does.
    const status = await ro.evaluate(async () => {
      const token = sessionStorage.getItem('switchyard.admin-token');
      const r = await fetch('/api/breaker-overrides/anthropic%2Fclaude-sonnet-4-6', { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      return r.status;
    });
    assert.equal(status, 403);
    // Sign-out clears the token.
    await ro.getByRole('button', { name: 'Sign out' }).click();
    await ro.getByLabel('Admin token').waitFor();
    assert.equal(await ro.evaluate(() => sessionStorage.getItem('switchyard.admin-token')), null);
    await ro.close();
  });
});

describe('web console in Chromium, cache off', () => {
  let stack: Stack | undefined;
  let browser: TestBrowser | undefined;
  let skip: string | undefined;

  before(async () => {
    ({ browser, skip } = await consoleBrowser());
    if (skip) return;
    stack = await startStack({ config: (mockUrl) => ({ ...defaultConfig(mockUrl), server: { host: '127.0.0.1', port: 0, admin_token: ADMIN }, logging: { level: 'silent' } }) });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('the Cache page says how to turn the cache on, and offers nothing to clear', async (t) => {
    if (skip) return t.skip(skip);
    const page = await browser!.context.newPage();
    await signIn(page, stack!.url, ADMIN);
    await openPage(page, 'cache');
    await page.getByText('The response cache is off').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Clear the cache' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Clear namespace' }).count(), 0);
    await page.close();
  });
});
