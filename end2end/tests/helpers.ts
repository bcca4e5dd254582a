import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { PANEL } from '../playwright.config';

/** Places an inbound call through the simulator; returns its call id. */
export async function placeCall(request: APIRequestContext, to: string, data: Record<string, string> = {}, from = '+15551230001') {
  const res = await request.post(`${PANEL}/api/sim/calls`, { data: { from, to, data } });
  expect(res.status()).toBe(201);
  return (await res.json()).callId as string;
}

export async function simCalls(request: APIRequestContext) {
  const res = await request.get(`${PANEL}/api/sim/calls`);
  expect(res.status()).toBe(200);
  return (await res.json()) as Array<{ callId: string; parties: { dn: string; state: string }[]; data: Record<string, string>; digits: string }>;
}

/** The simulated far end hangs up; fails the test unless the server agrees. */
export async function simHangUp(request: APIRequestContext, callId: string) {
  const res = await request.post(`${PANEL}/api/sim/calls/${callId}/hangup`);
  expect(res.status(), `hang up ${callId}`).toBe(200);
  return res;
}

/** Hangs up every simulated caller, so tests do not leak calls. */
export async function clearCalls(request: APIRequestContext) {
  for (const call of await simCalls(request)) await simHangUp(request, call.callId);
}

/** Loads the panel, waits for `window.OpenCTI`, and records every event. */
export async function openPanel(page: Page, path = '/') {
  await page.goto(path);
  await page.waitForFunction(() => !!window.OpenCTI);
  await page.evaluate(() => {
    (window as any).__events = [];
    window.OpenCTI!.on('*', (e) => (window as any).__events.push(e));
  });
}

/** Waits until a recorded event matches; returns it. */
export async function waitForEvent(page: Page, match: Record<string, unknown>) {
  const handle = await page.waitForFunction(
    (m) => (window as any).__events.find((e: any) => Object.entries(m).every(([k, v]) => e[k] === v)),
    match,
  );
  return handle.jsonValue();
}

/** How many recorded events match. */
export async function countEvents(page: Page, match: Record<string, unknown>) {
  return page.evaluate(
    (m) => (window as any).__events.filter((e: any) => Object.entries(m).every(([k, v]) => e[k] === v)).length,
    match,
  );
}

/** Calls `window.OpenCTI[fn](...args)`; returns `{ok, value}` or `{ok: false, error}`. */
export async function api(page: Page, fn: string, ...args: unknown[]) {
  return page.evaluate(
    async ([fn, args]) => {
      try {
        return { ok: true, value: await (window.OpenCTI as any)[fn](...args) };
      } catch (error) {
        return { ok: false, error, isError: error instanceof Error };
      }
    },
    [fn, args] as const,
  );
}

/** Calls `window.OpenCTI[fn](...args)`, fails the test unless it resolves,
 * and returns what it resolved with. */
export async function ok(page: Page, fn: string, ...args: unknown[]) {
  const result = await api(page, fn, ...args);
  expect(result, `${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`).toMatchObject({ ok: true });
  return result.value;
}

/** Logs the agent out if logged in, ending its calls first; fails the test
 * when any of it is refused (a test must not leave a session behind). */
export async function logOut(page: Page) {
  const failures = await page.evaluate(async () => {
    const api = window.OpenCTI;
    if (!api) return ['window.OpenCTI is not defined'];
    const failures: unknown[] = [];
    for (let i = 0; i < 10 && api.getState().pyCalls.length > 0; i++) {
      const call = api.getState().pyCalls[0];
      const end = call.pyCallState === 'Alerting' ? api.rejectCall : api.hangUpCall;
      await end(call.pyCallId).catch((e) => failures.push([call.pyCallId, e]));
    }
    if (api.getState().pyAgentState !== 'Logout') await api.logout().catch((e) => failures.push(['logout', e]));
    return failures;
  });
  expect(failures).toEqual([]);
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
