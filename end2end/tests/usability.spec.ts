// The panel for people: keyboard shortcuts and their help, the directory,
// and an axe-core accessibility scan of the main states.
import { test, expect } from './fixtures';
import { api, axe, logOut, openPanel, ok, panelSim } from './helpers';

test.afterEach(async ({ page, request }) => {
  await logOut(page);
  await panelSim.hangUpAll();
});

test('no serious accessibility violations: logged out, ready, alerting, on a call', async ({ page, request, consoleErrors }) => {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await openPanel(page);
    expect(await axe(page), `logged out, ${scheme}`).toEqual([]);
    await ok(page, 'login', '1003', 'demo');
    await ok(page, 'agentReady');
    await expect(page.getByRole('status')).toHaveText('Ready');
    expect(await axe(page), `ready, ${scheme}`).toEqual([]);
    const callId = await panelSim.placeCall('2003', { data: { account: '42' } });
    await expect(page.getByRole('button', { name: 'Answer' })).toBeVisible();
    expect(await axe(page), `alerting, ${scheme}`).toEqual([]);
    await page.getByRole('button', { name: 'Answer' }).click();
    await expect(page.getByRole('status')).toHaveText('On a call');
    expect(await axe(page), `on a call, ${scheme}`).toEqual([]);
    await ok(page, 'hangUpCall', callId);
    await ok(page, 'completeWrapUp');
    await logOut(page);
  }
});

test('keyboard: shortcuts answer, hold and hang up; ? shows the help', async ({ page, request, consoleErrors }) => {
  await openPanel(page);
  await ok(page, 'login', '1003', 'demo');
  await page.keyboard.press('Alt+r');
  await expect(page.getByRole('status')).toHaveText('Ready');
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Answer the ringing call');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  const callId = await panelSim.placeCall('2003');
  await expect(page.getByRole('button', { name: 'Answer' })).toBeVisible();
  await page.keyboard.press('Alt+a');
  await expect(page.getByRole('status')).toHaveText('On a call');
  await page.keyboard.press('Alt+o');
  await expect(page.locator(`[data-call-id="${callId}"]`)).toContainText('On hold');
  await page.keyboard.press('Alt+o');
  await expect(page.locator(`[data-call-id="${callId}"]`)).toContainText('Connected');
  await page.keyboard.press('Alt+h');
  await expect(page.getByRole('status')).toHaveText('After-call work');
  await page.keyboard.press('Alt+n');
  await expect(page.getByRole('menuitem', { name: 'Break' })).toBeVisible();
  // Every enabled control is reachable by Tab, in one pass through the page.
  await page.keyboard.press('Escape');
  const count = await page.evaluate(() => {
    const controls = [...document.querySelectorAll<HTMLElement>('.ccp button, .ccp input, .ccp select, .ccp a[href], .ccp [tabindex]')]
      .filter((el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.getClientRects().length > 0);
    controls.forEach((el, i) => (el.dataset.walk = String(i)));
    return controls.length;
  });
  expect(count).toBeGreaterThan(8);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const reached = new Set<string>();
  for (let i = 0; i < count + 5 && reached.size < count; i++) {
    await page.keyboard.press('Tab');
    const walk = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.walk);
    if (walk !== undefined) reached.add(walk);
  }
  const missed = await page.evaluate((reached) => [...document.querySelectorAll<HTMLElement>('[data-walk]')]
    .filter((el) => !reached.includes(el.dataset.walk!))
    .map((el) => el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.tagName), [...reached]);
  expect(missed).toEqual([]);
});

test('shortcuts follow the physical key: Option+A on a Mac and a Cyrillic layout answer, AltGr+A types', async ({ page, request, consoleErrors }) => {
  await openPanel(page);
  await ok(page, 'login', '1003', 'demo');
  await ok(page, 'agentReady', '1003');
  // What the browser sends for the A key, as (key, modifiers).
  const press = (key: string, init: KeyboardEventInit) => page.evaluate(([key, init]) => {
    document.dispatchEvent(new KeyboardEvent('keydown', { key, code: 'KeyA', bubbles: true, cancelable: true, ...init }));
  }, [key, init] as const);
  for (const [layout, key, init, answers] of [
    ['AltGr on a Polish layout (Ctrl+Alt): typing "ą"', 'ą', { altKey: true, ctrlKey: true }, false],
    ['Option+A on a Mac', 'å', { altKey: true }, true],
    ['Alt+A on a Russian layout', 'ф', { altKey: true }, true],
  ] as const) {
    const callId = await panelSim.placeCall('2003');
    const card = page.locator(`[data-call-id="${callId}"]`);
    await expect(card).toContainText('Ringing');
    await press(key, init);
    if (answers) {
      await expect(card, layout).toContainText('Connected');
      await ok(page, 'hangUpCall', callId);
      await ok(page, 'completeWrapUp');
    } else {
      // Nothing happened: the call still rings (checked after a request that
      // the server answers in order, so no event can be in flight).
      await ok(page, 'getDirectory');
      await expect(card, layout).toContainText('Ringing');
      await ok(page, 'rejectCall', callId);
      await expect(card).toHaveCount(0);
    }
  }
  // The help names the keys as the layout labels them (a US layout here).
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help.locator('kbd').first()).toHaveText('Alt+A');
});

test('the directory shows agents with their state and queues, and fills the number', async ({ page, browser, consoleErrors }) => {
  const context = await browser.newContext();
  const other = await context.newPage();
  await openPanel(other);
  await ok(other, 'login', '1004', 'demo');
  await ok(other, 'agentReady');
  await openPanel(page);
  await ok(page, 'login', '1003', 'demo');
  await page.getByRole('button', { name: 'Directory' }).click();
  const list = page.getByRole('list', { name: 'Directory' });
  await expect(list).toContainText('Agent 1004');
  await expect(list.getByRole('button', { name: /Agent 1004/ })).toContainText('Ready');
  await expect(list).toContainText('Sales queue');
  await expect(list).not.toContainText('Ext. 2003');
  await page.getByLabel('Search directory').fill('support');
  await expect(list.getByRole('button')).toHaveCount(1);
  await list.getByRole('button', { name: /Support queue/ }).click();
  await expect(page.getByLabel('Phone number')).toHaveValue('5001');
  await logOut(other);
  await context.close();
});
