import { test, expect, hydrated } from './fixtures';
import type { Browser, Page } from '@playwright/test';
import { logIn as logInWithForm } from 'ccp-testkit';
import { logOut, panelSim } from './helpers';

test.afterEach(async ({ page, request, consoleErrors }) => {
  await logOut(page);
  await panelSim.hangUpAll();
});

/** Opens the panel and logs in through the form (the test kit's logIn). */
async function logIn(page: Page, agent: string, extension?: string) {
  await page.goto('/');
  await logInWithForm(page, agent, { extension });
  await expect(page.getByRole('status')).toHaveText('Not ready');
}

/** A second agent in its own browser context. */
async function secondAgent(browser: Browser, agent: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, agent);
  return { page, close: async () => { await logOut(page); await context.close(); } };
}

function card(page: Page, callId: string) {
  return page.locator(`[data-call-id="${callId}"]`);
}

test('state changes: not ready with a reason, ready, log out', async ({ page, consoleErrors }) => {
  await logIn(page, '1003');
  await page.getByRole('button', { name: 'Not ready' }).click();
  const reasons = page.getByRole('menuitem');
  await expect(reasons).toHaveText(['Break', 'Lunch', 'Meeting', 'Training']);
  await page.getByRole('menuitem', { name: 'Lunch' }).click();
  await expect(page.getByRole('status')).toHaveText('Not ready');
  await expect(page.locator('.agent-state')).toContainText('(Lunch)');
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyReasonCode)).toBe('Lunch');
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('Ready');
  await expect(page.getByRole('button', { name: 'Ready', exact: true })).toBeDisabled();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  // The browser remembers the agent ID and extension (not the password).
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Agent ID')).toHaveValue('1003');
  await expect(page.getByLabel('Password')).toHaveValue('');
  expect(consoleErrors).toEqual([]);
});

test('inbound call: data shown, answer, hold, retrieve, keypad DTMF, hang up, wrap-up', async ({ page, request, consoleErrors }) => {
  await logIn(page, '1001');
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('Ready');
  const callId = await panelSim.placeCall('2001', { data: { account: '42', tier: 'gold' } });
  await expect(page.getByRole('status')).toHaveText('Ready. Incoming call from +15551230001');
  const call = card(page, callId);
  await expect(call.getByLabel('Call data')).toContainText('account42');
  await expect(call.getByRole('button', { name: 'Hold' })).toHaveCount(0);
  await call.getByRole('button', { name: 'Answer' }).click();
  await expect(page.getByRole('status')).toHaveText('On a call');
  await call.getByRole('button', { name: 'Hold' }).click();
  await expect(call).toContainText('On hold');
  await expect(page.getByRole('status')).toHaveText('On a call');
  await call.getByRole('button', { name: 'Retrieve' }).click();
  await expect(call).toContainText('Connected');
  await page.getByRole('button', { name: 'Keypad' }).click();
  for (const key of ['1', '2', '#']) await page.getByRole('button', { name: key, exact: true }).click();
  await expect.poll(async () => (await panelSim.calls()).find((c) => c.callId === callId)?.digits).toBe('12#');
  await call.getByRole('button', { name: 'Hang up' }).click();
  await expect(call).toHaveCount(0);
  await expect(page.getByRole('status')).toHaveText('After-call work');
  await expect(page.locator('.countdown')).toHaveText(/^0:(2\d|30)$/);
  await page.getByLabel('Disposition').selectOption('Resolved');
  await page.getByRole('button', { name: 'Finish wrap-up' }).click();
  await expect(page.getByRole('status')).toHaveText('Ready');
  await expect(page.getByRole('region', { name: 'Recent calls' })).toContainText('+15551230001');
  expect(consoleErrors).toEqual([]);
});

test('caller hangs up while ringing: the card goes and recent calls shows it abandoned', async ({ page, request, consoleErrors }) => {
  await logIn(page, '1001');
  const callId = await panelSim.placeCall('2001');
  await expect(card(page, callId)).toBeVisible();
  await panelSim.hangUp(callId);
  await expect(card(page, callId)).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Recent calls' })).toContainText('Abandoned');
  await expect(page.getByRole('status')).toHaveText('Not ready');
});

test('consult, then complete the transfer to a second agent', async ({ page, browser, request, consoleErrors }) => {
  await logIn(page, '1001');
  const b = await secondAgent(browser, '1002');
  const callId = await panelSim.placeCall('2001', { data: { account: '42' } });
  await card(page, callId).getByRole('button', { name: 'Answer' }).click();
  await page.getByLabel('Phone number').fill('2002');
  await card(page, callId).getByRole('button', { name: 'Consult' }).click();
  await expect(card(page, callId)).toContainText('On hold');
  await expect(page.getByRole('button', { name: 'Complete transfer' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Complete conference' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Swap' })).toBeVisible();
  await b.page.getByRole('button', { name: 'Answer' }).click();
  await expect(b.page.getByRole('status')).toHaveText('On a call');
  await page.getByRole('button', { name: 'Complete transfer' }).click();
  await expect(page.locator('.call-card')).toHaveCount(0);
  await expect(page.getByRole('status')).toHaveText('After-call work');
  // B now has the customer's call, under the original id, with its data.
  await expect(card(b.page, callId)).toContainText('+15551230001');
  await expect(card(b.page, callId).getByLabel('Call data')).toContainText('account42');
  expect((await panelSim.calls()).find((c) => c.callId === callId)?.parties).toEqual([
    { dn: '+15551230001', state: 'connected' },
    { dn: '2002', state: 'connected' },
  ]);
  await b.close();
  expect(consoleErrors).toEqual([]);
});

test('conference three parties, then drop one', async ({ page, browser, request, consoleErrors }) => {
  await logIn(page, '1001');
  const b = await secondAgent(browser, '1002');
  const callId = await panelSim.placeCall('2001');
  await card(page, callId).getByRole('button', { name: 'Answer' }).click();
  await page.getByLabel('Phone number').fill('2002');
  await card(page, callId).getByRole('button', { name: 'Conference' }).click();
  await b.page.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Swap' }).click();
  await expect(card(page, callId)).toContainText('Connected');
  await page.getByRole('button', { name: 'Swap' }).click();
  await page.getByRole('button', { name: 'Complete conference' }).click();
  const parties = card(page, callId).getByRole('list', { name: 'Parties' });
  await expect(parties).toContainText('+15551230001');
  await expect(parties).toContainText('2002');
  await expect(card(page, callId).getByRole('button', { name: 'Drop 2001' })).toHaveCount(0);
  await card(page, callId).getByRole('button', { name: 'Drop 2002' }).click();
  await expect(b.page.locator('.call-card')).toHaveCount(0);
  expect((await panelSim.calls()).find((c) => c.callId === callId)?.parties.map((p) => p.dn)).toEqual(['+15551230001', '2001']);
  await b.close();
});

test('blind transfer to a queue, and an outbound call answered by the simulator', async ({ page, request, consoleErrors }) => {
  await logIn(page, '1004');
  const callId = await panelSim.placeCall('2004');
  await card(page, callId).getByRole('button', { name: 'Answer' }).click();
  await page.getByLabel('Phone number').fill('5001');
  await card(page, callId).getByRole('button', { name: 'Transfer' }).click();
  await expect(card(page, callId)).toHaveCount(0);
  expect((await panelSim.calls()).find((c) => c.callId === callId)?.parties).toContainEqual({ dn: '5001', state: 'queued' });
  await panelSim.hangUp(callId);
  await page.getByRole('button', { name: 'Finish wrap-up' }).click();

  await page.getByLabel('Phone number').fill('+1 555 999 0000');
  await page.getByRole('button', { name: 'Dial' }).click();
  await expect(page.locator('.call-card')).toContainText('Dialing');
  const outbound = (await panelSim.calls()).find((c) => c.parties.some((p) => p.dn === '+15559990000'))!;
  expect((await request.post(`/api/sim/calls/${outbound.callId}/answer`)).status()).toBe(200);
  await expect(card(page, outbound.callId)).toContainText('Connected');
  await expect(page.getByRole('button', { name: 'Dial' })).toBeDisabled();
});

test('invalid numbers get a clear message and reach nobody', async ({ page, request, consoleErrors }) => {
  await logIn(page, '1003');
  await page.getByLabel('Phone number').fill('call me');
  await page.getByRole('button', { name: 'Dial' }).click();
  await expect(page.locator('.dialer .form-error')).toContainText('not a number that can be dialled');
  expect(await panelSim.calls()).toEqual([]);
});

test('the panel shows the link is down while the socket is cut', async ({ page, consoleErrors }) => {
  let cut = false;
  const sockets: { close: () => Promise<void> }[] = [];
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (cut) {
      ws.close();
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  await logIn(page, '1003');
  cut = true;
  await sockets[0].close();
  await expect(page.getByRole('alert').filter({ hasText: 'Connection lost' })).toBeVisible();
  cut = false;
  await expect(page.getByRole('alert').filter({ hasText: 'Connection lost' })).toHaveCount(0);
  await expect(page.getByRole('status')).toHaveText('Not ready');
});

test('a queued callback: asked for on the main line, offered as an outbound call, the customer dialled on Answer', async ({ page, consoleErrors }) => {
  await logIn(page, '1002');
  // The caller presses 4 on the main line (5100): their place in support is kept.
  const asked = await panelSim.placeCall('5100');
  await panelSim.dtmf(asked, '4');
  await expect.poll(async () => (await panelSim.calls()).filter((c) => c.data.callback === 'yes').length).toBe(1);
  const [waiting] = (await panelSim.calls()).filter((c) => c.data.callback === 'yes');
  expect(waiting).toMatchObject({ to: '+15551230001', queue: '5001', parties: [{ dn: '5001', state: 'queued' }] });

  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  const call = card(page, waiting.callId);
  await expect(call.getByLabel('Call data')).toContainText('callbackyes');
  await expect(page.getByRole('status')).toHaveText('Ready. Incoming call from +15551230001');
  await expect(call).toContainText('+15551230001');
  // Why it came: the support queue, by the skill its agents need.
  await expect(call.locator('.call-meta')).toContainText('Queue 5001Skills support');
  expect(await page.evaluate((id) => window.OpenCTI!.getState().pyCalls.find((c: any) => c.pyCallId === id), waiting.callId))
    .toMatchObject({ pyCallType: 'OUTBOUND', pyQueue: '5001', pySkills: ['support'] });
  await call.getByRole('button', { name: 'Answer' }).click();
  // The switch dials the customer, who answers.
  await expect.poll(async () => (await panelSim.call(waiting.callId))?.parties).toContainEqual({ dn: '+15551230001', state: 'alerting' });
  await panelSim.answer(waiting.callId);
  await expect(call).toContainText('Connected');
  expect((await panelSim.call(waiting.callId))?.parties).toEqual([
    { dn: '2002', state: 'connected' },
    { dn: '+15551230001', state: 'connected' },
  ]);
  await call.getByRole('button', { name: 'Hang up' }).click();
  await expect(call).toHaveCount(0);
});
