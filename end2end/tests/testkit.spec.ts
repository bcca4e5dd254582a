// The README's "Testing your integration" example, word for word but for
// where the CRM is served (here: the demo CRM on the host-page server), so
// that the example a newcomer copies is proven by CI.
import { test as base, expect } from '@playwright/test';
import { ccpFixtures, logIn, panelFrame, recordEvents, waitForEvent, type CcpTestFixtures, type CcpWorkerFixtures } from 'ccp-testkit';

import { HOST } from '../playwright.config';

const CRM = `${HOST}/demo/crm.html`;
const test = base.extend<CcpTestFixtures, CcpWorkerFixtures>(ccpFixtures);
// One panel server per worker, which lets the CRM's origin embed it.
test.use({ ccpServerOptions: { allowedOrigins: [new URL(CRM).origin] } });

test('a call from a known customer opens their record; the agent answers from the CRM', async ({ page, ccpServer, sim }) => {
  await page.goto(`${CRM}?panel=${encodeURIComponent(`${ccpServer.url}/embed`)}`);
  const panel = await panelFrame(page, 'iframe');
  await recordEvents(panel);
  await logIn(panel, '1001');
  await panel.getByRole('button', { name: 'Ready', exact: true }).click();

  const callId = await sim.placeCall('5000', { from: '+15551230001', data: { account: '42' } });
  await waitForEvent(panel, { pyCallId: callId, pyEventName: 'Alerting' });
  await expect(page.getByRole('region', { name: 'Customer record' })).toContainText('42');

  await panel.getByRole('button', { name: 'Answer' }).click();
  await waitForEvent(panel, { pyCallId: callId, pyEventName: 'Established' });
  expect((await sim.call(callId))?.parties).toContainEqual({ dn: '2001', state: 'connected' });
  await sim.hangUp(callId); // the customer hangs up
  await waitForEvent(panel, { pyCallId: callId, pyEventName: 'Disconnected' });
});
