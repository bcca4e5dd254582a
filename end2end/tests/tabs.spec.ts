// A day's rough edges, in the browser: two tabs of one agent, a reload in
// the middle of a call, logout from one tab; Reject passing a queue call on
// to the next agent; "Call back" from Recent calls.
import { test, expect, hydrated } from './fixtures';
import { logOut, ok, openPanel, panelSim } from './helpers';

test.afterEach(async ({ request }) => {
  await panelSim.hangUpAll();
});

test('two tabs of one agent see the same call, either can act, a reload resumes, and logout ends both', async ({ page, context, request }) => {
  const tab2 = await context.newPage();
  await openPanel(page);
  await ok(page, 'login', '1002', 'demo');
  await openPanel(tab2);
  await ok(tab2, 'login', '1002', 'demo');
  const callId = await panelSim.placeCall('2002', { data: { account: '77' } });
  const card1 = page.locator(`[data-call-id="${callId}"]`);
  const card2 = tab2.locator(`[data-call-id="${callId}"]`);
  await expect(card1).toContainText('Ringing');
  await expect(card2).toContainText('Ringing');
  // Tab 2 answers, tab 1 holds: each sees the other's action.
  await card2.getByRole('button', { name: 'Answer' }).click();
  await expect(card1).toContainText('Connected');
  await card1.getByRole('button', { name: 'Hold' }).click();
  await expect(card2).toContainText('On hold');
  // A reload of tab 2 resumes the session with its call, without a login.
  await tab2.reload();
  await hydrated(tab2);
  await expect(tab2.locator(`[data-call-id="${callId}"]`)).toContainText('On hold');
  await expect(tab2.getByRole('button', { name: 'Log in' })).toHaveCount(0);
  // ...and it can still act.
  await tab2.locator(`[data-call-id="${callId}"]`).getByRole('button', { name: 'Retrieve' }).click();
  await expect(card1).toContainText('Connected');
  // Logging out in tab 1 logs tab 2 out too.
  await logOut(page);
  await expect(tab2.getByRole('button', { name: 'Log in' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  expect((await panelSim.calls()).map((c) => c.callId)).not.toContain(callId);
  await tab2.close();
});

test('Reject on a ringing queue call sends it to the next agent', async ({ page, browser, request }) => {
  const other = await (await browser.newContext()).newPage();
  await openPanel(page);
  await ok(page, 'login', '1001', 'demo');
  await openPanel(other);
  await ok(other, 'login', '1004', 'demo');
  await ok(page, 'agentReady', '1001');
  await ok(other, 'agentReady', '1004');
  const callId = await panelSim.placeCall('5000');
  // Whichever agent it rings first turns it away; it then rings the other.
  const first = await Promise.race([
    page.locator(`[data-call-id="${callId}"]`).waitFor().then(() => page),
    other.locator(`[data-call-id="${callId}"]`).waitFor().then(() => other),
  ]);
  const second = first === page ? other : page;
  await first.locator(`[data-call-id="${callId}"]`).getByRole('button', { name: 'Reject' }).click();
  await expect(first.locator(`[data-call-id="${callId}"]`)).toHaveCount(0);
  const card = second.locator(`[data-call-id="${callId}"]`);
  await expect(card).toContainText('Ringing');
  await card.getByRole('button', { name: 'Answer' }).click();
  await expect(card).toContainText('Connected');
  await logOut(page);
  await logOut(other);
  await other.context().close();
});

test('"Call back" in Recent calls dials the number', async ({ page, request }) => {
  await openPanel(page);
  await ok(page, 'login', '1003', 'demo');
  const caller = '+15557770003';
  const callId = await panelSim.placeCall('2003', { from: caller });
  const card = page.locator(`[data-call-id="${callId}"]`);
  await card.getByRole('button', { name: 'Answer' }).click();
  await expect(card).toContainText('Connected');
  await card.getByRole('button', { name: 'Hang up' }).click();
  // The click's hang-up is asynchronous: wrap-up starts when the server says so.
  await expect(page.getByRole('button', { name: 'Finish wrap-up' })).toBeVisible();
  await ok(page, 'completeWrapUp');
  await page.getByRole('button', { name: `Call back ${caller}` }).first().click();
  // An outbound call to the caller, from this agent's extension.
  await expect.poll(async () => (await panelSim.calls()).map((c) => [c.to, c.parties.map((p) => p.dn).sort()]))
    .toContainEqual([caller, ['2003', caller].sort()]);
  await expect(page.locator('[data-call-id]').first()).toContainText(caller);
  await logOut(page);
});

test('a caller who withholds their number is "Private number", in the status, the card and Recent calls, with no Call back', async ({ page, request }) => {
  await openPanel(page);
  await ok(page, 'login', '1003', 'demo');
  const callId = await panelSim.placeCall('2003', { from: 'anonymous' });
  const card = page.locator(`[data-call-id="${callId}"]`);
  await expect(page.getByRole('status')).toContainText('Incoming call from Private number');
  await expect(card).toContainText('Private number');
  await expect(card).not.toContainText('anonymous');
  // The Interface keeps the caller ID as received, for integrators.
  const state = await page.evaluate(() => (window as any).OpenCTI.getState());
  expect(state.pyCalls.find((c: { pyCallId: string }) => c.pyCallId === callId).pyANI).toBe('anonymous');
  await card.getByRole('button', { name: 'Answer' }).click();
  await expect(card).toContainText('Connected');
  await card.getByRole('button', { name: 'Hang up' }).click();
  await expect(page.getByRole('button', { name: 'Finish wrap-up' })).toBeVisible();
  await ok(page, 'completeWrapUp');
  const recent = page.getByRole('region', { name: 'Recent calls' });
  await expect(recent.getByText('Private number').first()).toBeVisible();
  await expect(recent.getByRole('button', { name: 'Call back Private number' })).toHaveCount(0);
  await logOut(page);
});
