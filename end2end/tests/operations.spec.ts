import { test as plain, type Page } from '@playwright/test';
import { test, expect, hydrated, agentPanel } from './fixtures';
import { api, logOut } from './helpers';
import { startServer, type CcpServer } from 'ccp-testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function goReady(page: Page) {
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('Ready');
}

/** The agent's state as another agent's directory shows it. */
async function stateInDirectory(page: Page, agentId: string) {
  const result = await api(page, 'getDirectory');
  const agents = (result as { value: { pyAgents: { pyAgentId: string; pyAgentState: string }[] } }).value.pyAgents;
  return agents.find((a) => a.pyAgentId === agentId)?.pyAgentState;
}

test.describe('a day of operations', () => {
  let server: CcpServer;

  test.beforeAll(async () => {
    server = await startServer({ args: [
      '--database', 'sqlite::memory:',
      '--session-grace-seconds', '1',
      '--ring-timeout-seconds', '2',
    ] });
  });
  test.afterAll(async () => server.stop());
  test.afterEach(async () => server.sim.hangUpAll());

  test('an agent who closes the panel while Ready is logged out after the grace period; calls go to another agent', async ({ browser }) => {
    const gone = await agentPanel(browser, server.url, '1001');
    await goReady(gone.page);
    const stays = await agentPanel(browser, server.url, '1002');
    await goReady(stays.page);
    await gone.context.close();
    await expect.poll(() => stateInDirectory(stays.page, '1001')).toBe('Logout');
    const callId = await server.sim.placeCall('5000');
    await expect(stays.page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
    await expect(stays.page.getByRole('status')).toHaveText('Ready. Incoming call from +15551230001');
    await logOut(stays.page);
    await stays.context.close();
  });

  test('a queue call not answered within the ring timeout moves to the next agent, and the first is Not ready (Missed)', async ({ browser }) => {
    const first = await agentPanel(browser, server.url, '1003');
    await goReady(first.page);
    const second = await agentPanel(browser, server.url, '1004');
    await goReady(second.page);
    const callId = await server.sim.placeCall('5001');
    await expect(first.page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
    // Nobody answers: after the ring timeout the call rings the second agent.
    await expect(second.page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
    await expect(first.page.locator(`[data-call-id="${callId}"]`)).toHaveCount(0);
    await expect(first.page.getByRole('status')).toHaveText(
      'Not ready. Missed call from +15551230001: it went to another agent. Choose Ready to take calls again.',
    );
    await expect(first.page.locator('.agent-bar')).toContainText('(Missed)');
    await first.page.getByRole('button', { name: 'Dismiss notice' }).click();
    await expect(first.page.getByRole('status')).toHaveText('Not ready');
    for (const panel of [first, second]) {
      await logOut(panel.page);
      await panel.context.close();
    }
  });

  test("recent calls come from the server: they survive a reload and a new login, and never show another agent's calls", async ({ browser }) => {
    const { page, context } = await agentPanel(browser, server.url, '1001');
    await goReady(page);
    const callId = await server.sim.placeCall('5000', { from: '+15557654321' });
    await page.locator(`[data-call-id="${callId}"]`).getByRole('button', { name: 'Answer' }).click();
    await page.locator(`[data-call-id="${callId}"]`).getByRole('button', { name: 'Hang up' }).click();
    await page.getByLabel('Disposition').selectOption('Sale');
    await page.getByLabel('Note').fill('Wants the yearly plan');
    await page.getByRole('button', { name: 'Finish wrap-up' }).click();
    const recent = page.getByRole('region', { name: 'Recent calls' });
    await expect(recent).toContainText('+15557654321');
    await expect(recent).toContainText('Sale');

    await page.reload();
    await hydrated(page);
    await expect(recent).toContainText('+15557654321');
    await expect(recent).toContainText('Answered');
    await expect(recent).toContainText('Sale');

    const logInAs = async (agent: string) => {
      await page.getByLabel('Agent ID').fill(agent);
      await page.getByLabel('Password').fill('demo');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByRole('status')).toHaveText('Not ready');
    };
    await logOut(page);
    await logInAs('1002');
    await expect(page.getByText('+15557654321')).toHaveCount(0);
    await logOut(page);
    await logInAs('1001');
    await expect(recent).toContainText('+15557654321');
    // The record holds the disposition and the note.
    const records = await (await fetch(`${server.url}/api/calls?agent=1001`)).json();
    expect(records[0]).toMatchObject({ callId, outcome: 'answered', legs: [{ agentId: '1001', disposition: 'Sale', note: 'Wants the yearly plan' }] });
    await logOut(page);
    await context.close();
  });
});

// Plain Playwright here: while the server restarts, the browser logs its
// failed reconnection attempts as console errors, which is what must happen.
plain('after a restart on the same database, panels show their agents logged in with their state, without a click', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-restart-'));
  const flags = ['--database', join(dir, 'ccp.sqlite')];
  const server = await startServer({ args: flags });
  const ready = await agentPanel(browser, server.url, '1001');
  await goReady(ready.page);
  const resting = await agentPanel(browser, server.url, '1002');
  await resting.page.getByRole('button', { name: 'Not ready', exact: true }).click();
  await resting.page.getByRole('menuitem', { name: 'Lunch' }).click();
  await expect(resting.page.getByRole('status')).toHaveText('Not ready');
  // A call is up when the server stops.
  const up = await server.sim.placeCall('5000');
  await ready.page.locator(`[data-call-id="${up}"]`).getByRole('button', { name: 'Answer' }).click();
  await expect(ready.page.getByRole('status')).toHaveText('On a call');

  await server.stop();
  await expect(ready.page.getByText('Connection lost. Reconnecting…')).toBeVisible();
  await server.restart();

  for (const [panel, state] of [[ready, 'Ready. A call ended while the panel was disconnected.'], [resting, 'Not ready']] as const) {
    await expect(panel.page.getByText('Connection lost. Reconnecting…')).toHaveCount(0, { timeout: 20_000 });
    await expect(panel.page.getByRole('status')).toHaveText(state);
    await expect(panel.page.getByRole('button', { name: 'Log in' })).toHaveCount(0);
  }
  await expect(resting.page.locator('.agent-bar')).toContainText('(Lunch)');
  await expect(ready.page.locator(`[data-call-id="${up}"]`)).toHaveCount(0);
  // Said once: it goes when dismissed.
  await ready.page.getByRole('button', { name: 'Dismiss notice' }).click();
  await expect(ready.page.getByRole('status')).toHaveText('Ready');
  // And the restored agent takes calls.
  const callId = await server.sim.placeCall('5000');
  await expect(ready.page.locator(`[data-call-id="${callId}"]`)).toBeVisible();
  await server.sim.hangUpAll();
  for (const panel of [ready, resting]) {
    await logOut(panel.page);
    await panel.context.close();
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});
