// The panel's parts that are split wasm chunks (the keypad, the directory,
// the recent calls, the wrap-up form, the shortcuts' help): the page
// downloads none of them; after login they come in the background, unless
// `prefetch=0`; and a chunk that cannot be fetched leaves a message and a
// Retry in its place while the call controls keep working.
import type { Page, Request } from '@playwright/test';
import { test, expect } from './fixtures';
import { logOut, ok, openPanel, panelSim } from './helpers';

const PARTS = ['wrap_up', 'keypad', 'directory', 'recent', 'help'];

/** Records the URLs of the split chunks the page requests. */
function chunkRequests(page: Page) {
  const seen: string[] = [];
  page.on('request', (r: Request) => {
    const name = /\/pkg\/split_(\w+)\.wasm$/.exec(new URL(r.url()).pathname);
    if (name) seen.push(name[1]);
  });
  return seen;
}

test.afterEach(async ({ page }) => {
  await logOut(page);
  await panelSim.hangUpAll();
});

test('the page downloads no part; after login every part comes in the background', async ({ page, consoleErrors }) => {
  const seen = chunkRequests(page);
  const parts = Promise.all(PARTS.map((part) => page.waitForRequest((r) => r.url().endsWith(`/split_${part}.wasm`))));
  await openPanel(page);
  await page.waitForLoadState('networkidle');
  expect(seen, 'chunks fetched before login').toEqual([]);
  await ok(page, 'login', '1003', 'demo');
  await parts;
  // Fetched already, the keypad opens without a request of its own.
  const before = seen.length;
  await page.getByRole('button', { name: 'Keypad' }).click();
  await expect(page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5' })).toBeVisible();
  expect(seen.length).toBe(before);
});

test('with prefetch=0 a part is fetched when first shown', async ({ page, consoleErrors }) => {
  const seen = chunkRequests(page);
  await openPanel(page, '/?prefetch=0');
  await ok(page, 'login', '1003', 'demo');
  await expect(page.getByRole('status')).toHaveText('Not ready');
  const keypad = page.waitForRequest((r) => r.url().endsWith('/split_keypad.wasm'));
  await page.getByRole('button', { name: 'Keypad' }).click();
  await keypad;
  await expect(page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5' })).toBeVisible();
  expect(seen.filter((part) => PARTS.includes(part))).toEqual(['keypad']);
});

// No consoleErrors fixture: the chunk loader logs the failed fetch, as it should.
test('a part that cannot be fetched says so and offers Retry; the call controls keep working', async ({ page }) => {
  await page.route('**/pkg/split_keypad.wasm', (route) => route.abort('failed'));
  await openPanel(page, '/?prefetch=0');
  await ok(page, 'login', '1003', 'demo');
  await ok(page, 'agentReady');
  await page.getByRole('button', { name: 'Keypad' }).click();
  const problem = page.getByRole('alert').filter({ hasText: 'This part of the panel could not be loaded' });
  await expect(problem).toBeVisible();

  // The call controls are the main module's: a call is answered and held.
  const callId = await panelSim.placeCall('2003');
  await page.getByRole('button', { name: 'Answer' }).click();
  await expect(page.getByRole('status')).toHaveText('On a call');
  const card = page.locator(`[data-call-id="${callId}"]`);
  await card.getByRole('button', { name: 'Hold' }).click();
  await expect(card).toContainText('On hold');

  // The network is back: Retry mounts the keypad, and the message goes.
  await page.unroute('**/pkg/split_keypad.wasm');
  await problem.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5' })).toBeVisible();
  await expect(problem).toHaveCount(0);
  await ok(page, 'hangUpCall', callId);
});
