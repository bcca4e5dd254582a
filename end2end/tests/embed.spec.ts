// The panel inside an iframe of a host page on another origin, driven by
// postMessage through the host SDK (the demo CRM), and what a host that is
// not allowlisted cannot do.
import { test, expect, hydrated } from './fixtures';
import type { Page } from '@playwright/test';
import { panelFrame, recordEvents, waitForEvent } from 'ccp-testkit';
import { HOST, PANEL, STRANGER } from '../playwright.config';
import { panelSim } from './helpers';

const CRM = `${HOST}/demo/crm.html?panel=${encodeURIComponent(`${PANEL}/embed`)}`;

/** Calls an Interface function through the SDK; returns {ok, value|error}. */
function call(page: Page, fn: string, args?: unknown) {
  return page.evaluate(
    ([fn, args]) => (window as any).panel.call(fn, args).then((value: unknown) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error })),
    [fn, args] as const,
  );
}

/** Posts a raw message to the panel frame and waits for the result with its id. */
function raw(page: Page, message: Record<string, unknown>) {
  return page.evaluate(
    (message) =>
      new Promise((resolve) => {
        const frame = (window as any).panel.iframe as HTMLIFrameElement;
        const onMessage = (e: MessageEvent) => {
          if (e.source === frame.contentWindow && e.data?.type === 'opencti:result' && e.data.id === message.id) {
            window.removeEventListener('message', onMessage);
            resolve(e.data);
          }
        };
        window.addEventListener('message', onMessage);
        frame.contentWindow!.postMessage(message, new URL(frame.src).origin);
      }),
    message,
  );
}

async function openCrm(page: Page, agent?: string) {
  await page.goto(agent ? `${CRM}&agentId=${agent}` : CRM);
  await expect(page.getByRole('status')).toHaveText('Phone panel ready');
}

test.afterEach(async ({ page, request }) => {
  // Every test that logs in through the SDK ends its calls first; a refused
  // logout is a failure, not something to swallow.
  // Only pages with the SDK's panel (not the stranger's plain frame page).
  if (await page.evaluate(() => typeof (window as any).panel?.call === 'function')) {
    const out = await page.evaluate(async () => {
      const p = (window as any).panel;
      return p.call('logout', {}).then(
        () => ({ ok: true }),
        (error: any) => ({ ok: error?.errCode === 'OPENCTI_AGENT_NOT_LOGGED_IN', error }),
      );
    });
    expect(out).toMatchObject({ ok: true });
  }
  await panelSim.hangUpAll();
});

test('handshake, click-to-dial, screen pop, answer and hang up through the SDK', async ({ page, request, consoleErrors }) => {
  await openCrm(page, '1001');
  const frame = page.frameLocator('#panel iframe');
  await expect(frame.getByLabel('Agent ID')).toHaveValue('1001');
  const login = await call(page, 'login', { agentId: '1001', password: 'demo' });
  expect(login).toMatchObject({ ok: true, value: { pyEventType: 'SnapshotEvent', pyThisDN: '2001' } });
  await expect(frame.getByRole('status')).toHaveText('Not ready');

  // Click-to-dial from the host's customer list.
  await page.getByRole('button', { name: 'Call Alan Turing' }).click();
  await expect(frame.locator('.call-card')).toContainText('Dialing');
  const outbound = (await panelSim.calls()).find((c) => c.parties.some((p) => p.dn === '+15551230002'))!;
  expect(outbound.parties[0]).toEqual({ dn: '2001', state: 'initiated' });
  expect((await call(page, 'hangUpCall', { callId: outbound.callId })).ok).toBe(true);
  await expect(frame.locator('.call-card')).toHaveCount(0);
  // Never answered, so no after-call work.
  await expect(frame.getByRole('status')).toHaveText('Not ready');

  // An inbound call pops the customer's record on the host.
  const events: string[] = [];
  await page.exposeFunction('__seen', (e: string) => events.push(e));
  await page.evaluate(() => (window as any).panel.on('*', (e: any) => (window as any).__seen(`${e.pyEventType}:${e.pyEventName}`)));
  const panel = await panelFrame(page, '#panel iframe');
  await recordEvents(panel);
  const callId = await panelSim.placeCall('2001', { data: { account: '42' } });
  const record = page.getByRole('region', { name: 'Customer record' });
  await expect(record).toContainText('Grace Hopper');
  await expect(record).toContainText('42');
  await expect.poll(() => events).toContain('CallStateEvent:Alerting');
  expect(events.indexOf('CallInfoEvent:CallInfo')).toBeLessThan(events.indexOf('CallStateEvent:Alerting'));
  const answered = await call(page, 'answerCall', { callId });
  expect(answered).toEqual({ ok: true, value: null });
  // The panel in the frame applied the same call (test kit: waits on events).
  await waitForEvent(panel, { pyCallId: callId, pyEventName: 'Established' });
  await expect(frame.getByRole('status')).toHaveText('On a call');
  // The panel's own buttons still work inside the frame.
  await frame.getByRole('button', { name: 'Hold' }).click();
  await expect(frame.locator(`[data-call-id="${callId}"]`)).toContainText('On hold');
  await frame.getByRole('button', { name: 'Retrieve' }).click();
  expect((await call(page, 'hangUpCall', { callId })).ok).toBe(true);
  await expect(frame.getByRole('status')).toHaveText('After-call work');
  expect(consoleErrors).toEqual([]);
});

test('bad messages from an allowed origin get OPENCTI_BAD_REQUEST', async ({ page }) => {
  await openCrm(page);
  const cases: Record<string, unknown>[] = [
    { type: 'opencti:call', id: 'b1', fn: 'explode', args: {} },
    { type: 'opencti:call', id: 'b2', fn: 'answerCall', args: {} },
    { type: 'opencti:call', id: 'b3', fn: 'login', args: 'agent 1001' },
    { type: 'opencti:call', id: 'b4', args: {} },
    { type: 'opencti:clickToDial', id: 'b5' },
    { type: 'opencti:clickToDial', id: 'b6', number: '' },
    { type: 'opencti:unknown', id: 'b7' },
  ];
  for (const message of cases) {
    const result = await raw(page, message);
    expect(result, JSON.stringify(message)).toMatchObject({ type: 'opencti:result', id: message.id, ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
  }
});

test('a host that is not allowlisted gets no answer and drives nothing', async ({ page, request }) => {
  // It cannot frame the panel (CSP), so it opens it in a window.
  await page.goto(`${STRANGER}/frame.html?panel=about:blank`);
  // Listen before the panel exists: not even its opencti:ready may arrive.
  await page.evaluate(() => {
    (window as any).got = [];
    window.addEventListener('message', (e) => (window as any).got.push(e.data));
  });
  const popupPromise = page.waitForEvent('popup');
  await page.evaluate((url) => { (window as any).w = window.open(url); }, `${PANEL}/embed`);
  const popup = await popupPromise;
  await hydrated(popup);
  await popup.waitForFunction(() => !!window.OpenCTI);
  const dropped = popup.waitForEvent('console', (m) => m.text().includes(`ignored messages from ${STRANGER}`));
  await page.evaluate(() => {
    (window as any).w.postMessage({ type: 'opencti:call', id: 's1', fn: 'login', args: { agentId: '1003', password: 'demo' } }, '*');
    (window as any).w.postMessage({ type: 'opencti:clickToDial', id: 's2', number: '+15559990000' }, '*');
  });
  await dropped;
  // Posted messages are delivered in order: once the popup's own message
  // comes back, the stranger's two have been handled.
  await popup.evaluate(() => new Promise((resolve) => {
    window.addEventListener('message', (e) => e.data === 'sync' && resolve(null));
    window.postMessage('sync', location.origin);
  }));
  expect(await page.evaluate(() => (window as any).got)).toEqual([]);
  // The panel is still logged out and no call was placed.
  await expect(popup.getByRole('button', { name: 'Log in' })).toBeVisible();
  expect(await popup.evaluate(() => window.OpenCTI!.getState().pyAgentState)).toBe('Logout');
  expect(await panelSim.calls()).toEqual([]);
  await popup.close();
});

test('the demo CRM on the panel server itself', async ({ page }) => {
  await page.goto(`${PANEL}/demo/crm.html`);
  await expect(page.getByRole('status')).toHaveText('Phone panel ready');
  const login = await call(page, 'login', { agentId: '1004', password: 'demo' });
  expect(login.ok).toBe(true);
  expect((await call(page, 'logout', {})).ok).toBe(true);
});

