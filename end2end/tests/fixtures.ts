import { test as base, expect, type Browser, type Page } from '@playwright/test';
import { openAgentPanel } from 'ccp-testkit';

/**
 * A page that fails its test on any console error or uncaught exception:
 * hydration mismatches and wasm panics surface there.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    await use(errors);
    expect(errors, 'console errors and warnings').toEqual([]);
  },
});

export { expect };

/** Waits until the panel in `page` (or a frame) has hydrated. */
export async function hydrated(page: Pick<Page, 'locator'>) {
  await expect(page.locator('section.ccp[data-hydrated="true"]')).toBeVisible();
}

/** An agent's panel on the server at `baseURL`, in a browser context of
 * its own, logged in through the form (password `demo`) by the test kit;
 * `init` runs in the page before its own scripts. */
export async function agentPanel(browser: Browser, baseURL: string, agent: string, init?: () => void) {
  const panel = await openAgentPanel(browser, baseURL, agent, { init });
  await expect(panel.page.getByRole('status')).toHaveText('Not ready');
  return panel;
}
