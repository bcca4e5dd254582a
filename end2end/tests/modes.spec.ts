// Pega Call parity: telephony modes, implementation capabilities, and call
// data that travels with the call. The mode tests use the second server,
// whose agents are configured simple (1001), agent-state (1002), full (1003).
import { test, expect, hydrated } from './fixtures';
import type { Page } from '@playwright/test';
import { MODES } from '../playwright.config';
import { api, logOut, ok, openPanel, waitForEvent, panelSim } from './helpers';

test.describe('telephony modes', () => {
  test.use({ baseURL: MODES });

  test.afterEach(async ({ page, request, consoleErrors }) => {
    await logOut(page);
    const calls = await (await request.get(`${MODES}/api/sim/calls`)).json();
    for (const c of calls) await request.post(`${MODES}/api/sim/calls/${c.callId}/hangup`);
  });

  async function ring(page: Page, request: any, to: string) {
    const res = await request.post(`${MODES}/api/sim/calls`, { data: { from: '+15551230009', to, data: { account: '77' } } });
    const { callId } = await res.json();
    await expect(page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
    return callId as string;
  }

  test('simple: the call card and its data, no call or state controls', async ({ page, request, consoleErrors }) => {
    await openPanel(page);
    expect((await api(page, 'login', '1001', 'demo')).ok).toBe(true);
    expect(await page.evaluate(() => window.OpenCTI!.getState().pyTelephonyMode)).toBe('simple');
    const callId = await ring(page, request, '2001');
    await expect(page.getByRole('status')).toContainText('Incoming call from +15551230009');
    await expect(page.locator(`[data-call-id="${callId}"]`).getByLabel('Call data')).toContainText('account77');
    for (const name of ['Answer', 'Reject', 'Hold', 'Ready', 'Not ready', 'Dial', 'Keypad']) {
      await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
    }
    const hold = await api(page, 'holdCall', callId);
    expect(hold).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
    // The mode check comes before the state check (the call is only ringing).
    expect(await api(page, 'answerCall', callId)).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
    // getCapabilities does not depend on the mode.
    expect((await page.evaluate(() => window.OpenCTI!.getCapabilities())).capabilities).toHaveLength(24);
    // Logging out is allowed in every mode, once the call is over.
    await expect(page.getByRole('button', { name: 'Log out' })).toBeDisabled();
    expect((await request.post(`${MODES}/api/sim/calls/${callId}/hangup`)).status()).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  });

  test('agent-state: Ready and Not ready, but no call controls', async ({ page, request, consoleErrors }) => {
    await openPanel(page);
    expect((await api(page, 'login', '1002', 'demo')).ok).toBe(true);
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Ready');
    const callId = await ring(page, request, '2002');
    await expect(page.getByRole('button', { name: 'Answer' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Dial' })).toHaveCount(0);
    expect(await api(page, 'answerCall', callId)).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
    expect(await api(page, 'makeCall', '2003')).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
    // The panel cannot end the call in this mode: the caller does.
    expect((await request.post(`${MODES}/api/sim/calls/${callId}/hangup`)).status()).toBe(200);
    await expect(page.locator(`[data-call-id="${callId}"]`)).toHaveCount(0);
  });

  test('reason codes and dispositions come from the configuration', async ({ page, request, consoleErrors }) => {
    await openPanel(page);
    await ok(page, 'login', '1004', 'demo');
    await page.getByRole('button', { name: 'Not ready' }).click();
    await expect(page.getByRole('menuitem')).toHaveText(['Coaching', 'Outbound']);
    await page.getByRole('menuitem', { name: 'Outbound' }).click();
    await expect(page.locator('.agent-state')).toContainText('(Outbound)');
    // A reason this server does not know is refused by the switch.
    expect(await api(page, 'agentNotReady', undefined, undefined, 'Break')).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
    const callId = await ring(page, request, '2004');
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect(page.getByRole('status')).toHaveText('After-call work');
    const options = page.getByLabel('Disposition').locator('option');
    await expect(options).toHaveText(['—', 'Callback', 'Closed']);
    await page.getByLabel('Disposition').selectOption('Closed');
    await page.getByRole('button', { name: 'Finish wrap-up' }).click();
    // The disposition is the call's own event, and Recent calls shows it.
    await waitForEvent(page, { pyEventType: 'CallInfoEvent', pyCallId: callId, pyDisposition: 'Closed' });
    await expect(page.getByRole('region', { name: 'Recent calls' })).toContainText('Closed');
    await expect(page.getByRole('status')).toHaveText('Not ready');
  });

  test('the mode can be chosen at login, and changed at the next login', async ({ page, request, consoleErrors }) => {
    await openPanel(page);
    const bad = await api(page, 'login', '1003', 'demo', undefined, { telephonyMode: 'expert' });
    expect(bad).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
    const first = await api(page, 'login', '1003', 'demo', undefined, { telephonyMode: 'agent-state' });
    expect(first).toMatchObject({ ok: true, value: { pyTelephonyMode: 'agent-state' } });
    await ring(page, request, '2003');
    await expect(page.getByRole('button', { name: 'Answer' })).toHaveCount(0);
    const waiting = await (await request.get(`${MODES}/api/sim/calls`)).json();
    expect((await request.post(`${MODES}/api/sim/calls/${waiting[0].callId}/hangup`)).status()).toBe(200);
    await expect(page.locator('.call-card')).toHaveCount(0);
    expect((await api(page, 'logout')).ok).toBe(true);
    const second = await api(page, 'login', '1003', 'demo', undefined, { telephonyMode: 'full' });
    expect(second).toMatchObject({ ok: true, value: { pyTelephonyMode: 'full' } });
    await ring(page, request, '2003');
    await expect(page.getByRole('button', { name: 'Answer' })).toBeVisible();
  });
});

test('a JavaScript implementation without conference support: no Conference button', async ({ page, consoleErrors }) => {
  await openPanel(page);
  const caps = ['login', 'answerCall', 'hangUpCall', 'holdCall', 'retrieveCall', 'transferInitiate', 'blindTransfer'];
  await page.evaluate((caps) => {
    const snapshot = {
      pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: 'js-1', pyAgentState: 'Ready',
      pyWorkMode: 'MODE_AUTO_IN', pyReasonCode: '', pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED',
      pyThisDN: '9001', pyTelephonyMode: 'full',
      pyCalls: [{ pyCallId: 'J1', pyCallState: 'Established', pyCallType: 'INBOUND', pyANI: '+15550002222',
        pyDNIS: '9000', pyOtherDN: '+15550002222', pyParties: [], pyUserData: {} }],
    };
    const implementation = { login: () => window.OpenCTI!.publishEvent(snapshot as any), version: '0.3', capabilities: caps };
    return window.OpenCTI!.useImplementation(implementation);
  }, caps);
  expect(await page.evaluate(() => window.OpenCTI!.getCapabilities())).toEqual({ implementation: 'javascript', version: '0.3', capabilities: caps });
  expect((await api(page, 'login', 'js-1', 'x')).ok).toBe(true);
  await page.getByLabel('Phone number').fill('9002');
  await expect(page.getByRole('button', { name: 'Consult' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Conference' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Dial' })).toHaveCount(0);
  // No `audio` capability: no softphone controls, though a call is up.
  await expect(page.locator('.call-card')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Mute' })).toHaveCount(0);
  await expect(page.getByRole('meter', { name: 'Microphone level' })).toHaveCount(0);
  const err = await api(page, 'conferenceInitiate', 'J1', '9002');
  expect(err).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
  expect(await api(page, 'publishEvent', { pyEventType: 'AgentStateEvent', pyEventName: 'Logout', pyAgentId: 'js-1', pyWorkMode: 'MODE_NONE' })).toEqual({ ok: true, value: null });
});

test('a note travels with a consult transfer, laid over the call data', async ({ page, browser, request, consoleErrors }) => {
  await page.goto('/');
  await hydrated(page);
  await page.waitForFunction(() => !!window.OpenCTI);
  expect((await api(page, 'login', '1001', 'demo')).ok).toBe(true);
  const context = await browser.newContext();
  const b = await context.newPage();
  await openPanel(b);
  expect((await api(b, 'login', '1002', 'demo')).ok).toBe(true);

  const callId = await panelSim.placeCall('2001', { data: { account: '42', tier: 'gold' } });
  const card = page.locator(`[data-call-id="${callId}"]`);
  await card.getByRole('button', { name: 'Answer' }).click();
  await page.getByLabel('Phone number').fill('2002');
  await page.getByLabel('Note for the next agent').fill('Wants a refund for order 17');
  await card.getByRole('button', { name: 'Consult' }).click();
  await b.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Complete transfer' }).click();

  const bCard = b.locator(`[data-call-id="${callId}"]`);
  await expect(bCard.getByLabel('Call data')).toContainText('account42');
  await expect(bCard.getByLabel('Call data')).toContainText('noteWants a refund for order 17');
  const sim = (await panelSim.calls()).find((c) => c.callId === callId)!;
  expect(sim.data).toEqual({ account: '42', tier: 'gold', note: 'Wants a refund for order 17' });
  // userData past its bounds: refused, nothing changes.
  const big = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
  expect(await api(b, 'blindTransfer', callId, '5000', { userData: big })).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
  expect((await panelSim.calls()).find((c) => c.callId === callId)!.data).toEqual(sim.data);
  await logOut(b);
  await context.close();
  await panelSim.hangUpAll();
  await logOut(page);
});
