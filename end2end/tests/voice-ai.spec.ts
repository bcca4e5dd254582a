import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test, expect } from './fixtures';
import type { Page } from '@playwright/test';
import { startServer, type CcpServer } from 'ccp-testkit';
import { HOST } from '../playwright.config';

/**
 * Voice AI on one machine: the server forks an answered call's audio to the
 * example engine (examples/voice-ai, PocketSphinx from PyPI), the simulated
 * customer speaks a sentence (espeak-ng), and what the engine recognises
 * comes back into the panel (transcript, intent, suggestion, summary) and to
 * the host page over postMessage.
 */

const SERVER_PORT = 3120;
const ENGINE_PORT = 3121;
const SENTENCE = 'I would like a refund for my last order';

/** The example engine, started like an integrator would (its README). */
class Engine {
  private child?: ChildProcess;

  async start() {
    this.child = spawn(
      '../examples/voice-ai/.venv/bin/python',
      [
        '../examples/voice-ai/engine.py',
        '--listen', `127.0.0.1:${ENGINE_PORT}`,
        '--server', `http://127.0.0.1:${SERVER_PORT}`,
        // The panel's microphone is silent here: the customer's side only.
        '--tracks', 'inbound',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    this.child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      this.child!.once('exit', (code) => reject(new Error(`engine exited (${code})`)));
      this.child!.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('ready ')) resolve();
      });
    });
    return this;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}

test.describe('Voice AI', () => {
  // Speech recognition in Python on two cores, next to a browser.
  test.describe.configure({ timeout: 90_000 });
  let engine: Engine;
  let server: CcpServer;

  test.beforeAll(async () => {
    engine = await new Engine().start();
    server = await startServer({ port: SERVER_PORT, args: [
      '--database', 'sqlite::memory:',
      '--wrap-up-seconds', '120',
      '--allowed-origin', HOST,
      '--media-fork-url', `ws://127.0.0.1:${ENGINE_PORT}/fork`,
    ] });
  });
  test.afterAll(async () => {
    await server?.stop();
    await engine?.stop();
  });

  async function say(callId: string, text: string) {
    const res = await fetch(`${server.url}/api/sim/calls/${callId}/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(200);
  }

  /** The CRM demo host with the panel of this test's server embedded, logged in. */
  async function crm(page: Page, agent: string) {
    const panel = `http://127.0.0.1:${SERVER_PORT}/embed`;
    await page.goto(`${HOST}/demo/crm.html?panel=${encodeURIComponent(panel)}&agentId=${agent}`);
    await expect(page.getByRole('status')).toHaveText('Phone panel ready');
    await page.evaluate(() => {
      (window as any).__voice = [];
      (window as any).panel.on('VoiceAIEvent', (e: unknown) => (window as any).__voice.push(e));
    });
    const frame = page.frameLocator('#panel iframe');
    const login = await page.evaluate((agentId) => (window as any).panel.call('login', { agentId, password: 'demo' }).then(() => true), agent);
    expect(login).toBe(true);
    await frame.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(frame.getByRole('status')).toHaveText('Ready');
    return frame;
  }

  test('the customer\'s words become a transcript, an intent and a suggestion, in the panel and the host; the summary fills the wrap-up note', async ({ page }) => {
    const panel = await crm(page, '1001');
    // Inside the frame, the panel's own window.OpenCTI listeners.
    const frame = page.frames().find((f) => f.url().includes('/embed'))!;
    await frame.evaluate(() => {
      (window as any).__inside = [];
      window.OpenCTI!.on('VoiceAIEvent', (e: any) => (window as any).__inside.push(e.pyEventName));
    });
    const callId = await server.sim.placeCall('2001');
    const card = panel.locator(`[data-call-id="${callId}"]`);
    await card.getByRole('button', { name: 'Answer' }).click();
    await expect(panel.getByRole('status')).toHaveText('On a call');
    await say(callId, SENTENCE);

    // The transcript: the customer's line, final once the sentence ends.
    const transcript = panel.getByRole('log', { name: 'Transcript' });
    await expect(transcript.locator('.utterance:not(.interim)').first()).toContainText('refund', { timeout: 30_000 });
    await expect(transcript.locator('.utterance').first()).toContainText('Customer');
    // The intent and the engine's advice, with its link.
    await expect(panel.locator('.assist-intent')).toContainText('refund');
    const suggestion = panel.getByRole('list', { name: 'Suggestions' }).getByRole('listitem');
    await expect(suggestion).toHaveCount(1);
    await expect(suggestion).toContainText('Refunds');
    await expect(suggestion.getByRole('link', { name: 'Open' })).toHaveAttribute('href', 'https://kb.example.com/refunds');
    await suggestion.getByRole('button', { name: 'Dismiss suggestion: Refunds' }).click();
    await expect(suggestion).toHaveCount(0);

    // The host page got the same events.
    const hosted = () => page.evaluate(() => (window as any).__voice as { pyEventName: string; pyCallId: string; pyText?: string }[]);
    await expect.poll(async () => (await hosted()).map((e) => e.pyEventName)).toEqual(expect.arrayContaining(['Utterance', 'Intent', 'Suggestion']));
    expect((await hosted()).every((e) => e.pyCallId === callId)).toBe(true);
    expect(await frame.evaluate(() => (window as any).__inside)).toEqual(expect.arrayContaining(['Utterance', 'Intent', 'Suggestion']));

    // Hang up: the engine's summary arrives for the wrap-up and fills the note.
    await card.getByRole('button', { name: 'Hang up' }).click();
    await expect(panel.getByRole('status')).toHaveText('After-call work');
    const note = panel.getByRole('textbox', { name: 'Note' });
    await expect(note).toHaveValue(/refund/, { timeout: 30_000 });
    await expect(panel.locator('.assist-summary')).toContainText('refund');
    await expect.poll(async () => (await hosted()).some((e) => e.pyEventName === 'Summary')).toBe(true);
  });
});
