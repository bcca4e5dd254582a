import { test as base, expect, type Page } from '@playwright/test';

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
