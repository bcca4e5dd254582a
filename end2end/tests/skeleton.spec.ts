import { test, expect, hydrated } from './fixtures';
import { HOST, PANEL, STRANGER } from '../playwright.config';

test('the panel is rendered on the server before any wasm runs', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain('aria-label="Call Control Panel"');
  expect(html).toContain('Log in');
  expect(html).toContain('data-hydrated="false"');
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'nonce-");
  expect(csp.endsWith("frame-ancestors 'self'")).toBe(true);
  expect(res.headers()['x-content-type-options']).toBe('nosniff');
});

test('the panel hydrates without console errors and its form responds', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Enter your agent ID.');
  expect(consoleErrors).toEqual([]);
});

test('/embed is framed by an allowlisted host on another origin', async ({ page, consoleErrors }) => {
  await page.goto(`${HOST}/frame.html?panel=${encodeURIComponent(`${PANEL}/embed`)}`);
  const frame = page.frameLocator('#panel');
  await hydrated(frame);
  await frame.getByRole('button', { name: 'Log in' }).click();
  await expect(frame.getByRole('alert')).toHaveText('Enter your agent ID.');
  expect(consoleErrors).toEqual([]);
});

test('/embed sends frame-ancestors from the allowlist and no X-Frame-Options', async ({ request }) => {
  const res = await request.get('/embed');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-security-policy'].endsWith(`frame-ancestors 'self' ${HOST}`)).toBe(true);
  expect(res.headers()['x-frame-options']).toBeUndefined();
});

test('a host that is not allowlisted cannot frame /embed', async ({ page }) => {
  const blocked = page.waitForEvent('console', (msg) => /frame-ancestors/.test(msg.text()));
  await page.goto(`${STRANGER}/frame.html?panel=${encodeURIComponent(`${PANEL}/embed`)}`);
  await blocked;
  const frame = page.frameLocator('#panel');
  await expect(frame.getByRole('button', { name: 'Log in' })).toHaveCount(0);
});
