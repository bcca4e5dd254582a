// Takes the README's screenshots of the panel from a running server.
// Usage: node support/screenshots.mjs [http://127.0.0.1:3000] [out-dir]
// (scripts/screenshots.sh starts a server and calls this.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = process.argv[3] ?? '../docs/screenshots';
// The agent's microphone: a steady 440 Hz tone (48 kHz mono WAV), so the
// softphone's level meter shows speech-like activity.
const wav = Buffer.alloc(44 + 96_000 * 2);
wav.write('RIFF', 0); wav.writeUInt32LE(36 + 96_000 * 2, 4); wav.write('WAVEfmt ', 8); wav.writeUInt32LE(16, 16);
wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(48_000, 24); wav.writeUInt32LE(96_000, 28);
wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write('data', 36); wav.writeUInt32LE(96_000 * 2, 40);
for (let i = 0; i < 96_000; i++) wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / 48_000) * 12_000), 44 + i * 2);
const tone = join(mkdtempSync(join(tmpdir(), 'ccp-shots-')), 'tone.wav');
writeFileSync(tone, wav);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${tone}`],
});

async function sim(path, body) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return res.json();
}

async function panel(colorScheme, viewport, path = '/') {
  const context = await browser.newContext({ colorScheme, viewport });
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => !!window.OpenCTI);
  return { page, context };
}

const shots = [];
{
  const { page, context } = await panel('light', { width: 900, height: 640 });
  await page.screenshot({ path: `${out}/logged-out.png` });
  await page.evaluate(() => window.OpenCTI.login('1001', 'demo', '2001'));
  await page.evaluate(() => window.OpenCTI.agentReady());
  await page.getByRole('status').getByText('Ready').waitFor();
  await page.screenshot({ path: `${out}/ready.png` });
  const { callId } = await sim('/api/sim/calls', { from: '+15551230001', to: '2001', data: { account: '42', name: 'Grace Hopper' } });
  await page.getByRole('button', { name: 'Answer' }).waitFor();
  await page.screenshot({ path: `${out}/alerting.png` });
  await page.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Hold' }).waitFor();
  await page.screenshot({ path: `${out}/on-a-call.png` });
  // The softphone: audio connected, the microphone's level moving.
  await page.locator('.audio-status', { hasText: 'Audio connected' }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[role=meter]')?.getAttribute('aria-valuenow')) > 30);
  await page.screenshot({ path: `${out}/softphone.png` });
  // A consultation with a second agent, who answers.
  const { page: other, context: otherContext } = await panel('light', { width: 400, height: 300 });
  await other.evaluate(() => window.OpenCTI.login('1003', 'demo', '2003'));
  await page.getByLabel('Phone number').fill('2003');
  await page.getByLabel('Note for the next agent').fill('Asks about invoice 1234');
  await page.getByRole('button', { name: 'Consult' }).click();
  await other.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Complete transfer' }).waitFor();
  await page.setViewportSize({ width: 900, height: 900 });
  await page.screenshot({ path: `${out}/consult.png` });
  await page.setViewportSize({ width: 900, height: 640 });
  for (const call of await page.evaluate(() => window.OpenCTI.getState().pyCalls)) {
    if (call.pyCallType === 'CONSULT') await page.evaluate((id) => window.OpenCTI.hangUpCall(id), call.pyCallId);
  }
  await other.evaluate(() => window.OpenCTI.completeWrapUp().catch(() => {}).then(() => window.OpenCTI.logout()));
  await otherContext.close();
  await page.evaluate((id) => window.OpenCTI.retrieveCall(id), callId);
  await sim(`/api/sim/calls/${callId}/hangup`);
  await page.getByRole('button', { name: 'Finish wrap-up' }).waitFor();
  await page.getByLabel('Disposition').selectOption('Sale');
  await page.getByLabel('Note').fill('Wants the yearly plan');
  await page.screenshot({ path: `${out}/wrap-up.png` });
  await page.getByRole('button', { name: 'Finish wrap-up' }).click();
  await page.evaluate(() => window.OpenCTI.logout());
  await context.close();
  shots.push('logged-out', 'ready', 'alerting', 'on-a-call', 'softphone', 'consult', 'wrap-up');
}
{
  // A queue call that rang out (the server runs with a 2 s ring timeout).
  const { page, context } = await panel('light', { width: 360, height: 640 }, '/embed');
  await page.evaluate(() => window.OpenCTI.login('1004', 'demo', '2004'));
  await page.evaluate(() => window.OpenCTI.agentReady());
  await sim('/api/sim/calls', { from: '+15557654321', to: '5001' });
  await page.getByRole('button', { name: 'Dismiss notice' }).waitFor();
  await page.screenshot({ path: `${out}/missed-360x640.png` });
  for (const call of await (await fetch(`${base}/api/sim/calls`)).json()) await sim(`/api/sim/calls/${call.callId}/hangup`);
  await page.evaluate(() => window.OpenCTI.logout());
  await context.close();
  shots.push('missed-360x640');
}
{
  // The conversation assistant at the iframe's size: what an AI engine said
  // (posted here directly; examples/voice-ai produces the same).
  const { page, context } = await panel('light', { width: 360, height: 640 }, '/embed');
  await page.evaluate(() => window.OpenCTI.login('1003', 'demo', '2003'));
  const { callId } = await sim('/api/sim/calls', { from: '+15551230003', to: '2003', data: { account: '1234' } });
  await page.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Hold' }).waitFor();
  await sim(`/api/calls/${callId}/conversation-events`, { events: [
    { type: 'utterance', speaker: 'agent', text: 'Thank you for calling, how can I help?', final: true },
    { type: 'utterance', speaker: 'customer', text: 'i would like a refund on my last order', final: true },
    { type: 'intent', name: 'refund', confidence: 0.8 },
    { type: 'suggestion', title: 'Refunds', text: 'Refunds go back to the original payment within 5 days; orders of the last 30 days qualify.', url: 'https://kb.example.com/refunds' },
    { type: 'utterance', speaker: 'customer', text: 'it was the blue', final: false },
  ] });
  await page.getByRole('log', { name: 'Transcript' }).getByText('it was the blue').waitFor();
  await page.screenshot({ path: `${out}/assistant-360x640.png` });
  await sim(`/api/sim/calls/${callId}/hangup`);
  await page.evaluate(() => window.OpenCTI.logout());
  await context.close();
  shots.push('assistant-360x640');
}
{
  const { page, context } = await panel('dark', { width: 360, height: 640 }, '/embed');
  await page.evaluate(() => window.OpenCTI.login('1002', 'demo', '2002'));
  const { callId } = await sim('/api/sim/calls', { from: '+15551230002', to: '2002', data: { account: '7' } });
  await page.getByRole('button', { name: 'Answer' }).waitFor();
  await page.screenshot({ path: `${out}/embed-dark-360x640.png` });
  await sim(`/api/sim/calls/${callId}/hangup`);
  await page.evaluate(() => window.OpenCTI.logout());
  await context.close();
  shots.push('embed-dark-360x640');
}
for (const lang of ['es', 'de', 'ar']) {
  // Each language on a call, at the iframe size (Arabic right to left).
  const m = JSON.parse(readFileSync(new URL(`../../app/locales/${lang}.json`, import.meta.url), 'utf8'));
  const { page, context } = await panel('light', { width: 360, height: 640 }, `/embed?lang=${lang}`);
  await page.evaluate(() => window.OpenCTI.login('1002', 'demo', '2002'));
  const { callId } = await sim('/api/sim/calls', { from: '+15551230002', to: '2002', data: { account: '7' } });
  await page.getByRole('button', { name: m.call.answer }).click();
  await page.getByRole('button', { name: m.call.hold }).waitFor();
  await page.screenshot({ path: `${out}/lang-${lang}-360x640.png` });
  await sim(`/api/sim/calls/${callId}/hangup`);
  await page.evaluate(() => window.OpenCTI.completeWrapUp().catch(() => {}).then(() => window.OpenCTI.logout()));
  await context.close();
  shots.push(`lang-${lang}-360x640`);
}
{
  // The supervisor view: two agents working, a call waiting, an action done.
  const agents = [];
  for (const [agent, ready] of [['1001', true], ['1002', false]]) {
    const a = await panel('light', { width: 400, height: 640 });
    await a.page.evaluate((id) => window.OpenCTI.login(id, 'demo', `200${id.slice(3)}`), agent);
    if (ready) await a.page.evaluate(() => window.OpenCTI.agentReady());
    agents.push(a);
  }
  const { callId } = await sim('/api/sim/calls', { from: '+15551230001', to: '5000' });
  await agents[0].page.getByRole('button', { name: 'Answer' }).click();
  await sim('/api/sim/calls', { from: '+15551230003', to: '5001' });
  for (const [scheme, viewport, name] of [['light', { width: 1280, height: 760 }, 'supervisor'], ['dark', { width: 360, height: 640 }, 'supervisor-dark-360x640']]) {
    const context = await browser.newContext({ colorScheme: scheme, viewport });
    const page = await context.newPage();
    await page.goto(`${base}/supervisor`);
    await page.locator('.supervisor-page[data-hydrated="true"]').waitFor();
    await page.getByLabel('User ID').fill('9001');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('tr[data-agent="1001"] .sv-state', { hasText: 'On a call' }).waitFor();
    if (scheme === 'light') {
      await page.locator('tr[data-agent="1002"]').getByRole('button', { name: 'Force not ready' }).click();
      await page.getByRole('dialog').getByLabel('Reason').fill('Coaching session');
      await page.getByRole('dialog').getByRole('button', { name: 'Force not ready' }).click();
      await page.getByRole('region', { name: 'Audit log' }).getByRole('listitem').first().waitFor();
    }
    await page.screenshot({ path: `${out}/${name}.png`, fullPage: scheme === 'light' });
    await context.close();
    shots.push(name);
  }
  await sim(`/api/sim/calls/${callId}/hangup`);
  for (const a of agents) {
    await a.page.evaluate(() => window.OpenCTI.logout().catch(() => {}));
    await a.context.close();
  }
}
await browser.close();
console.log(shots.map((s) => `${out}/${s}.png`).join('\n'));
