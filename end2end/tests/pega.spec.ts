// A Pega Call OpenCTI adapter, unmodified (callbacks, JSON-string events
// through forwardEvent, pega.cti.API, pega.cti.Logger), runs as the panel's
// Implementation against a small CTI server of its own (support/fake-cti.ts):
// configured on the server (--pega-config), or chosen at run time with
// OpenCTI.usePegaImplementation.
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callOpenCti, events, logIn, panelReady, recordEvents, startServer, waitForEvent, type CcpServer } from 'ccp-testkit';
import { FakeCti } from '../support/fake-cti';

const ADAPTER = join(__dirname, '..', 'support', 'pega', 'acme-cti.js');

/** Console errors and warnings of a page, to compare with what a test expects. */
function consoleOf(page: Page) {
  const seen: string[] = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && seen.push(m.text()));
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  return seen;
}

function card(page: Page, callId: string) {
  return page.locator(`[data-call-id="${callId}"]`);
}

test.describe('a Pega adapter configured on the server', () => {
  let fake: FakeCti;
  let server: CcpServer;
  let dir: string;

  test.beforeAll(async () => {
    fake = await new FakeCti().start();
    dir = mkdtempSync(join(tmpdir(), 'ccp-pega-'));
    const config = join(dir, 'pega.toml');
    writeFileSync(
      config,
      [
        'implementation = "AcmeCti"',
        `scripts = [${JSON.stringify(ADAPTER)}]`,
        'timeout_seconds = 1',
        '[link]',
        'primary_host = "127.0.0.1"',
        `primary_port = ${fake.port}`,
        '[link.custom_properties]',
        'tenant = "acme"',
      ].join('\n'),
    );
    server = await startServer({ args: ['--pega-config', config] });
  });

  test.afterAll(async () => {
    await server.stop();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test.beforeEach(() => {
    fake.refuse.clear();
    fake.ignore.clear();
    fake.requests.length = 0;
  });

  test('login, Ready, a call offered, answered, held, retrieved and hung up, log out', async ({ page }) => {
    const seen = consoleOf(page);
    await page.goto(server.url);
    await panelReady(page);
    expect(await page.evaluate(() => window.OpenCTI!.getCapabilities())).toEqual({
      implementation: 'pega:AcmeCti',
      version: '3.1.4',
      capabilities: ['login', 'logout', 'agentReady', 'agentNotReady', 'makeCall', 'answerCall', 'holdCall', 'retrieveCall', 'hangUpCall'],
    });
    await recordEvents(page);
    await logIn(page, 'A1', { password: 'secret', extension: '7001' });
    // The adapter got Pega's arguments: the link definition from the
    // server's configuration reached it (its tenant property).
    expect(fake.requests[0]).toMatchObject({ op: 'Login', agent: 'A1', password: 'secret', station: '7001', tenant: 'acme' });
    await expect(page.getByRole('status')).toHaveText('Not ready');

    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText('Ready');
    expect(fake.requests.at(-1)).toMatchObject({ op: 'Ready', agent: 'A1', mode: 'MODE_AUTO_IN' });

    fake.offerCall('K1', '+15550001111', { account: '42' });
    await expect(page.getByRole('status')).toHaveText('Ready. Incoming call from +15550001111');
    const call = card(page, 'K1');
    await expect(call.getByLabel('Call data')).toContainText('account42');
    await call.getByRole('button', { name: 'Answer' }).click();
    await expect(page.getByRole('status')).toHaveText('On a call');
    await call.getByRole('button', { name: 'Hold' }).click();
    await expect(call).toContainText('On hold');
    await call.getByRole('button', { name: 'Retrieve' }).click();
    await expect(call).toContainText('Connected');
    await call.getByRole('button', { name: 'Hang up' }).click();
    await expect(call).toHaveCount(0);
    expect(fake.requests.map((r) => r.op)).toEqual(['Login', 'Ready', 'Answer', 'Hold', 'Retrieve', 'Release']);
    const names = (await events(page, { pyCallId: 'K1' })).map((e) => `${e.pyEventType}:${e.pyEventName}`);
    expect(names).toEqual([
      'CallInfoEvent:CallInfo', 'CallStateEvent:Alerting', 'CallStateEvent:Established',
      'CallStateEvent:Held', 'CallStateEvent:Retrieved', 'CallStateEvent:Disconnected',
    ]);

    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    expect(fake.requests.at(-1)).toMatchObject({ op: 'Logout', agent: 'A1' });
    expect(seen).toEqual([]);
  });

  test('a refused request shows its code and message; one never answered times out and the panel stays usable; a malformed event is refused', async ({ page }) => {
    const seen = consoleOf(page);
    await page.goto(server.url);
    await recordEvents(page);
    await logIn(page, 'A2', { extension: '7002' });
    fake.offerCall('K2', '+15550002222');
    const call = card(page, 'K2');
    await call.getByRole('button', { name: 'Answer' }).click();
    await expect(page.getByRole('status')).toHaveText('On a call');

    // The CTI server refuses, with a Pega code: the panel says what it said.
    fake.refuse.set('Hold', ['OPENCTI_CF_INVALID_OBJECT_STATE', 'Acme: the call is being recorded']);
    await call.getByRole('button', { name: 'Hold' }).click();
    const toast = page.getByRole('alert').filter({ hasText: 'Acme' });
    await expect(toast).toContainText('Acme: the call is being recorded');
    await expect(toast).toContainText('OPENCTI_CF_INVALID_OBJECT_STATE');
    // With a vendor's own code, which OpenCTI does not know: kept in the message.
    fake.refuse.set('Hold', ['ACME_E42', 'Acme: no hold on this trunk']);
    expect(await callOpenCti(page, 'holdCall', 'K2')).toMatchObject({
      ok: false,
      error: { errCode: 'OPENCTI_CALL_REJECTED', errMessage: 'Acme: no hold on this trunk (ACME_E42)' },
    });
    await expect(call).toContainText('Connected');

    // The CTI server never answers: the request fails after the configured
    // timeout, and nothing else is stuck.
    fake.ignore.add('Release');
    expect(await callOpenCti(page, 'hangUpCall', 'K2')).toEqual({
      ok: false,
      isError: false,
      error: { errCode: 'OPENCTI_HTTP_ERROR_408', errMessage: 'the AcmeCti adapter did not answer hangUpCall within 1 s' },
    });
    await expect(page.getByRole('alert').filter({ hasText: 'OPENCTI_HTTP_ERROR_408' })).toBeVisible();
    fake.ignore.clear();
    fake.refuse.clear();
    await call.getByRole('button', { name: 'Hang up' }).click();
    await expect(call).toHaveCount(0);

    // A forwarded event that is not one: logged, not applied.
    const before = await page.evaluate(() => window.OpenCTI!.getState());
    const logged = page.waitForEvent('console', (m) => m.type() === 'error' && m.text().includes('not JSON'));
    fake.sendGarbage();
    await logged;
    expect(await page.evaluate(() => window.OpenCTI!.getState())).toEqual(before);
    expect(await events(page, { pyEventName: 'Exploded' })).toEqual([]);

    expect(await callOpenCti(page, 'logout')).toMatchObject({ ok: true });
    expect(seen).toEqual([expect.stringContaining('the adapter forwarded an event that is not JSON')]);
  });
});

test('OpenCTI.usePegaImplementation chooses an adapter at run time, with the link definition given', async ({ page }) => {
  const seen = consoleOf(page);
  await page.goto('/');
  await panelReady(page);
  // The reference Implementation is active until then.
  expect(await page.evaluate(() => window.OpenCTI!.getCapabilities().implementation)).toBe('reference');
  const missing = await callOpenCti(page, 'usePegaImplementation', 'Nowhere');
  expect(missing).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST', errMessage: expect.stringContaining('pega.cti.desktopApi.Nowhere is not defined') } });

  const declared = await page.evaluate(() => {
    const w = window as any;
    w.__seen = [];
    function Inline(this: any) {}
    Inline.prototype = {
      login(agentId: string, _pwd: string, extension: string, linkDef: unknown, _options: unknown, success: () => void, _failure: unknown, forwardEvent: (e: unknown) => void) {
        w.__seen.push({ agentId, extension, linkDef, self: w.pega.cti.API === this });
        w.__forward = forwardEvent;
        // An object this time, not a string; the Snapshot comes before success.
        forwardEvent({
          pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: agentId, pyAgentState: 'NotReady',
          pyWorkMode: 'AUX_WORK', pyReasonCode: '', pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED', pyThisDN: extension, pyCalls: [],
        });
        success();
      },
      logout(agentId: string, _reason: string, _options: unknown, success: () => void, _failure: unknown) {
        w.__seen.push({ logout: agentId });
        success();
        // After success: logout settles once the Snapshot that follows is applied.
        setTimeout(() => w.__forward({
          pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: agentId, pyAgentState: 'Logout',
          pyWorkMode: 'MODE_NONE', pyReasonCode: '', pyDeviceState: 'CLOSED', pyLinkState: 'CONNECTED', pyCalls: [],
        }), 0);
      },
    };
    w.pega.cti.desktopApi.Inline = Inline;
    return window.OpenCTI!.usePegaImplementation!('Inline', { pyPrimaryHost: 'cti.test', pyPrimaryPort: '4000', CustomProperties: [] });
  });
  expect(declared).toEqual({ implementation: 'pega:Inline', version: 'unknown', capabilities: ['login', 'logout'] });
  await logIn(page, 'P1', { extension: '7100' });
  expect(await page.evaluate(() => (window as any).__seen)).toEqual([
    { agentId: 'P1', extension: '7100', linkDef: { pyPrimaryHost: 'cti.test', pyPrimaryPort: '4000', CustomProperties: [] }, self: true },
  ]);
  await expect(page.getByRole('status')).toHaveText('Not ready');
  // Not defined by the adapter: not offered, and refused before reaching it.
  await expect(page.getByRole('button', { name: 'Ready', exact: true })).toHaveCount(0);
  expect(await callOpenCti(page, 'agentReady')).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
  expect(await callOpenCti(page, 'logout')).toEqual({ ok: true, value: null });
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyAgentState)).toBe('Logout');
  expect(await page.evaluate(() => (window as any).__seen.at(-1))).toEqual({ logout: 'P1' });
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  expect(seen).toEqual([expect.stringContaining('pega.cti.desktopApi.Nowhere is not defined')]);
});
