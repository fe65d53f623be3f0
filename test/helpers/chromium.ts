/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests: a fresh profile
 * directory per launch, no network beyond what the page asks for. Skips outside CI when Chromium
 * is missing; in CI (`.ci/run` installs it) a missing Chromium is a failure.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

const CANDIDATES = [process.env.SWITCHYARD_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export function chromiumPath(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** Launches Chromium, or says why it cannot here (outside CI only; in CI it throws). */
export async function launchChromiumOrSkip(): Promise<{ browser?: TestBrowser; skip?: string }> {
  const path = chromiumPath();
  if (!path) {
    const reason = 'Chromium is not installed (apt-get install chromium, or set SWITCHYARD_CHROMIUM)';
    if (process.env.CI === 'true') throw new Error(`Chromium is required in CI: ${reason}`);
    return { skip: reason };
  }
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'switchyard-chromium-'));
  try {
    // launchPersistentContext passes the fresh profile as --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: path,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
    });
    return {
      browser: {
        context,
        async close() {
          await context.close().catch(() => {});
          await rm(profile, { recursive: true, force: true });
        },
      },
    };
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    if (process.env.CI === 'true') throw e;
    return { skip: `Chromium could not start here: ${(e as Error).message.split('\n')[0]}` };
  }
}
