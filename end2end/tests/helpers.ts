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

export async function simHangUp(request: APIRequestContext, callId: string) {
  return request.post(`${PANEL}/api/sim/calls/${callId}/hangup`);
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

/** Logs the agent out if logged in (ending its calls first). */
export async function logOut(page: Page) {
  await page.evaluate(async () => {
    const api = window.OpenCTI;
    if (!api) return;
    for (const call of api.getState().pyCalls) await api.hangUpCall(call.pyCallId).catch(() => {});
    if (api.getState().pyAgentState !== 'Logout') await api.logout().catch(() => {});
  });
}
