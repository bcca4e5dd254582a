import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, agentPanel } from './fixtures';
import { startServer, type CcpServer } from 'ccp-testkit';

/** Call recording from the agent's card and the supervisor's Calls
 * section, on a server of its own that records every customer call. */

test.describe('call recording', () => {
  let server: CcpServer;
  let dir: string;

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccp-recordings-'));
    server = await startServer({ port: 3114, args: [
      '--database', 'sqlite::memory:',
      '--wrap-up-seconds', '0',
      '--record-all',
      '--recordings-dir', dir,
    ] });
  });
  test.afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the card shows REC, pauses and resumes it; the supervisor finds the call and plays its recording', async ({ browser }) => {
    const agent = await agentPanel(browser, server.url, '1001');
    const page = agent.page;
    expect(await page.evaluate(() => window.OpenCTI!.getCapabilities().capabilities))
      .toEqual(expect.arrayContaining(['recording', 'pauseRecording', 'resumeRecording']));
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    const callId = await server.sim.placeCall('5000');
    const card = page.locator(`[data-call-id="${callId}"]`);
    // Ringing: not recorded yet, nothing to pause.
    await expect(card.getByRole('button', { name: 'Answer' })).toBeVisible();
    await expect(card.locator('.call-rec')).toHaveCount(0);
    await card.getByRole('button', { name: 'Answer' }).click();

    const rec = card.locator('.call-rec');
    await expect(rec).toHaveText('REC' + 'This call is being recorded');
    await expect(rec).toHaveAttribute('role', 'status');
    await expect(rec.locator('.visually-hidden')).toHaveText('This call is being recorded');
    await card.getByRole('button', { name: 'Pause recording' }).click();
    await expect(rec.locator('[aria-hidden="true"]')).toHaveText('Recording paused');
    await expect(rec).toHaveClass(/paused/);
    expect(await page.evaluate((id) => window.OpenCTI!.getState().pyCalls.find((c: any) => c.pyCallId === id)?.pyRecording, callId))
      .toBe('paused');
    // Pausing twice is refused and changes nothing.
    const twice = await page.evaluate((id) => window.OpenCTI!.pauseRecording(id).then(() => null, (e: any) => e.errCode), callId);
    expect(twice).toBe('OPENCTI_IN_SAME_STATE');
    await card.getByRole('button', { name: 'Resume recording' }).click();
    await expect(rec.locator('[aria-hidden="true"]')).toHaveText('REC');
    await expect(rec).not.toHaveClass(/paused/);
    await card.getByRole('button', { name: 'Hang up' }).click();
    await expect(card).toHaveCount(0);

    // The supervisor finds the call by its number and plays it.
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
    const s = await context.newPage();
    await s.goto('/supervisor');
    await expect(s.locator('.supervisor-page[data-hydrated="true"]')).toBeVisible();
    await s.getByLabel('User ID').fill('9001');
    await s.getByLabel('Password').fill('demo');
    await s.getByRole('button', { name: 'Log in' }).click();
    const calls = s.getByRole('region', { name: 'Calls' });
    await calls.getByLabel('Number').fill('+15551230001');
    await calls.getByLabel('Date').fill(new Date().toISOString().slice(0, 10));
    // The record is written once the recording's file has closed.
    const row = calls.locator(`tr[data-call-id="${callId}"]`);
    await expect(async () => {
      await calls.getByRole('button', { name: 'Search' }).click();
      await expect(row.getByRole('button', { name: `Recording of call ${callId}` })).toBeVisible({ timeout: 1_000 });
    }).toPass();
    await expect(row).toContainText('1001');
    await expect(row).toContainText('answered');
    await expect(row).toContainText('1 paused');
    await row.getByRole('button', { name: `Recording of call ${callId}` }).click();
    const audio = row.locator('audio');
    await expect(audio).toHaveAttribute('aria-label', `Recording of call ${callId}`);
    await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeGreaterThan(0);
    await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime)).toBeGreaterThan(0);
    // A number that made no call finds nothing.
    await calls.getByLabel('Number').fill('+15550000000');
    await calls.getByRole('button', { name: 'Search' }).click();
    await expect(calls.getByText('No calls match.')).toBeVisible();
    await context.close();
    await agent.close();
  });
});
