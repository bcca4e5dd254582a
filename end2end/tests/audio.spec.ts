import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { test, expect, agentPanel } from './fixtures';
import { startServer, type CcpServer } from 'ccp-testkit';
import { baseArgs, executablePath, inbound, launchWithTone, recordPeers, simAudio } from '../support/media';

/**
 * The softphone's acceptance: real WebRTC audio between Debian Chromium
 * (fake microphone playing a tone this file writes) and the server's media
 * plane, with the simulator's far end measuring what it hears.
 */

const agent = (browser: Browser, server: CcpServer, id: string) => agentPanel(browser, server.url, id, recordPeers);

const card = (page: Page, callId: string) => page.locator(`[data-call-id="${callId}"]`);

/** Waits until a number stops growing between polls: a stream stopped. */
async function stopsGrowing(read: () => Promise<number>) {
  let last = -1;
  await expect
    .poll(
      async () => {
        const now = await read();
        const still = now === last;
        last = now;
        return still;
      },
      { intervals: [600], timeout: 10_000 },
    )
    .toBe(true);
  return last;
}

test.describe('softphone audio', () => {
  // Two or three browser contexts with live media on two cores.
  test.describe.configure({ timeout: 60_000 });
  let server: CcpServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  test.beforeAll(async () => {
    server = await startServer({ port: 3110, args: ['--database', 'sqlite::memory:', '--wrap-up-seconds', '0'] });
    browser = await launchWithTone();
  });
  test.afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  test.afterEach(async () => {
    await server.sim.hangUpAll();
    for (const context of contexts.splice(0)) await context.close();
  });

  async function open(id: string) {
    const panel = await agent(browser, server, id);
    contexts.push(panel.context);
    return panel.page;
  }

  // Calls ring an extension, not a queue: an earlier test's agent stays
  // logged in (and Ready) for the session's grace period.
  async function ready(page: Page) {
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Ready');
  }

  test('an answered call carries audio both ways; Mute silences the agent; Hold plays the hold tone', async () => {
    const page = await open('1001');
    expect((await page.evaluate(() => window.OpenCTI!.getCapabilities())).capabilities).toContain('audio');
    await ready(page);
    // Nothing is asked for at page load: no microphone, no connection.
    expect(await page.evaluate(() => (window as any).__peers.length)).toBe(0);
    await expect(page.getByRole('button', { name: 'Mute' })).toHaveCount(0);
    const callId = await server.sim.placeCall('2001');
    await expect(card(page, callId)).toBeVisible();
    // The microphone was asked for at the call, and the link is up before the answer.
    await expect(page.locator('.audio-status')).toHaveText('Audio connected');
    const playback = () => page.evaluate(() => (window as any).__playback.at(-1));
    expect(await playback()).not.toBe('play');
    await card(page, callId).getByRole('button', { name: 'Answer' }).click();
    await expect.poll(playback).toBe('play');

    // Customer → agent: the page receives the far end's prompt.
    await expect.poll(async () => (await inbound(page)).packets).toBeGreaterThan(20);
    await expect.poll(async () => (await inbound(page)).level).toBeGreaterThan(0);
    // Agent → customer: the simulator hears the agent's tone.
    await expect.poll(async () => (await simAudio(server, callId)).received).toBeGreaterThan(20);
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);
    expect((await simAudio(server, callId)).sent).toBeGreaterThan(20);
    const meter = page.getByRole('meter', { name: 'Microphone level' });
    await expect.poll(async () => Number(await meter.getAttribute('aria-valuenow'))).toBeGreaterThan(0);

    // Mute: within 2 s the customer hears silence; unmute brings the agent back.
    const mute = page.getByRole('button', { name: 'Mute' });
    await expect(mute).toHaveAttribute('aria-pressed', 'false');
    await mute.click();
    await expect(mute).toHaveAttribute('aria-pressed', 'true');
    await expect(card(page, callId).locator('.call-audio')).toHaveText('Muted');
    await expect.poll(async () => (await simAudio(server, callId)).level, { timeout: 2_000 }).toBeLessThan(-60);
    await expect(meter).toHaveAttribute('aria-valuenow', '0');
    await mute.click();
    await expect(mute).toHaveAttribute('aria-pressed', 'false');
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);

    // Hold: the agent's inbound audio stops, the customer hears the hold tone.
    await card(page, callId).getByRole('button', { name: 'Hold' }).click();
    await expect(card(page, callId).locator('.call-state')).toHaveText('On hold');
    const heldAt = await stopsGrowing(async () => (await inbound(page)).packets);
    const before = (await simAudio(server, callId)).received;
    await expect.poll(async () => (await simAudio(server, callId)).received).toBeGreaterThan(before + 20);
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);
    // Retrieve: both ways again.
    await card(page, callId).getByRole('button', { name: 'Retrieve' }).click();
    await expect.poll(async () => (await inbound(page)).packets).toBeGreaterThan(heldAt + 20);
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);

    // Hang up: playback stops and nothing more reaches the page.
    await card(page, callId).getByRole('button', { name: 'Hang up' }).click();
    await expect(card(page, callId)).toHaveCount(0);
    await expect.poll(playback).toBe('pause');
    await stopsGrowing(async () => (await inbound(page)).packets);
  });

  test('the chosen microphone is remembered in this browser', async () => {
    const page = await open('1002');
    await ready(page);
    const callId = await server.sim.placeCall('2002');
    await expect(page.locator('.audio-status')).toHaveText('Audio connected');
    await page.getByText('Audio devices').click();
    const microphone = page.getByLabel('Microphone', { exact: true });
    // The browser names its devices once the microphone is allowed.
    await expect.poll(async () => microphone.locator('option').count()).toBeGreaterThan(1);
    const device = await microphone.locator('option').nth(1).getAttribute('value');
    await microphone.selectOption(device!);
    expect(await page.evaluate(() => localStorage.getItem('opencti.audio.input'))).toBe(device);
    // The audio still flows from the new device.
    await card(page, callId).getByRole('button', { name: 'Answer' }).click();
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);
    // A new page in the same browser comes back with the choice.
    await page.reload();
    await expect(page.getByRole('status')).toHaveText('On a call');
    await expect(page.locator('.audio-status')).toHaveText('Audio connected');
    await page.getByText('Audio devices').click();
    await expect(page.getByLabel('Microphone', { exact: true })).toHaveValue(device!);
  });

  test('a consultation carries audio between two agents; a conference mixes all three', async () => {
    // Agents of their own: the first test's session outlives its context.
    const a = await open('1003');
    const b = await open('1004');
    await ready(a);
    const callId = await server.sim.placeCall('2003');
    await card(a, callId).getByRole('button', { name: 'Answer' }).click();
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);

    await a.getByLabel('Phone number').fill('2004');
    await card(a, callId).getByRole('button', { name: 'Consult' }).click();
    const consult = b.locator('.call-card.ringing');
    await expect(consult).toBeVisible();
    await consult.getByRole('button', { name: 'Answer' }).click();
    // A and B hear each other; the customer hears the hold tone meanwhile.
    const aAt = (await inbound(a)).packets;
    await expect.poll(async () => (await inbound(b)).packets).toBeGreaterThan(20);
    await expect.poll(async () => (await inbound(b)).level).toBeGreaterThan(0);
    await expect.poll(async () => (await inbound(a)).packets).toBeGreaterThan(aAt + 20);
    await expect.poll(async () => (await inbound(a)).level).toBeGreaterThan(0);
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);

    // Conference: everyone hears. The customer hears both agents; with A
    // muted the customer still hears B, and A and B still hear the customer.
    await a.getByRole('button', { name: 'Complete conference' }).click();
    await expect(card(a, callId).getByLabel('Parties')).toBeVisible();
    await a.getByRole('button', { name: 'Mute' }).click();
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeGreaterThan(-40);
    await b.getByRole('button', { name: 'Mute' }).click();
    // Both agents muted: the customer hears nothing, the agents hear the customer.
    await expect.poll(async () => (await simAudio(server, callId)).level).toBeLessThan(-60);
    const aNow = (await inbound(a)).packets;
    const bNow = (await inbound(b)).packets;
    await expect.poll(async () => (await inbound(a)).packets).toBeGreaterThan(aNow + 20);
    await expect.poll(async () => (await inbound(b)).packets).toBeGreaterThan(bNow + 20);
    await expect.poll(async () => (await inbound(a)).level).toBeGreaterThan(0);
    await expect.poll(async () => (await inbound(b)).level).toBeGreaterThan(0);
  });
});

test('a denied microphone is explained and the call controls keep working', async () => {
  const server = await startServer({ port: 3111, args: ['--database', 'sqlite::memory:', '--wrap-up-seconds', '0'] });
  // No fake-UI flag: the browser refuses the microphone, as a user who says no.
  const browser = await chromium.launch({ executablePath, args: [...baseArgs, '--use-fake-device-for-media-stream'] });
  try {
    const { page } = await agent(browser, server, '1001');
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    const callId = await server.sim.placeCall('5000');
    await expect(page.locator('.audio-status')).toContainText('Microphone blocked');
    await expect(page.getByRole('button', { name: 'Mute' })).toBeDisabled();
    await card(page, callId).getByRole('button', { name: 'Answer' }).click();
    await card(page, callId).getByRole('button', { name: 'Hold' }).click();
    await expect(card(page, callId).locator('.call-state')).toHaveText('On hold');
    await card(page, callId).getByRole('button', { name: 'Retrieve' }).click();
    await expect(card(page, callId).locator('.call-state')).toHaveText('Connected');
    await card(page, callId).getByRole('button', { name: 'Hang up' }).click();
    await expect(card(page, callId)).toHaveCount(0);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a softphone that cannot be fetched is explained and the call controls keep working', async () => {
  const server = await startServer({ port: 3112, args: ['--database', 'sqlite::memory:', '--wrap-up-seconds', '0'] });
  const browser = await launchWithTone();
  try {
    const { page } = await agent(browser, server, '1001');
    // The softphone's chunk is fetched at the first call: the network fails it.
    await page.route('**/pkg/split_softphone.wasm', (route) => route.abort('failed'));
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    const callId = await server.sim.placeCall('5000');
    await expect(page.locator('.audio-status')).toContainText('No audio: the softphone could not be loaded');
    await card(page, callId).getByRole('button', { name: 'Answer' }).click();
    await card(page, callId).getByRole('button', { name: 'Hold' }).click();
    await expect(card(page, callId).locator('.call-state')).toHaveText('On hold');
    await card(page, callId).getByRole('button', { name: 'Hang up' }).click();
    await expect(card(page, callId)).toHaveCount(0);
    // The next call tries again, and has audio.
    await page.unroute('**/pkg/split_softphone.wasm');
    const next = await server.sim.placeCall('5000');
    await card(page, next).getByRole('button', { name: 'Answer' }).click();
    await expect(page.locator('.audio-status')).toContainText('Audio connected');
  } finally {
    await browser.close();
    await server.stop();
  }
});
