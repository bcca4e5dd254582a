// Cross-site writes, in a real browser with two origins: a page on another
// origin that posts a form to the simulator or the history API is refused,
// and changes nothing.
import { test, expect } from './fixtures';
import { HOST, PANEL, STRANGER } from '../playwright.config';
import { panelSim } from './helpers';

test.afterEach(async ({ request }) => {
  await panelSim.hangUpAll();
});

for (const [origin, name] of [[STRANGER, 'a page that is not allowlisted'], [HOST, 'even an allowlisted page']] as const) {
  for (const enctype of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data']) {
    test(`${name} cannot hang up a call with a form post (${enctype})`, async ({ page, request }) => {
      const callId = await panelSim.placeCall('5000');
      const target = `${PANEL}/api/sim/calls/${callId}/hangup`;
      const answer = page.waitForResponse((res) => res.url() === target);
      await page.goto(`${origin}/form-post.html?target=${encodeURIComponent(target)}&enctype=${encodeURIComponent(enctype)}`);
      expect((await answer).status()).toBe(403);
      expect((await panelSim.calls()).map((c) => c.callId)).toContain(callId);
    });
  }
}

test('a form post cannot place a call either', async ({ page, request }) => {
  const before = (await panelSim.calls()).length;
  const target = `${PANEL}/api/sim/calls`;
  const answer = page.waitForResponse((res) => res.url() === target);
  await page.goto(`${STRANGER}/form-post.html?target=${encodeURIComponent(target)}&enctype=text%2Fplain`);
  expect((await answer).status()).toBe(403);
  expect((await panelSim.calls()).length).toBe(before);
});

test('the panel runs under its Content-Security-Policy, which refuses injected scripts', async ({ page }) => {
  const response = await page.goto(PANEL);
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'nonce-[^']+'/);
  await page.waitForFunction(() => window.OpenCTI !== undefined);
  const refused = page.waitForEvent('console', (msg) => /Content Security Policy/.test(msg.text()));
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.appendChild(script);
  });
  await refused;
  expect(await page.evaluate(() => (window as any).injected)).toBeUndefined();
});
