'use strict';
// ccp-testkit: what a Playwright suite needs to test an application that
// embeds the Call Control Panel: a server of its own on a free port, agents
// logged in, a simulator client for the far end of calls, and waits on
// OpenCTI events instead of sleeps. No dependencies; @playwright/test is
// the suite's own (typings: index.d.ts; guide: README.md).

const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const LISTENING = /serving the Call Control Panel on (https?:\/\/[^\s\u001b]+)/;
const KEEP_LOG_CHARS = 64 * 1024;

/** An error the simulator answered with, carrying its HTTP status and body. */
class SimulatorError extends Error {
  constructor(what, status, body) {
    super(`${what}: HTTP ${status} ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** The simulator API of a server: the far end of calls (customers). */
class Simulator {
  constructor(baseUrl, options = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.apiKey = options.apiKey;
  }

  async request(method, path, body) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!res.ok) throw new SimulatorError(`${method} ${path}`, res.status, parsed);
    return parsed;
  }

  /** Places an inbound call to a queue or an extension; resolves with its
   * call id, the `pyCallId` the answering panel sees. */
  async placeCall(to, options = {}) {
    const body = { from: options.from || '+15551230001', to, data: options.data || {} };
    return (await this.request('POST', '/api/sim/calls', body)).callId;
  }

  /** The calls in progress, with their parties, data and digits. */
  calls() {
    return this.request('GET', '/api/sim/calls');
  }

  /** One call in progress, or undefined once it has ended. */
  async call(callId) {
    return (await this.calls()).find((c) => c.callId === callId);
  }

  /** The far end of an outbound call answers. */
  async answer(callId) {
    await this.request('POST', `/api/sim/calls/${encodeURIComponent(callId)}/answer`, {});
  }

  /** The far end hangs up (before an answer: the call is abandoned). */
  async hangUp(callId) {
    await this.request('POST', `/api/sim/calls/${encodeURIComponent(callId)}/hangup`, {});
  }

  /** The far end presses keys (0-9, *, #, A-D). */
  async dtmf(callId, digits) {
    await this.request('POST', `/api/sim/calls/${encodeURIComponent(callId)}/dtmf`, { digits });
  }

  /** The simulated customer says `text` (synthesised speech). */
  say(callId, text) {
    return this.request('POST', `/api/sim/calls/${encodeURIComponent(callId)}/say`, { text });
  }

  /** Hangs up every call in progress (between tests). */
  async hangUpAll() {
    for (const call of await this.calls()) {
      try {
        await this.hangUp(call.callId);
      } catch (err) {
        // A call that ended meanwhile is gone already.
        if (!(err instanceof SimulatorError && err.status === 404)) throw err;
      }
    }
  }
}

/**
 * A Call Control Panel server of a test's own: `server` (the release build)
 * with the given configuration, on a free port unless one is given, with a
 * database in memory unless `--database` is among `args`.
 */
class CcpServer {
  constructor(options = {}) {
    this.options = options;
    this.binary = resolve(options.binary || process.env.CCP_SERVER_BINARY || 'target/release/server');
    this.siteRoot = resolve(options.siteRoot || process.env.CCP_SITE_ROOT || 'target/site');
    this.port = options.port || 0;
    this.url = '';
    this.sim = null;
    this.child = null;
    this.log = '';
    this.dir = null;
  }

  flags() {
    const o = this.options;
    const args = ['--addr', `127.0.0.1:${this.port}`, '--site-root', this.siteRoot];
    const extra = o.args || [];
    if (!extra.includes('--database')) args.push('--database', 'sqlite::memory:');
    if (o.config !== undefined) {
      this.dir = this.dir || mkdtempSync(join(tmpdir(), 'ccp-testkit-'));
      const file = join(this.dir, 'ccp.toml');
      writeFileSync(file, o.config);
      args.push('--config', file);
    }
    for (const origin of o.allowedOrigins || []) args.push('--allowed-origin', origin);
    return args.concat(extra);
  }

  /** Starts the server; resolves once it answers `/healthz`. */
  async start() {
    if (this.child && this.child.exitCode === null) return this;
    const child = spawn(this.binary, this.flags(), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn,server=info', NO_COLOR: '1', ...(this.options.env || {}) },
    });
    this.child = child;
    const keep = (chunk) => {
      this.log = (this.log + chunk).slice(-KEEP_LOG_CHARS);
    };
    child.stdout.on('data', keep);
    const listening = new Promise((resolveUrl, reject) => {
      let seen = '';
      child.stderr.on('data', (chunk) => {
        keep(chunk);
        seen += chunk;
        const found = LISTENING.exec(seen);
        if (found) resolveUrl(found[1]);
      });
      child.once('error', (err) => reject(new Error(`cannot start ${this.binary}: ${err.message}`)));
      child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${this.log}`)));
    });
    const timeoutMs = this.options.startTimeoutMs || 30000;
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not listen within ${timeoutMs} ms:\n${this.log}`)), timeoutMs);
    });
    try {
      this.url = await Promise.race([listening, timeout]);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.port = Number(new URL(this.url).port);
    this.sim = new Simulator(this.url, { apiKey: this.options.apiKey });
    const health = await fetch(`${this.url}/healthz`);
    if (!health.ok) throw new Error(`/healthz answered ${health.status}`);
    return this;
  }

  /** Stops the server as an operator would (SIGTERM) and waits for it. */
  async stop() {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (this.dir && !this.restarting) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }

  /** Stops and starts again on the same port (and the same database, if
   * it is a file). */
  async restart() {
    this.restarting = true;
    try {
      await this.stop();
    } finally {
      this.restarting = false;
    }
    return this.start();
  }

  /** What the server logged (the last 64 KiB), for failure messages. */
  logs() {
    return this.log;
  }
}

/** Starts a server of the test's own (see CcpServer). */
function startServer(options) {
  return new CcpServer(options).start();
}

/** Waits until the panel in `target` (a page or a frame) has hydrated and
 * `window.OpenCTI` is defined. */
async function panelReady(target) {
  await target.locator('section.ccp[data-hydrated="true"]').waitFor();
  await target.waitForFunction(() => !!window.OpenCTI);
}

/** The panel's frame in a host page (the first iframe showing `/embed`
 * unless a selector says which), once the panel is ready. */
async function panelFrame(page, selector = 'iframe') {
  const element = await page.locator(selector).first().elementHandle();
  const frame = element && (await element.contentFrame());
  if (!frame) throw new Error(`no frame at ${selector}`);
  await panelReady(frame);
  return frame;
}

/** Logs in through the panel's form in `target` (a page or a frame) and
 * waits until the store holds the agent's session. */
async function logIn(target, agentId, options = {}) {
  await panelReady(target);
  const form = target.locator('form.login');
  await form.locator('input[name="agentId"]').fill(agentId);
  await form.locator('input[name="password"]').fill(options.password || 'demo');
  if (options.extension) await form.locator('input[name="extension"]').fill(options.extension);
  await form.locator('button[type="submit"]').click();
  // Logged in, or the form says why not.
  const outcome = await target.waitForFunction((id) => {
    const state = window.OpenCTI.getState();
    if (state.pyAgentId === id && state.pyAgentState !== 'Logout') return { ok: true };
    const error = document.querySelector('form.login .form-error');
    return error && error.textContent ? { ok: false, error: error.textContent } : null;
  }, agentId);
  const result = await outcome.jsonValue();
  if (!result.ok) throw new Error(`agent ${agentId} could not log in: ${result.error}`);
}

/** Ends the agent's calls and logs out, if logged in; throws when the
 * panel refuses (a test must not leave a session behind). */
async function logOut(target) {
  const failures = await target.evaluate(async () => {
    const api = window.OpenCTI;
    if (!api) return ['window.OpenCTI is not defined'];
    const failures = [];
    for (let i = 0; i < 10 && api.getState().pyCalls.length > 0; i++) {
      const call = api.getState().pyCalls[0];
      const end = call.pyCallState === 'Alerting' ? api.rejectCall : api.hangUpCall;
      await end(call.pyCallId).catch((e) => failures.push([call.pyCallId, e]));
    }
    if (api.getState().pyAgentState !== 'Logout') await api.logout().catch((e) => failures.push(['logout', e]));
    return failures;
  });
  if (failures.length > 0) throw new Error(`logging out was refused: ${JSON.stringify(failures)}`);
}

/** An agent's standalone panel in a browser context of its own, logged in
 * through the form. */
async function openAgentPanel(browser, baseUrl, agentId, options = {}) {
  const context = await browser.newContext({ ...(options.contextOptions || {}), baseURL: baseUrl });
  if (options.init) await context.addInitScript(options.init);
  const page = await context.newPage();
  await page.goto(options.path || '/');
  await recordEvents(page);
  await logIn(page, agentId, options);
  return {
    agentId,
    page,
    context,
    logOut: () => logOut(page),
    close: async () => {
      await logOut(page);
      await context.close();
    },
  };
}

/** Starts keeping every OpenCTI event the panel in `target` applies (for
 * waitForEvent and events). Safe to call twice. */
async function recordEvents(target) {
  await target.waitForFunction(() => !!window.OpenCTI);
  await target.evaluate(() => {
    if (window.__ccpEvents) return;
    window.__ccpEvents = [];
    window.OpenCTI.on('*', (e) => window.__ccpEvents.push(e));
  });
}

/** Waits until a recorded event has every field of `match`; returns it. */
async function waitForEvent(target, match, options = {}) {
  const handle = await target.waitForFunction(
    (m) => (window.__ccpEvents || []).find((e) => Object.entries(m).every(([k, v]) => e[k] === v)),
    match,
    { timeout: options.timeout },
  );
  return handle.jsonValue();
}

/** The recorded events with every field of `match` (all without one). */
function events(target, match = {}) {
  return target.evaluate(
    (m) => (window.__ccpEvents || []).filter((e) => Object.entries(m).every(([k, v]) => e[k] === v)),
    match,
  );
}

/** Calls `window.OpenCTI[fn](...args)` in `target`; resolves with
 * `{ok: true, value}` or `{ok: false, error}` (never throws on a refusal). */
function callOpenCti(target, fn, ...args) {
  return target.evaluate(
    async ([fn, args]) => {
      try {
        return { ok: true, value: await window.OpenCTI[fn](...args) };
      } catch (error) {
        return { ok: false, error, isError: error instanceof Error };
      }
    },
    [fn, args],
  );
}

/**
 * Fixtures for `test.extend(ccpFixtures)`: a server per worker
 * (`ccpServerOptions`, a worker option), its simulator (`sim`, every call
 * hung up after each test) and `agentPanel(agentId, options?)`, whose
 * panels are logged out and closed after each test.
 */
const ccpFixtures = {
  ccpServerOptions: [{}, { scope: 'worker', option: true }],
  ccpServer: [
    async ({ ccpServerOptions }, use) => {
      const server = await startServer(ccpServerOptions);
      await use(server);
      await server.stop();
    },
    { scope: 'worker' },
  ],
  sim: async ({ ccpServer }, use) => {
    await use(ccpServer.sim);
    await ccpServer.sim.hangUpAll();
  },
  agentPanel: async ({ browser, ccpServer }, use) => {
    const opened = [];
    await use(async (agentId, options) => {
      const panel = await openAgentPanel(browser, ccpServer.url, agentId, options);
      opened.push(panel);
      return panel;
    });
    for (const panel of opened) await panel.close();
  },
};

module.exports = {
  CcpServer,
  Simulator,
  SimulatorError,
  startServer,
  panelReady,
  panelFrame,
  logIn,
  logOut,
  openAgentPanel,
  recordEvents,
  waitForEvent,
  events,
  callOpenCti,
  ccpFixtures,
};
