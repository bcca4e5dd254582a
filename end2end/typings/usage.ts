// Compiled with `tsc --noEmit` by the test command: if the typings drift from
// what integrators write, this stops compiling.
import type { OpenCTI, OpenCtiEvent, OpenCtiError } from '../../types/opencti';

export async function softphone(api: OpenCTI): Promise<string> {
  const snapshot = await api.login('1001', 'demo', '2001', { telephonyMode: 'full' });
  await api.agentReady();
  await api.agentNotReady(undefined, 'AUX_WORK', 'Lunch');
  const { callId } = await api.makeCall('+15559990000', { userData: { note: 'hello' } });
  await api.holdCall(callId);
  await api.pauseRecording(callId);
  await api.resumeRecording(callId);
  await api.retrieveCall(callId);
  await api.sendDTMF(callId, '12#');
  const consult = await api.transferInitiate(callId, '2002');
  await api.alternateCall(callId, consult.callId);
  await api.transferComplete(callId, consult.callId);
  const conf = await api.conferenceInitiate(callId, '2003', {});
  await api.conferenceComplete(callId, conf.callId);
  await api.dropParty(callId, '2003');
  await api.blindTransfer(callId, '5001');
  await api.answerCall(callId);
  await api.rejectCall(callId);
  await api.hangUpCall(callId);
  await api.completeWrapUp('Sale');
  const directory = await api.getDirectory();
  directory.pyQueues.map((q) => q.pyCallsWaiting);
  await api.logout();
  const onEvent = (event: OpenCtiEvent) => {
    if (event.pyEventType === 'CallStateEvent') console.log(event.pyCallId, event.pyEventName);
  };
  api.on('*', onEvent);
  api.off('*', onEvent);
  await api.useImplementation({ login: async () => null, capabilities: ['login'] }, { version: '1', capabilities: ['login'] });
  await api.useImplementation({ login: async () => null, getDirectory: async () => ({ pyAgents: [], pyQueues: [] }) });
  await api.usePegaImplementation?.('AcmeCti', { pyPrimaryHost: 'cti.example.com', pyPrimaryPort: '7443', CustomProperties: [{ pyPropertyName: 'tenant', pyPropertyValue: 'acme' }] }, { timeoutMs: 5000 });
  await api.publishEvent(api.getState());
  api.getCapabilities().capabilities.includes('login');
  try {
    await api.holdCall('nope');
  } catch (e) {
    const err = e as OpenCtiError;
    return err.errCode;
  }
  return snapshot.pyAgentId;
}

import type { EmbeddedPanel, EmbedOptions } from '../../types/opencti-host';

export async function host(embed: (options: EmbedOptions) => EmbeddedPanel): Promise<void> {
  const panel = embed({ container: '#ccp', url: 'https://ccp.example.com/embed', params: { agentId: '1001', compact: true }, lang: 'de' });
  await panel.ready;
  await panel.call('login', { agentId: '1001', password: 'demo' });
  const { callId } = await panel.clickToDial('+15551230001');
  panel.on('CallInfoEvent', (event) => console.log(callId, event.pyEventType));
  panel.destroy();
}
