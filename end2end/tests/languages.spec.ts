// The panel in English, Spanish, German and Arabic: how the language is
// chosen (?lang=, the embedding option, the browser's languages), that every
// visible text is translated, the axe scan in each language, right-to-left
// Arabic, and that the server's text equals the hydrated text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, hydrated } from './fixtures';
import type { Page } from '@playwright/test';
import { HOST, PANEL } from '../playwright.config';
import { axe, logOut, ok, openPanel, panelSim } from './helpers';

type Messages = Record<string, Record<string, string>>;
const LANGUAGES = ['en', 'es', 'de', 'ar'] as const;
const messages = Object.fromEntries(
  LANGUAGES.map((lang) => [lang, JSON.parse(readFileSync(join(__dirname, '..', '..', 'app', 'locales', `${lang}.json`), 'utf8')) as Messages]),
) as Record<(typeof LANGUAGES)[number], Messages>;

test.afterEach(async ({ page, request }) => {
  // Some tests use pages of their own, or a host page, and leave `page` bare.
  if (await page.evaluate(() => !!window.OpenCTI)) await logOut(page);
  await panelSim.hangUpAll();
});

/** English sentences that another language says differently: none of them
 * may be left on a page in that language. */
function untranslatedEnglish(lang: (typeof LANGUAGES)[number]) {
  const out: string[] = [];
  for (const [section, entries] of Object.entries(messages.en)) {
    for (const [id, english] of Object.entries(entries)) {
      const translated = messages[lang][section][id];
      if (english !== translated && english.length >= 8 && !english.includes('{{')) out.push(english);
    }
  }
  return out;
}

async function expectNoEnglishLeft(page: Page, lang: (typeof LANGUAGES)[number]) {
  const text = await page.locator('body').innerText();
  // Whole words only: Spanish "Transferir" does not leave English "Transfer".
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const left = untranslatedEnglish(lang).filter((english) =>
    new RegExp(`(^|[^\\p{L}])${escape(english)}($|[^\\p{L}])`, 'u').test(text),
  );
  expect(left, `English left on the ${lang} page`).toEqual([]);
}

for (const lang of LANGUAGES) {
  test(`?lang=${lang}: every label in the language, axe clean, from login to a ringing call`, async ({ page, request, consoleErrors }) => {
    const m = messages[lang];
    await openPanel(page, `/?lang=${lang}`);
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await expect(page.locator('html')).toHaveAttribute('dir', lang === 'ar' ? 'rtl' : 'ltr');
    await expect(page.getByRole('button', { name: m.login.submit })).toBeVisible();
    await expect(page.getByLabel(m.login.agent_id)).toBeVisible();
    await expectNoEnglishLeft(page, lang);
    expect(await axe(page), `logged out, ${lang}`).toEqual([]);

    await ok(page, 'login', '1003', 'demo');
    await ok(page, 'agentReady');
    await expect(page.getByRole('status')).toHaveText(m.state.ready);
    await expect(page.getByRole('region', { name: m.page.title })).toBeVisible();
    const callId = await panelSim.placeCall('2003', { data: { account: '42' } });
    await expect(page.getByRole('button', { name: m.call.answer })).toBeVisible();
    await expect(page.getByRole('status')).toContainText(m.status.incoming.split('{{')[1].split('}}')[1].trim());
    await expect(page.locator('.call-card .call-state')).toHaveText(m.call.ringing);
    await expectNoEnglishLeft(page, lang);
    expect(await axe(page), `alerting, ${lang}`).toEqual([]);
    await page.getByRole('button', { name: m.call.answer }).click();
    await expect(page.getByRole('status')).toHaveText(m.state.on_a_call);
    await page.getByRole('button', { name: m.shortcuts.title }).click();
    await expect(page.getByRole('dialog', { name: m.shortcuts.title })).toContainText(m.shortcuts.answer);
    await expectNoEnglishLeft(page, lang);
    expect(await axe(page), `on a call with the help open, ${lang}`).toEqual([]);
    await ok(page, 'hangUpCall', callId);
    await expect(page.getByRole('group', { name: m.agent.after_call_work })).toBeVisible();
    await ok(page, 'completeWrapUp');
  });
}

test('Arabic is right to left, with numbers and timers left to right', async ({ page, request, consoleErrors }) => {
  await openPanel(page, '/?lang=ar');
  await ok(page, 'login', '1003', 'demo');
  await ok(page, 'agentReady');
  await panelSim.placeCall('2003', { from: '+15551230001' });
  const card = page.locator('.call-card');
  await expect(card).toBeVisible();
  const style = await card.evaluate((el) => {
    const css = getComputedStyle(el);
    const number = getComputedStyle(el.querySelector('.call-number')!);
    return { direction: css.direction, right: css.borderRightWidth, left: css.borderLeftWidth, number: number.direction };
  });
  // The state stripe is on the start side, which is the right in Arabic.
  expect(style).toEqual({ direction: 'rtl', right: '5px', left: '1px', number: 'ltr' });
  await expect(card.locator('.call-number')).toHaveText('+15551230001');
  // Shortcuts follow the physical key whatever the language.
  await page.keyboard.press('Alt+KeyA');
  await expect(page.getByRole('status')).toHaveText(messages.ar.state.on_a_call);
});

test('the language comes from ?lang=, else the browser, else English', async ({ browser }) => {
  for (const [browserLocale, query, expected] of [
    ['de-AT', '', 'de'],
    ['es-MX', '', 'es'],
    ['ar-EG', '', 'ar'],
    ['fr-FR', '', 'en'],
    ['de-DE', '?lang=es', 'es'],
    ['es-ES', '?lang=fr', 'es'],
  ] as const) {
    const context = await browser.newContext({ locale: browserLocale, baseURL: PANEL });
    const page = await context.newPage();
    await page.goto(`/${query}`);
    await hydrated(page);
    await expect(page.locator('html'), `${browserLocale} ${query}`).toHaveAttribute('lang', expected);
    await expect(page.getByRole('button', { name: messages[expected].login.submit })).toBeVisible();
    await context.close();
  }
});

test('SSR and hydration show the same German text, with no hydration warning', async ({ browser, page, consoleErrors }) => {
  const noScript = await browser.newContext({ javaScriptEnabled: false, baseURL: PANEL });
  const ssrPage = await noScript.newPage();
  await ssrPage.goto('/?lang=de');
  const ssrText = await ssrPage.locator('body').innerText();
  await noScript.close();
  expect(ssrText).toContain(messages.de.login.title);

  await page.goto('/?lang=de');
  await hydrated(page);
  expect(await page.locator('body').innerText()).toBe(ssrText);
  await expect(page).toHaveTitle(messages.de.page.title);
});

test('errors in the language: a refused login and a number that cannot be dialled', async ({ page, consoleErrors }) => {
  const es = messages.es;
  await openPanel(page, '/?lang=es');
  const problem = page.locator('form.login').getByRole('alert');
  await page.getByRole('button', { name: es.login.submit }).click();
  await expect(problem).toHaveText(es.login.need_agent_id);
  await page.getByLabel(es.login.agent_id).fill('1003');
  await page.getByLabel(es.login.password).fill('wrong');
  await page.getByRole('button', { name: es.login.submit }).click();
  await expect(problem).toHaveText(es.error.unauthorized);
  // The toast says it too, in Spanish, beside the unchanged code.
  await expect(page.locator('.toast')).toContainText(es.error.unauthorized);
  await expect(page.locator('.toast-code')).toHaveText('OPENCTI_UNAUTHORIZED');
  await ok(page, 'login', '1003', 'demo');
  await page.getByLabel(es.dialer.phone_number).fill('call me');
  await page.getByRole('button', { name: es.dialer.dial }).click();
  await expect(page.locator('.dialer .form-error')).toHaveText(es.error.invalid_destination);
});

test('the embedding option lang opens the panel in that language', async ({ page }) => {
  await page.goto(`${HOST}/demo/crm.html?panel=${encodeURIComponent(`${PANEL}/embed`)}`);
  await page.waitForFunction(() => !!(window as any).OpenCTIHost);
  await page.evaluate((url) => {
    const box = document.createElement('div');
    box.id = 'arabic-panel';
    document.body.append(box);
    (window as any).arabic = (window as any).OpenCTIHost.embed({ container: box, url, lang: 'ar' });
  }, `${PANEL}/embed`);
  const frame = page.frameLocator('#arabic-panel iframe');
  await hydrated(frame);
  await expect(frame.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(frame.getByRole('button', { name: messages.ar.login.submit })).toBeVisible();
  await page.evaluate(() => (window as any).arabic.destroy());
});
