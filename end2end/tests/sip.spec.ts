import type { Browser, BrowserContext, Page } from '@playwright/test';
import { test, expect, agentPanel, hydrated } from './fixtures';
import { startServer, type CcpServer } from 'ccp-testkit';
import { inbound, launchWithTone, recordPeers, simAudio } from '../support/media';
import { sipp, udpBound } from '../support/sipp';
import { Baresip } from '../support/baresip';

/**
 * Real phones over SIP, with software nobody here wrote: SIPp (Debian's
 * sip-tester) plays a trunk's caller and a trunk, with `-rtp_echo` so that
 * what it receives goes back. The panel runs in Debian Chromium with a
 * fake microphone playing a tone.
 */

const SIP = 5130;
const TRUNK = 5132;
const DESK_SIP = 5135;

const card = (page: Page, callId: string) => page.locator(`[data-call-id="${callId}"]`);

test.describe('SIP trunk and desk phones', () => {
  test.describe.configure({ timeout: 60_000 });
  let server: CcpServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  test.beforeAll(async () => {
    server = await startServer({ port: 3130, args: [
      '--database',
      'sqlite::memory:',
      '--wrap-up-seconds',
      '0',
      '--sip-addr',
      `127.0.0.1:${SIP}`,
      '--sip-trunk',
      `sip:127.0.0.1:${TRUNK}`,
    ] });
    browser = await launchWithTone();
  });
  test.afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  test.afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function open(id: string) {
    const panel = await agentPanel(browser, server.url, id, recordPeers);
    contexts.push(panel.context);
    return panel.page;
  }

  test('a trunk caller to a queue is answered in the panel with G.711 audio both ways', async () => {
    const page = await open('1001');
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Ready');
    const caller = sipp('inbound-queue.xml', ['-s', '5000', `127.0.0.1:${SIP}`, '-p', '5131', '-mp', '6131', '-rtp_echo']);

    const ringing = page.locator('[data-call-id]');
    await expect(ringing).toBeVisible();
    const callId = (await ringing.getAttribute('data-call-id'))!;
    await expect(card(page, callId)).toContainText('+15551230001');
    await expect(card(page, callId)).toContainText('12345'); // X-AccountId, attached data
    await card(page, callId).getByRole('button', { name: 'Answer' }).click();
    await expect(card(page, callId).locator('.call-state')).toHaveText('Connected');

    // SIPp echoes what reaches it: the switch's leg gets the agent's tone
    // back, and the page hears it.
    await expect.poll(async () => (await simAudio(server, callId)).received).toBeGreaterThan(20);
    await expect.poll(async () => (await inbound(page)).packets).toBeGreaterThan(20);
    await expect.poll(async () => (await inbound(page)).level).toBeGreaterThan(0);

    await card(page, callId).getByRole('button', { name: 'Hang up' }).click();
    await expect(card(page, callId)).toHaveCount(0);
    const { code, stderr } = await caller.done;
    expect(code, stderr).toBe(0);
  });

  test('a call out through a SIPp trunk is answered, held, retrieved and hung up from the panel', async () => {
    const trunk = sipp('trunk-answer.xml', ['-p', String(TRUNK), '-mp', '6132', '-rtp_echo']);
    await expect.poll(() => udpBound(TRUNK)).toBe(true);
    const page = await open('1002');
    await page.getByLabel('Phone number').fill('+15559990000');
    await page.getByRole('button', { name: 'Dial', exact: true }).click();
    const call = page.locator('[data-call-id]');
    await expect(call.locator('.call-state')).toHaveText('Connected');
    await expect.poll(async () => (await inbound(page)).packets).toBeGreaterThan(20);

    await call.getByRole('button', { name: 'Hold' }).click();
    await expect(call.locator('.call-state')).toHaveText('On hold');
    await call.getByRole('button', { name: 'Retrieve' }).click();
    await expect(call.locator('.call-state')).toHaveText('Connected');
    await call.getByRole('button', { name: 'Hang up' }).click();
    await expect(call).toHaveCount(0);
    const { code, stderr } = await trunk.done;
    expect(code, stderr).toBe(0);
  });

  test('a trunk that refuses a call out fails it with the reason in the panel', async () => {
    const busy = sipp('trunk-busy.xml', ['-p', String(TRUNK)]);
    await expect.poll(() => udpBound(TRUNK)).toBe(true);
    const page = await open('1003');
    await page.getByLabel('Phone number').fill('+15550000486');
    await page.getByRole('button', { name: 'Dial', exact: true }).click();
    await expect(page.locator('.banner-info')).toContainText('+15550000486 is busy.');
    await expect(page.locator('[data-call-id]')).toHaveCount(0);
    const { code, stderr } = await busy.done;
    expect(code, stderr).toBe(0);
  });

  test('a trunk caller who hangs up while queued is recorded as abandoned', async () => {
    // Logged in, not ready: the queue is staffed and the call waits.
    await open('1004');
    const caller = sipp('queued-hangup.xml', ['-s', '5001', `127.0.0.1:${SIP}`, '-p', '5133']);
    const { code, stderr } = await caller.done;
    expect(code, stderr).toBe(0);
    await expect
      .poll(async () => {
        const records = (await (await fetch(`${server.url}/api/calls?limit=1`)).json()) as { ani: string; outcome: string }[];
        return records[0] && `${records[0].ani} ${records[0].outcome}`;
      })
      .toBe('+15551230002 abandoned');
  });
});

test.describe('a SIP desk phone under the panel', () => {
  test.describe.configure({ timeout: 60_000 });
  let server: CcpServer;
  let phone: Baresip;

  test.beforeAll(async () => {
    server = await startServer({ port: 3134, args: [
      '--database',
      'sqlite::memory:',
      '--config',
      'support/desk-phone.toml',
      '--sip-addr',
      `127.0.0.1:${DESK_SIP}`,
    ] });
    phone = await new Baresip(DESK_SIP, 5146, 'manual').start();
  });
  test.afterAll(async () => {
    await phone?.stop();
    await server?.stop();
  });

  test('the phone rings, is picked up on the phone, and the panel hangs it up', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto('/');
    await hydrated(page);
    await page.getByLabel('Agent ID').fill('1001');
    await page.getByLabel('Password').fill('demo');
    await page.getByLabel('Extension').fill('2005');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('status')).toHaveText('Not ready');
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Ready');

    const callId = await server.sim.placeCall('5000');
    // A phone answered by hand: no Answer button, no softphone controls;
    // the card says where to answer.
    await expect(card(page, callId).locator('.call-state')).toHaveText('Ringing');
    await expect(card(page, callId).getByText('Pick up your desk phone to answer.')).toBeVisible();
    await expect(card(page, callId).getByRole('button', { name: 'Answer' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Mute' })).toHaveCount(0);
    expect((await page.evaluate(() => window.OpenCTI!.getCapabilities())).capabilities).not.toContain('audio');

    await phone.command('accept');
    await expect(card(page, callId).locator('.call-state')).toHaveText('Connected');
    // The caller hears the phone's tone.
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);
    await card(page, callId).getByRole('button', { name: 'Hang up' }).click();
    await expect(card(page, callId)).toHaveCount(0);
    await context.close();
  });
});
