import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './fixtures';
import { api, countEvents, logOut, openPanel, waitForEvent, panelSim } from './helpers';

test.afterEach(async ({ page, request }) => {
  await logOut(page);
  await panelSim.hangUpAll();
});

test('window.OpenCTI exists once hydrated and has every typed function', async ({ page, consoleErrors }) => {
  await openPanel(page);
  const typings = readFileSync(join(__dirname, '..', '..', 'types', 'opencti.d.ts'), 'utf8');
  const body = typings.slice(typings.indexOf('export interface OpenCTI {'));
  const names = [...body.matchAll(/^\s+(\w+)\(/gm)].map((m) => m[1]);
  expect(names.length).toBe(28);
  const missing = await page.evaluate((names) => names.filter((n) => typeof (window.OpenCTI as any)[n] !== 'function'), names);
  expect(missing).toEqual([]);
  const caps = await page.evaluate(() => window.OpenCTI!.getCapabilities());
  expect(caps.implementation).toBe('reference');
  // The 22 Interface functions (DESIGN.md's 20 and the two recording
  // controls), the softphone (this browser has WebRTC) and recording.
  expect(caps.capabilities).toHaveLength(24);
  expect(caps.capabilities).toContain('audio');
  expect(caps.capabilities).toContain('recording');
  // Promises, never a synchronous throw, and plain rejection objects.
  const early = await api(page, 'holdCall', 'C1');
  expect(early).toMatchObject({ ok: false, isError: false, error: { errCode: 'OPENCTI_AGENT_NOT_LOGGED_IN' } });
  const bad = await api(page, 'answerCall');
  expect(bad).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
  expect(consoleErrors).toEqual([]);
});

test('a call from ringing to wrap-up through window.OpenCTI', async ({ page, request, consoleErrors }) => {
  await openPanel(page);
  const login = await api(page, 'login', '1001', 'demo', '2001');
  expect(login.ok).toBe(true);
  expect(login.value).toMatchObject({ pyEventType: 'SnapshotEvent', pyAgentId: '1001', pyThisDN: '2001', pyTelephonyMode: 'full' });
  // login resolved once the store held the snapshot.
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyAgentId)).toBe('1001');
  expect((await api(page, 'agentReady')).ok).toBe(true);
  await waitForEvent(page, { pyEventType: 'AgentStateEvent', pyEventName: 'Ready' });
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyAgentState)).toBe('Ready');

  // Hold with no call: rejected by the Interface before the wire.
  const hold = await api(page, 'holdCall', 'C1');
  expect(hold).toMatchObject({ ok: false, isError: false, error: { errCode: 'OPENCTI_CF_INVALID_OBJECT_STATE' } });

  const callId = await panelSim.placeCall('2001', { data: { account: '42' } });
  await waitForEvent(page, { pyEventType: 'CallInfoEvent', pyCallId: callId });
  const alerting = await waitForEvent(page, { pyEventType: 'CallStateEvent', pyCallId: callId, pyEventName: 'Alerting' });
  expect(alerting).toMatchObject({ pyANI: '+15551230001', pyCallType: 'INBOUND', pyMedia: 'Phone' });
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyCalls[0].pyUserData)).toEqual({ account: '42' });

  expect((await api(page, 'answerCall', callId)).ok).toBe(true);
  await waitForEvent(page, { pyEventType: 'CallStateEvent', pyCallId: callId, pyEventName: 'Established' });
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyAgentState)).toBe('Busy');
  expect((await api(page, 'holdCall', callId)).ok).toBe(true);
  await waitForEvent(page, { pyEventType: 'CallStateEvent', pyCallId: callId, pyEventName: 'Held' });
  expect((await api(page, 'retrieveCall', callId)).ok).toBe(true);
  await waitForEvent(page, { pyEventType: 'CallStateEvent', pyCallId: callId, pyEventName: 'Retrieved' });
  expect((await api(page, 'sendDTMF', callId, '42#')).ok).toBe(true);
  expect((await panelSim.calls()).find((c) => c.callId === callId)?.digits).toBe('42#');

  expect((await api(page, 'hangUpCall', callId)).value).toBeNull();
  await waitForEvent(page, { pyEventType: 'CallStateEvent', pyCallId: callId, pyEventName: 'Disconnected' });
  const acw = await waitForEvent(page, { pyEventType: 'AgentStateEvent', pyWorkMode: 'ACW' });
  expect(acw).toMatchObject({ pyEventName: 'NotReady' });
  expect(await page.evaluate(() => window.OpenCTI!.getState())).toMatchObject({ pyWorkMode: 'ACW', pyCalls: [] });
  // The snapshot names the configured dispositions; the chosen one comes
  // back as the call's own event.
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyDispositions)).toContain('Sale');
  expect(await api(page, 'completeWrapUp', 'Sale')).toMatchObject({ ok: true, value: null });
  expect(await countEvents(page, { pyEventType: 'CallInfoEvent', pyCallId: callId, pyDisposition: 'Sale' })).toBe(1);
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyAgentState)).toBe('Ready');
  expect(consoleErrors).toEqual([]);
});

test('a resolved Promise means the store has caught up: dependent calls chain with no waiting', async ({ page, request, consoleErrors }) => {
  await openPanel(page);
  expect((await api(page, 'login', '1003', 'demo', '2003')).ok).toBe(true);
  const second = await page.context().newPage();
  await openPanel(second);
  expect((await api(second, 'login', '1004', 'demo', '2004')).ok).toBe(true);
  const callId = await panelSim.placeCall('2003');
  await waitForEvent(page, { pyCallId: callId, pyEventName: 'Alerting' });
  // Every pair of dependent calls, each started the moment the one before
  // resolves; a Promise that resolved before its events were applied would
  // make the next call fail the Interface's local check.
  const outcome = await page.evaluate(async (callId) => {
    const api = window.OpenCTI!;
    const steps: string[] = [];
    try {
      await api.answerCall(callId); steps.push('answer');
      await api.holdCall(callId); steps.push('hold');
      await api.retrieveCall(callId); steps.push('retrieve');
      for (let i = 0; i < 5; i++) {
        await api.holdCall(callId); await api.retrieveCall(callId);
      }
      steps.push('hold-retrieve x5');
      const consult = await api.transferInitiate(callId, '2004'); steps.push('consult');
      // The consulted agent answers from its own page.
      return { steps, consult: consult.callId, state: api.getState().pyCalls.map((c) => c.pyCallState) };
    } catch (e) {
      return { steps, error: e };
    }
  }, callId);
  expect(outcome).toMatchObject({ steps: ['answer', 'hold', 'retrieve', 'hold-retrieve x5', 'consult'], state: ['Held', 'Initiated'] });
  const consultId = (outcome as { consult: string }).consult;
  await waitForEvent(second, { pyCallId: consultId, pyEventName: 'Alerting' });
  expect((await api(second, 'answerCall', consultId)).ok).toBe(true);
  await waitForEvent(page, { pyCallId: consultId, pyEventName: 'Established' });
  const completed = await page.evaluate(async ([callId, consultId]) => {
    const api = window.OpenCTI!;
    try {
      await api.alternateCall(callId, consultId);
      await api.alternateCall(consultId, callId);
      await api.conferenceComplete(callId, consultId);
      await api.dropParty(callId, '2004');
      await api.holdCall(callId);
      await api.retrieveCall(callId);
      await api.hangUpCall(callId);
      return { ok: true, calls: api.getState().pyCalls.length, workMode: api.getState().pyWorkMode };
    } catch (e) {
      return { ok: false, error: e };
    }
  }, [callId, consultId]);
  expect(completed).toEqual({ ok: true, calls: 0, workMode: 'ACW' });
  await logOut(second);
  await second.close();
  expect(consoleErrors).toEqual([]);
});

test('a JavaScript implementation drives the panel with no server involved', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await openPanel(page);
  const declared = await page.evaluate(() => {
    const w = window as any;
    w.__calls = [];
    const publish = (e: any) => window.OpenCTI!.publishEvent(e);
    const call = (name: string, callId: string) => ({
      pyEventType: 'CallStateEvent', pyEventName: name, pyCallId: callId, pyCallType: 'INBOUND',
      pyANI: '+15550001111', pyDNIS: '7000', pyOtherDN: '+15550001111', pyMedia: 'Phone',
    });
    const implementation = {
      async login(agentId: string, _password: string, extension: string) {
        w.__calls.push(['login', agentId, extension]);
        await publish({
          pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: agentId, pyAgentState: 'NotReady',
          pyWorkMode: 'AUX_WORK', pyReasonCode: '', pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED',
          pyThisDN: extension, pyTelephonyMode: 'full', pyCalls: [],
        });
      },
      answerCall(callId: string) {
        w.__calls.push(['answerCall', callId]);
        return publish(call('Established', callId));
      },
      hangUpCall(callId: string) {
        w.__calls.push(['hangUpCall', callId]);
        return publish(call('Disconnected', callId));
      },
    };
    w.__call = call;
    return window.OpenCTI!.useImplementation(implementation, { version: '2.5.0', capabilities: ['login', 'answerCall', 'hangUpCall'] });
  });
  expect(declared).toEqual({ implementation: 'javascript', version: '2.5.0', capabilities: ['login', 'answerCall', 'hangUpCall'] });
  expect(await page.evaluate(() => window.OpenCTI!.getCapabilities().version)).toBe('2.5.0');

  const login = await api(page, 'login', 'ext-7', 'secret', '7001');
  expect(login).toMatchObject({ ok: true, value: { pyAgentId: 'ext-7', pyThisDN: '7001' } });
  await expect(page.getByRole('status')).toHaveText('Not ready');

  // The integrator's server rings a call: store, panel and callbacks follow.
  expect(await page.evaluate(() => window.OpenCTI!.publishEvent((window as any).__call('Alerting', 'X1')))).toBeNull();
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyCalls.map((c) => [c.pyCallId, c.pyCallState]))).toEqual([['X1', 'Alerting']]);
  await waitForEvent(page, { pyCallId: 'X1', pyEventName: 'Alerting' });
  await expect(page.getByRole('status')).toContainText('Incoming call from +15550001111');
  await page.getByRole('button', { name: 'Answer' }).click();
  await waitForEvent(page, { pyCallId: 'X1', pyEventName: 'Established' });
  expect(await page.evaluate(() => (window as any).__calls)).toEqual([['login', 'ext-7', '7001'], ['answerCall', 'X1']]);
  // Not declared: rejected before reaching the implementation; no Hold button.
  expect(await api(page, 'holdCall', 'X1')).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_NOT_SUPPORTED' } });
  await expect(page.getByRole('button', { name: 'Hold' })).toHaveCount(0);

  // A malformed event is refused cleanly and changes nothing.
  const before = await page.evaluate(() => window.OpenCTI!.getState());
  const bad = await api(page, 'publishEvent', { pyEventType: 'CallStateEvent', pyEventName: 'Exploded' });
  expect(bad).toMatchObject({ ok: false, error: { errCode: 'OPENCTI_BAD_REQUEST' } });
  expect(await page.evaluate(() => window.OpenCTI!.getState())).toEqual(before);
  expect(errors.some((e) => e.includes('publishEvent'))).toBe(true);
  expect(await countEvents(page, { pyEventName: 'Exploded' })).toBe(0);

  expect((await api(page, 'hangUpCall', 'X1')).ok).toBe(true);
  expect(await page.evaluate(() => window.OpenCTI!.getState().pyCalls)).toEqual([]);
  // Hand the panel back to a clean logged-out state for afterEach.
  const out = await api(page, 'publishEvent', { pyEventType: 'AgentStateEvent', pyEventName: 'Logout', pyAgentId: 'ext-7', pyWorkMode: 'MODE_NONE' });
  expect(out).toEqual({ ok: true, value: null });
});

test('a JavaScript implementation without a declaration supports the functions it defines', async ({ page }) => {
  await openPanel(page);
  const declared = await page.evaluate(() => {
    const publish = (e: any) => window.OpenCTI!.publishEvent(e);
    // Written before declarations existed: no capabilities, no version.
    const legacy = {
      async login(agentId: string, _password: string, extension: string) {
        await publish({
          pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: agentId, pyAgentState: 'Ready',
          pyWorkMode: 'MODE_AUTO_IN', pyReasonCode: '', pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED',
          pyThisDN: extension, pyTelephonyMode: 'full', pyCalls: [], pyReasonCodes: ['Coaching'],
        });
      },
      async logout(agentId: string) {
        await publish({ pyEventType: 'AgentStateEvent', pyEventName: 'Logout', pyAgentId: agentId ?? 'x', pyWorkMode: 'MODE_NONE' });
      },
      async getDirectory() {
        return { pyAgents: [{ pyAgentId: 'a9', pyName: 'Grace', pyThisDN: '7009', pyAgentState: 'Ready' }], pyQueues: [] };
      },
      notAFunction: 42,
    };
    return window.OpenCTI!.useImplementation(legacy);
  });
  expect(declared).toEqual({ implementation: 'javascript', version: 'unknown', capabilities: ['login', 'logout', 'getDirectory'] });
  // An explicit declaration still wins.
  const explicit = await page.evaluate(() => window.OpenCTI!.useImplementation({ login() {}, logout() {} }, { capabilities: ['login'] }));
  expect(explicit.capabilities).toEqual(['login']);
  const badDeclaration = await page.evaluate(() =>
    window.OpenCTI!.useImplementation({ login() {} }, { capabilities: 'login' } as any).then(() => null, (e) => e.errCode));
  expect(badDeclaration).toBe('OPENCTI_BAD_REQUEST');
  // Back to the inferred one: its directory is the panel's directory.
  await page.evaluate(() => {
    const publish = (e: any) => window.OpenCTI!.publishEvent(e);
    return window.OpenCTI!.useImplementation({
      async login(agentId: string, _p: string, extension: string) {
        await publish({
          pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: agentId, pyAgentState: 'Ready',
          pyWorkMode: 'MODE_AUTO_IN', pyReasonCode: '', pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED',
          pyThisDN: extension, pyTelephonyMode: 'full', pyCalls: [],
        });
      },
      async logout(agentId: string) {
        await publish({ pyEventType: 'AgentStateEvent', pyEventName: 'Logout', pyAgentId: agentId ?? 'x', pyWorkMode: 'MODE_NONE' });
      },
      async makeCall() { return { callId: 'Z1' }; },
      async getDirectory() {
        return { pyAgents: [{ pyAgentId: 'a9', pyName: 'Grace', pyThisDN: '7009', pyAgentState: 'Ready' }], pyQueues: [] };
      },
    });
  });
  expect((await api(page, 'login', 'js-1', 'x', '7001')).ok).toBe(true);
  expect(await api(page, 'getDirectory')).toMatchObject({ ok: true, value: { pyAgents: [{ pyAgentId: 'a9' }] } });
  await page.getByRole('button', { name: 'Directory' }).click();
  await expect(page.getByRole('list', { name: 'Directory' })).toContainText('Grace');
  expect((await api(page, 'logout')).ok).toBe(true);
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
});

test('a dropped socket mid-call resyncs to the server truth, each event once', async ({ page, request, consoleErrors }) => {
  // The panel's socket goes through a proxy the test controls: it can cut
  // the link and keep it cut until the simulator has moved on.
  let gateOpen = true;
  const sockets: { close: () => Promise<void> }[] = [];
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (!gateOpen) {
      ws.close();
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  await openPanel(page);
  expect((await api(page, 'login', '1002', 'demo', '2002')).ok).toBe(true);
  const first = await panelSim.placeCall('2002', { data: { account: '7' } });
  await waitForEvent(page, { pyCallId: first, pyEventName: 'Alerting' });
  expect((await api(page, 'answerCall', first)).ok).toBe(true);
  await waitForEvent(page, { pyCallId: first, pyEventName: 'Established' });

  // Cut the link; the simulator keeps going: the caller hangs up, wrap-up starts.
  gateOpen = false;
  await sockets[sockets.length - 1].close();
  await page.waitForFunction(() => window.OpenCTI!.getState().pyLinkState === 'DISCONNECTED');
  await expect(page.getByRole('alert').filter({ hasText: 'Connection lost' })).toBeVisible();
  const hangup = await request.post(`/api/sim/calls/${first}/hangup`);
  expect(hangup.status()).toBe(200);
  expect(await countEvents(page, { pyCallId: first, pyEventName: 'Disconnected' })).toBe(0);

  gateOpen = true;
  await page.waitForFunction(() => window.OpenCTI!.getState().pyLinkState === 'CONNECTED');
  await waitForEvent(page, { pyCallId: first, pyEventName: 'Disconnected' });
  const state = await page.evaluate(() => window.OpenCTI!.getState());
  const server = await panelSim.calls();
  expect(server.filter((c) => c.parties.some((p) => p.dn === '2002'))).toEqual([]);
  expect(state).toMatchObject({ pyCalls: [], pyWorkMode: 'ACW', pyLinkState: 'CONNECTED' });
  for (const name of ['Alerting', 'Established', 'Disconnected']) {
    expect(await countEvents(page, { pyCallId: first, pyEventName: name }), name).toBe(1);
  }
  expect(await countEvents(page, { pyEventType: 'AgentStateEvent', pyWorkMode: 'ACW' })).toBe(1);
  expect(consoleErrors).toEqual([]);
});
