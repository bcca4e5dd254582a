// Panel benchmark (prints figures, asserts nothing): in headless Debian
// Chromium against a release server it starts on a free port,
//  - click → DOM: N Hold/Retrieve cycles on an answered call (50 clicks a
//    second), from the click
//    to the DOM offering the other button, timed inside the page
//    (performance.now() around a MutationObserver), split into its three
//    legs by a wrapped WebSocket: click → request sent (the Interface and
//    the Implementation), sent → event received (network and server),
//    received → handled (the frame's decoding and the store's update, the
//    socket handler's own time) and handled → DOM (the effects that render);
//  - start-up: navigation → panel hydrated and interactive
//    (`data-hydrated="true"`, set once window.OpenCTI exists), M loads.
// With PROFILE=1 it also samples the clicks with Chromium's CPU profiler
// and prints the functions that took the most time (build with
// `cargo leptos build --release --split --wasm-debug` for wasm names).
// The baseline in the same run: the same requests from a WebSocket client
// in Node (the server and the loopback, without a browser).
// Run: scripts/bench.sh panel  (or: node --experimental-websocket bench/panel.mjs [cycles] [loads])
import { launchChromium, startServer, stats } from './support.mjs';

const cycles = Number(process.argv[2] ?? 200);
const loads = Number(process.argv[3] ?? 20);

const { base, stop } = await startServer();
const browser = await launchChromium();
const page = await browser.newPage();

const fmt = (o) => `p50 ${o.p50.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms, max ${o.max.toFixed(2)} ms (n=${o.n})`;

// The click path's legs: when the Hold/Retrieve request leaves, and when
// the frame that carries its Held/Retrieved event arrives.
await page.addInitScript(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string' && /"(HoldCall|RetrieveCall)"/.test(data)) window.__sent = performance.now();
    return send.call(this, data);
  };
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    get() {
      return onmessage.get.call(this);
    },
    set(handler) {
      onmessage.set.call(this, (event) => {
        const ours = typeof event.data === 'string' && /"type":"(Held|Retrieved)"/.test(event.data);
        if (ours) window.__received = performance.now();
        const result = handler.call(this, event);
        if (ours) window.__handled = performance.now();
        return result;
      });
    },
  });
});

// Start-up: the time from navigation start to the hydrated, interactive panel.
await page.addInitScript(() => {
  new MutationObserver((_, observer) => {
    if (document.querySelector('.ccp[data-hydrated="true"]')) {
      window.__interactive = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, childList: true });
});
const startup = [];
for (let i = 0; i < loads; i++) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.__interactive !== undefined);
  startup.push(await page.evaluate(() => window.__interactive));
}

// Click → DOM: log in, answer a call, then Hold/Retrieve cycles.
await page.evaluate(() => window.OpenCTI.login('1001', 'demo', '2001'));
const placed = await fetch(`${base}/api/sim/calls`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ from: '+15551230001', to: '2001' }),
});
const { callId } = await placed.json();
await page.getByRole('button', { name: 'Answer' }).click();
await page.getByRole('button', { name: 'Hold' }).waitFor();
const profiler = process.env.PROFILE ? await page.context().newCDPSession(page) : null;
if (profiler) {
  await profiler.send('Profiler.enable');
  await profiler.send('Profiler.setSamplingInterval', { interval: 50 });
  await profiler.send('Profiler.start');
}
const clicks = await page.evaluate(async (cycles) => {
  const button = (name) => [...document.querySelectorAll('.call-actions button')].find((b) => b.textContent === name && !b.disabled);
  const clickUntil = (from, to) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const observer = new MutationObserver(() => {
        if (button(to)) {
          observer.disconnect();
          const t1 = performance.now();
          resolve({
            total: t1 - t0,
            request: window.__sent - t0,
            server: window.__received - window.__sent,
            apply: window.__handled - window.__received,
            render: t1 - window.__handled,
          });
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      button(from).click();
    });
  // 50 clicks a second: under the relay's limit (100 messages a second
  // after a burst of 200), past which it closes the socket.
  const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
  const times = [];
  for (let i = 0; i < cycles; i++) {
    times.push(await clickUntil('Hold', 'Retrieve'));
    await pause();
    times.push(await clickUntil('Retrieve', 'Hold'));
    await pause();
  }
  return times;
}, cycles);
if (profiler) {
  const { profile } = await profiler.send('Profiler.stop');
  const self = new Map();
  const interval = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const id of profile.samples) {
    const { functionName, url } = byId.get(id).callFrame;
    const name = `${functionName || '(anonymous)'} ${url.split('/').pop()}`;
    self.set(name, (self.get(name) ?? 0) + interval);
  }
  const busy = [...self].filter(([name]) => !/^\((idle|program|garbage collector)\)/.test(name));
  const total = busy.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`panel: profile of the clicks, ${total.toFixed(0)} ms busy; self time:`);
  for (const [name, ms] of busy.sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${name}`);
  }
}
await page.evaluate((id) => window.OpenCTI.hangUpCall(id), callId);

// The in-run baseline: the same Hold/Retrieve from a plain WebSocket client
// (Node, no browser), request sent → event received: the server and the
// loopback alone.
async function serverRoundTrips(cycles) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
  await new Promise((resolve) => (ws.onopen = resolve));
  const frames = [];
  let wake = () => {};
  ws.onmessage = (m) => {
    frames.push([performance.now(), JSON.parse(m.data)]);
    wake();
  };
  let read = 0;
  const next = async (match) => {
    for (;;) {
      while (read < frames.length) {
        const [at, frame] = frames[read++];
        if (match(frame)) return at;
      }
      await new Promise((resolve) => (wake = resolve));
    }
  };
  let id = 0;
  const request = (body) => ws.send(JSON.stringify({ type: 'Request', id: String(++id), request: body }));
  ws.send(JSON.stringify({ type: 'Login', id: String(++id), agentId: '1002', password: 'demo', extension: '2002' }));
  await next((f) => f.type === 'Response');
  const call = await fetch(`${base}/api/sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: '+15551230002', to: '2002' }),
  }).then((r) => r.json());
  request({ type: 'AnswerCall', callId: call.callId });
  await next((f) => f.type === 'Response');
  const times = [];
  for (let i = 0; i < 2 * cycles; i++) {
    const t0 = performance.now();
    request({ type: i % 2 ? 'RetrieveCall' : 'HoldCall', callId: call.callId });
    times.push((await next((f) => f.type === 'Event' && /^(Held|Retrieved)$/.test(f.event.type))) - t0);
    await next((f) => f.type === 'Response');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  request({ type: 'ClearConnection', callId: call.callId });
  await next((f) => f.type === 'Response');
  ws.close();
  return times;
}
const baseline = await serverRoundTrips(cycles);

console.log(`panel: click → DOM (Hold/Retrieve, ${cycles} cycles): ${fmt(stats(clicks.map((c) => c.total)))}`);
for (const leg of ['request', 'server', 'apply', 'render']) {
  console.log(`panel:   ${leg.padEnd(7)} leg: ${fmt(stats(clicks.map((c) => c[leg])))}`);
}
console.log(`panel: baseline, a WebSocket client without a browser, request → event: ${fmt(stats(baseline))}`);
console.log(`panel: navigation → interactive (${loads} loads): ${fmt(stats(startup))}`);
await browser.close();
stop();
