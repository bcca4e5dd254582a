import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { Simulator, callOpenCti, events, logOut, recordEvents, waitForEvent } from 'ccp-testkit';
import { PANEL } from '../playwright.config';

/** The simulator of the suite's main panel server (from the test kit). */
export const panelSim = new Simulator(PANEL);

/** Loads the panel, waits for `window.OpenCTI`, and records every event. */
export async function openPanel(page: Page, path = '/') {
  await page.goto(path);
  await recordEvents(page);
}

export { waitForEvent, logOut };

/** How many recorded events match. */
export async function countEvents(page: Page, match: Record<string, unknown>) {
  return (await events(page, match)).length;
}

/** Calls `window.OpenCTI[fn](...args)`; returns `{ok, value}` or `{ok: false, error}`. */
export const api = callOpenCti as (page: Page, fn: string, ...args: unknown[]) => Promise<{ ok: boolean; value?: any; error?: any; isError?: boolean }>;

/** Calls `window.OpenCTI[fn](...args)`, fails the test unless it resolves,
 * and returns what it resolved with. */
export async function ok(page: Page, fn: string, ...args: unknown[]) {
  const result = await api(page, fn, ...args);
  expect(result, `${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`).toMatchObject({ ok: true });
  return (result as { value: unknown }).value;
}

const axeSource = readFileSync(join(__dirname, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Serious and critical axe-core violations on the page. The page's
 * Content-Security-Policy refuses injected script tags (as it should), so
 * axe is evaluated through the DevTools protocol instead. */
export async function axe(page: Page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => (window as any).axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
}
