// Voice AI benchmark: a release server forking answered calls to the example
// engine (examples/voice-ai), one agent panel in headless Chromium.
//   - transcript → panel: a conversation event posted to the server →
//     its line in the panel's transcript (MutationObserver), p50/p99 over N;
//   - fork delay: the mixer making a 20 ms frame → the fork writing it to
//     the engine's socket (the server's `ccp_media_fork_delay_seconds`
//     histogram, quantiles interpolated within buckets as Prometheus does);
//   - word error rate of the engine on sentences the simulated customer
//     speaks (espeak-ng → G.711 → PocketSphinx), final utterances only.
// Usage: node bench/voice-ai.mjs [events]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { launchChromium, startServer, stats } from './support.mjs';

const EVENTS = Number(process.argv[2] ?? 100);
const SENTENCES = [
  'I would like a refund for my last order',
  'I want to cancel my subscription',
  'There is a problem with my bill',
  'I need to change my address',
  'Can I get my money back',
  'My parcel never arrived',
  'Please send me a new invoice',
  'I was charged twice this month',
];

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// The server first (the fork connects only when a call is answered), then
// the engine, which posts its summaries to the server.
const enginePort = await freePort();
const server = await startServer(['--database', 'sqlite::memory:', '--wrap-up-seconds', '0',
  '--media-fork-url', `ws://127.0.0.1:${enginePort}/fork`]);
const engine = spawn('../examples/voice-ai/.venv/bin/python', ['../examples/voice-ai/engine.py', '--listen', `127.0.0.1:${enginePort}`,
  '--server', server.base, '--tracks', 'inbound'], { stdio: ['ignore', 'pipe', 'ignore'] });
process.on('exit', () => engine.kill());
await new Promise((resolve) => engine.stdout.on('data', (d) => String(d).includes('ready ') && resolve()));
const post = async (path, body) => {
  const res = await fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
const page = await (await browser.newContext()).newPage();
await page.goto(server.base);
await page.waitForFunction(() => !!window.OpenCTI);
await page.evaluate(() => window.OpenCTI.login('1001', 'demo', '2001'));
await page.evaluate(() => window.OpenCTI.agentReady());
await page.evaluate(() => {
  window.__finals = [];
  window.OpenCTI.on('VoiceAIEvent', (e) => e.pyEventName === 'Utterance' && e.pyFinal && window.__finals.push(e.pyText));
});

async function answeredCall() {
  const { callId } = await post('/api/sim/calls', { from: '+15551230001', to: '2001' });
  await page.getByRole('button', { name: 'Answer' }).click();
  await page.getByRole('button', { name: 'Hold' }).waitFor();
  return callId;
}

/** Arms an observer in the page for `check`; the returned function waits
 * for the page time at which it held. Armed before the request it waits
 * for, so nothing is missed. */
async function whenDom(check, arg) {
  await page.evaluate(([check, arg]) => {
    const holds = new Function('arg', `return (${check})(arg)`);
    window.__seen = new Promise((resolve) => {
      if (holds(arg)) return resolve(performance.timeOrigin + performance.now());
      const observer = new MutationObserver(() => {
        if (holds(arg)) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }, [String(check), arg]);
  return () => page.evaluate(() => window.__seen);
}
const settle = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));

// Baseline, same run: a simulator call → its card in the panel (the call
// events' path: HTTP, switch, relay, Interface, DOM).
const baseline = [];
for (let i = 0; i < 50; i++) {
  await settle();
  const seen = await whenDom(() => !!document.querySelector('.call-card'));
  const sent = performance.timeOrigin + performance.now();
  const { callId } = await post('/api/sim/calls', { from: '+15551230001', to: '2001' });
  baseline.push((await seen()) - sent);
  const gone = await whenDom(() => !document.querySelector('.call-card'));
  await post(`/api/sim/calls/${callId}/hangup`, {});
  await gone();
}

// Transcript → panel.
let callId = await answeredCall();
const delays = [];
for (let i = 0; i < EVENTS; i++) {
  const text = `line number ${i}`;
  await settle();
  const seen = await whenDom((text) => [...document.querySelectorAll('.transcript .utterance-text')].some((e) => e.textContent === text), text);
  const sent = performance.timeOrigin + performance.now();
  await post(`/api/calls/${callId}/conversation-events`, { events: [{ type: 'utterance', speaker: 'customer', text, final: true }] });
  delays.push((await seen()) - sent);
}
await post(`/api/sim/calls/${callId}/hangup`, {});

// Word error rate, one call per sentence.
const words = (s) => s.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
let errors = 0;
let total = 0;
const heard = [];
for (const sentence of SENTENCES) {
  callId = await answeredCall();
  await page.evaluate(() => (window.__finals = []));
  const { seconds } = await post(`/api/sim/calls/${callId}/say`, { text: sentence });
  // The pause before the words, the words, the engine's end of speech; a
  // sentence may come as two utterances, so wait for 1.5 s of nothing new.
  const deadline = Date.now() + (seconds + 8) * 1000;
  let finals = [];
  let changed = Date.now();
  while (Date.now() < deadline) {
    const now = await page.evaluate(() => [window.__finals.slice(), document.querySelectorAll('.transcript .interim').length]);
    if (now[0].length !== finals.length) [finals, changed] = [now[0], Date.now()];
    if (finals.length > 0 && now[1] === 0 && Date.now() - changed > 1500) break;
    await new Promise((r) => setTimeout(r, 200)); // waiting on a recogniser, not on the page
  }
  const hypothesis = finals.join(' ');
  errors += distance(words(sentence), words(hypothesis));
  total += words(sentence).length;
  heard.push(`  "${sentence}" → "${hypothesis}"`);
  await post(`/api/sim/calls/${callId}/hangup`, {});
  await page.getByRole('button', { name: 'Hold' }).waitFor({ state: 'detached' });
}

// The fork's delay histogram.
const metrics = await (await fetch(`${server.base}/metrics`)).text();
const buckets = [...metrics.matchAll(/^ccp_media_fork_delay_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)]
  .map(([, le, n]) => [le === '+Inf' ? Infinity : Number(le), Number(n)]);
const count = buckets.at(-1)?.[1] ?? 0;
function quantile(q) {
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [le, n] of buckets) {
    if (n >= rank) return le === Infinity ? lower : lower + ((le - lower) * (rank - below)) / Math.max(1, n - below);
    [lower, below] = [le, n];
  }
  return lower;
}

const line = (name, xs) => {
  const t = stats(xs);
  return `${name} (${t.n}): p50 ${t.p50.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms, max ${t.max.toFixed(1)} ms`;
};
console.log(line('baseline: simulator call → card in the panel', baseline));
console.log(line('transcript → panel', delays));
console.log(`  ratio to the baseline: p50 ${(stats(delays).p50 / stats(baseline).p50).toFixed(2)}×, p99 ${(stats(delays).p99 / stats(baseline).p99).toFixed(2)}×`);
console.log(`fork delay (${count} frames): p50 ${(quantile(0.5) * 1000).toFixed(2)} ms, p99 ${(quantile(0.99) * 1000).toFixed(2)} ms`);
console.log(`word error rate: ${((100 * errors) / total).toFixed(1)} % (${errors} errors in ${total} words, ${SENTENCES.length} sentences)`);
console.log(heard.join('\n'));
await browser.close();
server.stop();
engine.kill();
