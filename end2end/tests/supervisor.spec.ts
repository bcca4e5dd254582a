import { type Browser, type Page } from '@playwright/test';
import { test, expect, agentPanel } from './fixtures';
import { axe } from './helpers';
import { startServer, type CcpServer } from 'ccp-testkit';

/** The supervisor view's acceptance: a supervisor and two agents in three
 * browser contexts, on a server of their own (its counters start at 0). */

async function supervisorPage(
  browser: Browser,
  server: CcpServer,
  options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
) {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  await page.goto('/supervisor');
  await expect(page.locator('.supervisor-page[data-hydrated="true"]')).toBeVisible();
  return { page, context };
}

async function signIn(page: Page, user = '9001', password = 'demo') {
  await page.getByLabel('User ID').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The supervisor's row of an agent, and one cell of it by column. */
const agentRow = (page: Page, id: string) => page.locator(`tr[data-agent="${id}"]`);
const queueRow = (page: Page, number: string) => page.locator(`tr[data-queue="${number}"]`);
const AGENT_COLUMNS = ['Agent', 'Extension', 'State', 'Reason', 'Time in state', 'Current call', 'Handled', 'Avg. handle', 'Actions'];
const QUEUE_COLUMNS = ['Queue', 'Waiting', 'Longest wait', 'Callbacks', 'Answered', 'Abandoned', 'Missed', 'Avg. answer', 'Service level', 'Last 15 min'];
const agentCell = (page: Page, id: string, column: string) =>
  agentRow(page, id).locator(':scope > *').nth(AGENT_COLUMNS.indexOf(column));
const queueCell = (page: Page, number: string, column: string) =>
  queueRow(page, number).locator(':scope > *').nth(QUEUE_COLUMNS.indexOf(column));

test.describe('supervisor view', () => {
  let server: CcpServer;

  test.beforeAll(async () => {
    server = await startServer({ port: 3108, args: ['--database', 'sqlite::memory:', '--wrap-up-seconds', '0'] });
  });
  test.afterAll(async () => server.stop());
  test.afterEach(async () => server.sim.hangUpAll());

  test('follows logins, state changes, a queued call, an answer and an abandon; Force not ready reaches the agent with the reason', async ({ browser }) => {
    const supervisor = await supervisorPage(browser, server);
    const s = supervisor.page;
    await signIn(s);
    for (const name of AGENT_COLUMNS.slice(0, -1)) {
      await expect(s.getByRole('columnheader', { name, exact: true })).toBeVisible();
    }
    for (const name of ['Queue', 'Waiting', 'Longest wait']) {
      await expect(s.getByRole('columnheader', { name, exact: true })).toBeVisible();
    }
    await expect(agentCell(s, '1001', 'State')).toHaveText('Logged out');

    const a = await agentPanel(browser, server.url, '1001');
    await expect(agentCell(s, '1001', 'State')).toHaveText('Not ready');
    const b = await agentPanel(browser, server.url, '1002');
    await expect(agentCell(s, '1002', 'State')).toHaveText('Not ready');
    await b.page.getByRole('button', { name: 'Not ready' }).click();
    await b.page.getByRole('menuitem', { name: 'Lunch' }).click();
    await expect(agentCell(s, '1002', 'Reason')).toHaveText('Lunch');

    // Nobody is Ready: the call waits, and its wait grows on the screen.
    const queued = await server.sim.placeCall('5000');
    await expect(queueCell(s, '5000', 'Waiting')).toHaveText('1');
    await expect(queueCell(s, '5000', 'Longest wait')).toHaveText(/^0:0[1-9]$/);

    // Agent 1001 goes Ready: the call rings there, is answered, handled.
    await a.page.getByRole('button', { name: 'Ready', exact: true }).click();
    await a.page.locator(`[data-call-id="${queued}"]`).getByRole('button', { name: 'Answer' }).click();
    await expect(agentCell(s, '1001', 'State')).toHaveText('On a call');
    await expect(agentCell(s, '1001', 'Current call')).toContainText('+15551230001');
    await expect(queueCell(s, '5000', 'Waiting')).toHaveText('0');
    await a.page.locator(`[data-call-id="${queued}"]`).getByRole('button', { name: 'Hang up' }).click();
    await expect(agentCell(s, '1001', 'Handled')).toHaveText('1');
    await expect(queueCell(s, '5000', 'Answered')).toHaveText('1');
    await expect(agentCell(s, '1001', 'State')).toHaveText('Ready');

    // A caller gives up while 1001 is Not ready: an abandon.
    await a.page.getByRole('button', { name: 'Not ready' }).click();
    await a.page.getByRole('menuitem', { name: 'Break' }).click();
    await expect(agentCell(s, '1001', 'State')).toHaveText('Not ready');
    await server.sim.placeCall('5000');
    await expect(queueCell(s, '5000', 'Waiting')).toHaveText('1');
    await server.sim.hangUpAll();
    await expect(queueCell(s, '5000', 'Abandoned')).toHaveText('1');
    await expect(queueCell(s, '5000', 'Waiting')).toHaveText('0');
    await expect(queueCell(s, '5000', 'Service level')).toHaveText('50 %');

    // Force not ready, with a reason the agent's panel shows.
    await a.page.getByRole('button', { name: 'Ready', exact: true }).click();
    await expect(agentCell(s, '1001', 'State')).toHaveText('Ready');
    // Escape closes the dialog without acting.
    await agentRow(s, '1001').getByRole('button', { name: 'Force not ready' }).click();
    const dialog = s.getByRole('dialog');
    await expect(dialog.getByLabel('Reason')).toBeFocused();
    await s.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await agentRow(s, '1001').getByRole('button', { name: 'Force not ready' }).click();
    await expect(dialog.getByLabel('Reason')).toBeFocused();
    await dialog.getByLabel('Reason').fill('Coaching session');
    await dialog.getByRole('button', { name: 'Force not ready' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(a.page.getByRole('status')).toHaveText('Not ready');
    await expect(a.page.locator('.agent-bar')).toContainText('(Coaching session)');
    await expect(agentCell(s, '1001', 'Reason')).toHaveText('Coaching session');

    // Force logout: the agent's panel is back at the login form, told why.
    await agentRow(s, '1002').getByRole('button', { name: 'Force logout' }).click();
    await dialog.getByLabel('Reason').fill('End of shift');
    await dialog.getByRole('button', { name: 'Force logout' }).click();
    await expect(b.page.getByRole('button', { name: 'Log in' })).toBeVisible();
    await expect(b.page.locator('.banner-info')).toContainText('You were logged out: End of shift');
    await expect(agentCell(s, '1002', 'State')).toHaveText('Logged out');

    // Both actions are in the audit log, newest first.
    const audit = s.getByRole('region', { name: 'Audit log' }).getByRole('listitem');
    await expect(audit).toHaveCount(2);
    await expect(audit.nth(0)).toContainText('Force logout');
    await expect(audit.nth(0)).toContainText('End of shift');
    await expect(audit.nth(1)).toContainText('Coaching session');

    expect(await axe(s)).toEqual([]);
    for (const p of [supervisor, a, b]) await p.context.close();
  });

  test('the agents table sorts and filters from the keyboard', async ({ browser }) => {
    const { page, context } = await supervisorPage(browser, server);
    await signIn(page);
    const names = page.locator('tbody tr[data-agent] th .sv-name');
    await expect(names).toHaveCount(4);
    const header = page.getByRole('columnheader', { name: 'Agent', exact: true });
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    await header.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    await expect(names.first()).toHaveText('Agent 1004');
    await page.getByLabel('Filter').fill('1003');
    await expect(names).toHaveText(['Agent 1003']);
    await expect(page.getByText('1–1 of 1')).toBeVisible();
    await page.getByLabel('Filter').fill('');
    await page.getByLabel('State').selectOption('on_call');
    await expect(page.getByText('No agent matches the filter.')).toBeVisible();
    await page.getByLabel('State').selectOption('');
    await expect(names).toHaveCount(4);
    await context.close();
  });

  test('works at 360 px wide in dark mode: the page never scrolls sideways', async ({ browser }) => {
    const { page, context } = await supervisorPage(browser, server, { viewport: { width: 360, height: 640 }, colorScheme: 'dark' });
    await signIn(page);
    await expect(page.getByRole('columnheader', { name: 'Queue', exact: true })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(14, 18, 23)');
    await context.close();
  });

  test("an agent's credentials open no supervisor data on the page", async ({ browser }) => {
    const { page, context } = await supervisorPage(browser, server);
    await signIn(page, '1001', 'demo');
    await expect(page.getByRole('alert')).toContainText('not a supervisor');
    await expect(page.getByRole('columnheader')).toHaveCount(0);
    await expect(page.locator('tr[data-agent]')).toHaveCount(0);
    // A wrong password is refused like the agents' login.
    await signIn(page, '9001', 'nope');
    await expect(page.getByRole('alert')).toContainText(/login failed/i);
    await context.close();
  });

  test('a reload keeps the supervisor signed in; Sign out ends the session', async ({ browser }) => {
    const { page, context } = await supervisorPage(browser, server);
    await signIn(page);
    await expect(page.getByText('Live')).toBeVisible();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('opencti.supervisor')!).token as string);
    await page.reload();
    await expect(page.getByRole('columnheader', { name: 'Agent', exact: true })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    await expect.poll(async () => (await page.request.get('/api/supervisor/snapshot', { headers: { authorization: `Bearer ${token}` } })).status()).toBe(401);
    await context.close();
  });

  test('a dashboard that cannot be fetched says so; Retry brings it', async ({ browser }) => {
    const { page, context } = await supervisorPage(browser, server);
    await page.route('**/pkg/split_dashboard.wasm', (route) => route.abort('failed'));
    await signIn(page);
    const problem = page.getByRole('alert').filter({ hasText: 'The dashboard could not be loaded' });
    await expect(problem).toBeVisible();
    await page.unroute('**/pkg/split_dashboard.wasm');
    await problem.getByRole('button', { name: 'Retry' }).click();
    await expect(page.getByRole('columnheader', { name: 'Agent', exact: true })).toBeVisible();
    await expect(problem).toHaveCount(0);
    await context.close();
  });
});
