// Supervisor view benchmark (prints figures, asserts nothing): a release
// server with 1,000 agents (a configuration written here), all logged in
// over their own sockets and changing state all the time (Ready ⇄ Not
// ready, each agent every ~2 s: ~500 changes a second) while calls queue
// and are answered; the supervisor page in headless Debian Chromium shows
// every agent. Measured inside the page, per `Supervisor` frame: from the
// frame's arrival to the DOM updated and laid out (the page's handler,
// the reactive updates, then a forced layout in the next task). Baseline
// in the same run: `JSON.parse` of the same frames (what reading the data
// alone costs). Two phases: sorted by agent (rows stay put) and by time in
// state (rows move at every update).
// Run: scripts/bench.sh supervisor  (or: node --experimental-websocket bench/supervisor.mjs [agents] [seconds])
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, startServer, stats } from './support.mjs';

const agents = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);
// Argon2id of "demo" at the lowest cost (8 KiB, one pass): the benchmark
// logs in a thousand agents and measures the view, not the password check.
const CHEAP_HASH = '$argon2id$v=19$m=8,t=1,p=1$Vup0UCEc23kNK+uhl+1ebg$UoswLKa213LHT449cGRJg/1cQW5I01G8NgI96aUvuhs';

const ids = Array.from({ length: agents }, (_, i) => `${10000 + i}`);
const extensions = ids.map((_, i) => `${30000 + i}`);
const quoted = (xs) => xs.map((x) => `"${x}"`).join(', ');
const toml = [
  `extensions = [${quoted(extensions)}]`,
  'reason_codes = ["Break", "Lunch"]',
  'wrap_up_seconds = 0',
  'ring_timeout_seconds = 0',
  ...ids.map((id, i) => `[[agents]]\nid = "${id}"\npassword = "${CHEAP_HASH}"\nextension = "${extensions[i]}"\nname = "Agent ${id}"`),
  `[[queues]]\nnumber = "5000"\nname = "Sales"\nagents = [${quoted(ids)}]`,
  `[[queues]]\nnumber = "5001"\nname = "Support"\nagents = [${quoted(ids)}]`,
  `[[supervisors]]\nid = "9001"\npassword = "${CHEAP_HASH}"\nname = "Supervisor 9001"`,
].join('\n');
const dir = mkdtempSync(join(tmpdir(), 'ccp-supervisor-bench-'));
writeFileSync(join(dir, 'center.toml'), toml);

const { port, base, stop: stopServer } = await startServer(
  ['--database', 'sqlite::memory:', '--config', join(dir, 'center.toml')],
  { stderr: 'inherit' },
);
const stop = () => {
  stopServer();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

// The agents: one socket each, logged in, then changing state.
const sockets = [];
const login = (id) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'Login', id: 'l', agentId: id, password: 'demo' }));
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'Response' && frame.id === 'l') (frame.ok ? resolve(ws) : reject(new Error(JSON.stringify(frame.error))));
    };
    ws.onerror = reject;
  });
for (let i = 0; i < ids.length; i += 100) {
  sockets.push(...(await Promise.all(ids.slice(i, i + 100).map(login))));
}
let changes = 0;
let stopped = false;
const churn = async () => {
  let n = 0;
  while (!stopped) {
    // Every 20 ms, 10 agents change state: ~500 changes a second.
    for (let k = 0; k < 10; k++) {
      const i = n++ % sockets.length;
      const ready = Math.floor(n / sockets.length) % 2 === 0;
      const request = ready ? { type: 'SetAgentState', state: 'Ready' } : { type: 'SetAgentState', state: 'NotReady', reason: 'Break' };
      sockets[i].send(JSON.stringify({ type: 'Request', id: `r${n}`, request }));
      changes++;
    }
    if (n % 200 === 0) {
      // Calls queue (and ring the Ready agents) as the states change.
      fetch(`${base}/api/sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15551230001', to: n % 400 === 0 ? '5000' : '5001' }) }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 20)); // the load's pace, not a wait for a result
  }
};

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log('page error:', m.text().slice(0, 300)); });
page.on('pageerror', (e) => console.log('page exception:', String(e).slice(0, 300)));
// Times each Supervisor frame: this listener is the socket's first, so it
// starts the clock before the page's own handler runs; a message on a
// channel (the next task, after every microtask of the update) stops it
// once a forced layout has taken the DOM in.
await page.addInitScript(() => {
  // Empties the measurements (at load, and at the start of each phase).
  window.__reset = () => {
    for (const name of ['__updates', '__parse', '__bytes', '__ticks', '__handler', '__layout']) window[name] = [];
  };
  window.__reset();
  // Runs `record(layoutMs)` in the next task: after every microtask of the
  // work being timed, and after a forced style and layout (timed apart).
  window.__afterNextTask = (record) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const l0 = performance.now();
      void document.documentElement.offsetHeight;
      record(performance.now() - l0);
    };
    channel.port2.postMessage(0);
  };
  // The page's one-second clock (time in state, longest wait), timed the
  // same way: from the tick to the DOM laid out.
  const nativeInterval = window.setInterval;
  window.setInterval = (callback, delay, ...rest) =>
    nativeInterval(
      (...args) => {
        const t0 = performance.now();
        callback(...args);
        if (delay === 1000) window.__afterNextTask(() => window.__ticks.push(performance.now() - t0));
      },
      delay,
      ...rest,
    );
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // The page's own handler, timed alone: reading the frame and
      // setting the signals (the DOM work runs after it, in microtasks).
      let handler = null;
      Object.defineProperty(this, 'onmessage', {
        get: () => handler,
        set: (f) => {
          handler = f;
          super.onmessage = f && ((e) => {
            const t0 = performance.now();
            f(e);
            if (typeof e.data === 'string' && e.data.startsWith('{"type":"Supervisor"')) window.__handler.push(performance.now() - t0);
          });
        },
      });
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string' || !e.data.startsWith('{"type":"Supervisor"')) return;
        const t0 = performance.now();
        window.__afterNextTask((layout) => {
          window.__layout.push(layout);
          window.__updates.push(performance.now() - t0);
          const p0 = performance.now();
          JSON.parse(e.data);
          window.__parse.push(performance.now() - p0);
          window.__bytes.push(e.data.length);
        });
      });
    }
  };
});
await page.goto(`${base}/supervisor`);
await page.locator('.supervisor-page[data-hydrated="true"]').waitFor();
await page.getByLabel('User ID').fill('9001');
await page.getByLabel('Password').fill('demo');
await page.getByRole('button', { name: 'Log in' }).click();
await page.locator('tr[data-agent]').nth(Math.min(agents, 25) - 1).waitFor();
const first = await page.evaluate(() => window.__updates[0]);

const fmt = (o) => `p50 ${o.p50.toFixed(2)} ms, p95 ${o.p95.toFixed(2)} ms, max ${o.max.toFixed(2)} ms (n=${o.n})`;

// Main-thread time by kind (Chromium's own counters), per update.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const counters = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));

const phase = async (name) => {
  await page.evaluate(() => window.__reset());
  const before = changes;
  const busyBefore = await counters();
  const started = Date.now();
  await page.waitForFunction((until) => Date.now() >= until, started + seconds * 1000, { polling: 250 });
  const { updates, parse, bytes, ticks, handler, layout } = await page.evaluate(() => ({ updates: window.__updates, parse: window.__parse, bytes: window.__bytes, ticks: window.__ticks, handler: window.__handler, layout: window.__layout }));
  const busyAfter = await counters();
  const per = (key) => (((busyAfter[key] - busyBefore[key]) * 1000) / updates.length).toFixed(2);
  const u = stats(updates);
  const p = stats(parse);
  const rate = ((changes - before) / seconds).toFixed(0);
  console.log(`supervisor (${agents} agents, ${rate} state changes/s, ${name}): view update ${fmt(u)}`);
  console.log(`  baseline JSON.parse of the same frames: ${fmt(p)}; frame ${(bytes.reduce((a, b) => a + b, 0) / bytes.length / 1024).toFixed(0)} KiB`);
  console.log(`  update / parse at p50: ${(u.p50 / p.p50).toFixed(1)}×; p95 within a 16 ms frame: ${u.p95 <= 16 ? 'yes' : 'no'}`);
  console.log(`  of which the page's message handler (read the frame, set the signals): ${fmt(stats(handler))}`);
  console.log(`  of which style and layout: ${fmt(stats(layout))}`);
  console.log(`  main thread per update (all of the page's work in the phase, ÷ updates): script ${per('ScriptDuration')} ms, style ${per('RecalcStyleDuration')} ms, layout ${per('LayoutDuration')} ms, all tasks ${per('TaskDuration')} ms`);
  console.log(`  clock tick (every timer on the page): ${fmt(stats(ticks))}`);
};

const load = churn();
await phase('sorted by agent');
await page.getByRole('columnheader', { name: 'Time in state', exact: true }).getByRole('button').click();
await phase('sorted by time in state');
stopped = true;
await load;
console.log(`supervisor: first render of ${agents} rows: ${first.toFixed(1)} ms`);
for (const ws of sockets) ws.close();
await browser.close();
stop();
process.exit(0);
