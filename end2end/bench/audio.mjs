// Softphone benchmark (prints figures, asserts nothing): a release server and
// headless Debian Chromium with a fake microphone (a tone written here).
//  1. Set-up of a peer connection, from `new RTCPeerConnection` to connected
//     (ICE and DTLS): what a connection per call would add to every answer.
//  2. With the session's persistent connection: Answer click → the first
//     inbound audio packet in the page (getStats polled every 2 ms), over
//     `calls` calls; baseline in the same run: Answer click → the call card
//     showing "Connected" (the answer's round trip without audio).
//  3. Server CPU per active call: `legs` agents each on an answered call
//     (each call: one WebRTC leg to the browser, one simulated customer),
//     CPU time of the server process over 10 s, minus the same agents idle.
// Run: scripts/bench.sh audio  (or: node bench/audio.mjs [calls] [legs])
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, startServer, stats } from './support.mjs';

const calls = Number(process.argv[2] ?? 50);
const legs = Number(process.argv[3] ?? 8);
const setups = 20;
const CHEAP_HASH = '$argon2id$v=19$m=8,t=1,p=1$Vup0UCEc23kNK+uhl+1ebg$UoswLKa213LHT449cGRJg/1cQW5I01G8NgI96aUvuhs';

const agents = setups + 1 + legs;
const ids = Array.from({ length: agents }, (_, i) => `${10000 + i}`);
const extensions = ids.map((_, i) => `${30000 + i}`);
const quoted = (xs) => xs.map((x) => `"${x}"`).join(', ');
const dir = mkdtempSync(join(tmpdir(), 'ccp-audio-bench-'));
writeFileSync(
  join(dir, 'center.toml'),
  [
    `extensions = [${quoted(extensions)}]`,
    'reason_codes = ["Break"]',
    'wrap_up_seconds = 0',
    'ring_timeout_seconds = 0',
    ...ids.map((id, i) => `[[agents]]\nid = "${id}"\npassword = "${CHEAP_HASH}"\nextension = "${extensions[i]}"\nname = "Agent ${id}"`),
    ...ids.map((id, i) => `[[queues]]\nnumber = "${50000 + i}"\nname = "Line ${id}"\nagents = ["${id}"]`),
  ].join('\n'),
);
const rate = 48000;
const wav = Buffer.alloc(44 + rate * 4);
wav.write('RIFF', 0); wav.writeUInt32LE(36 + rate * 4, 4); wav.write('WAVEfmt ', 8); wav.writeUInt32LE(16, 16);
wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(rate, 24); wav.writeUInt32LE(rate * 2, 28);
wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write('data', 36); wav.writeUInt32LE(rate * 4, 40);
for (let i = 0; i < rate * 2; i++) wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 16000), 44 + i * 2);
writeFileSync(join(dir, 'tone.wav'), wav);

const { base, pid, stop: stopServer } = await startServer(['--database', 'sqlite::memory:', '--config', join(dir, 'center.toml')], { stderr: 'inherit' });
const browser = await launchChromium([
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${join(dir, 'tone.wav')}`,
  '--autoplay-policy=no-user-gesture-required',
]);
const stop = () => {
  stopServer();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

const post = (path) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
const placeCall = async (i) => {
  const res = await fetch(`${base}/api/sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15551230001', to: `${50000 + i}` }) });
  return (await res.json()).callId;
};

/** Records each peer connection's creation and connection times. */
function instrument() {
  const Original = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = function (...args) {
    const peer = new Original(...args);
    const entry = { peer, created: performance.now(), connected: 0 };
    peer.addEventListener('connectionstatechange', () => {
      if (peer.connectionState === 'connected' && !entry.connected) entry.connected = performance.now();
    });
    window.__peers.push(entry);
    return peer;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
}

async function agentPage(i) {
  const context = await browser.newContext({ baseURL: base });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  await page.goto('/');
  await page.waitForSelector('section.ccp[data-hydrated="true"]');
  await page.getByLabel('Agent ID').fill(ids[i]);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'Ready');
  return { page, context };
}

// 1. Peer connection set-up, each in a fresh session.
const setup = [];
for (let i = 0; i < setups; i++) {
  const { page, context } = await agentPage(i);
  const callId = await placeCall(i);
  await page.waitForFunction(() => window.__peers[0]?.connected > 0, null, { timeout: 20_000 });
  setup.push(await page.evaluate(() => window.__peers[0].connected - window.__peers[0].created));
  await post(`/api/sim/calls/${callId}/hangup`);
  await context.close();
}

// 2. Answer → first packet, on one session's persistent connection.
const { page } = await agentPage(setups);
const firstPacket = [];
const cardConnected = [];
for (let n = 0; n < calls; n++) {
  const callId = await placeCall(setups);
  await page.waitForSelector(`[data-call-id="${callId}"] .btn-answer:not([disabled])`);
  await page.waitForFunction(() => window.__peers[0]?.connected > 0, null, { timeout: 20_000 });
  const [packet, dom] = await page.evaluate(async (callId) => {
    const peer = window.__peers[0].peer;
    const packets = async () => {
      for (const r of (await peer.getStats()).values()) if (r.type === 'inbound-rtp' && r.kind === 'audio') return r.packetsReceived ?? 0;
      return 0;
    };
    const before = await packets();
    const card = document.querySelector(`[data-call-id="${callId}"]`);
    let dom = 0;
    const observer = new MutationObserver(() => {
      if (!dom && card.querySelector('.call-state')?.textContent === 'Connected') dom = performance.now();
    });
    observer.observe(card, { subtree: true, childList: true, characterData: true });
    const t0 = performance.now();
    card.querySelector('.btn-answer').click();
    let packet = 0;
    while (!packet) {
      if ((await packets()) > before) packet = performance.now();
      else await new Promise((r) => setTimeout(r, 2));
    }
    while (!dom) await new Promise((r) => setTimeout(r, 2));
    observer.disconnect();
    return [packet - t0, dom - t0];
  }, callId);
  firstPacket.push(packet);
  cardConnected.push(dom);
  await post(`/api/sim/calls/${callId}/hangup`);
  await page.waitForSelector(`[data-call-id="${callId}"]`, { state: 'detached' });
  await page.waitForFunction(() => document.querySelector('[role=status]')?.textContent === 'Ready');
}

// 3. Server CPU: the agents idle, then each on an answered call.
const ticks = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, 1/100 s
};
const cpuOver = async (ms) => {
  const t0 = ticks();
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, ms)); // measuring a time window on purpose
  return ((ticks() - t0) / 100) / ((Date.now() - w0) / 1000);
};
const pages = [];
for (let i = 0; i < legs; i++) pages.push((await agentPage(setups + 1 + i)).page);
const idle = await cpuOver(10_000);
for (let i = 0; i < legs; i++) {
  const p = pages[i];
  const callId = await placeCall(setups + 1 + i);
  await p.waitForFunction(() => window.__peers[0]?.connected > 0, null, { timeout: 20_000 });
  await p.click(`[data-call-id="${callId}"] .btn-answer`);
}
const busy = await cpuOver(10_000);

const fmt = (s) => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (n=${s.n})`;
const a = stats(firstPacket);
const d = stats(cardConnected);
console.log(`peer connection set-up (new RTCPeerConnection → connected): ${fmt(stats(setup))}`);
console.log(`Answer click → call card "Connected" (baseline):            ${fmt(d)}`);
console.log(`Answer click → first inbound audio packet:                  ${fmt(a)}`);
console.log(`  first packet / card update, p50: ${(a.p50 / d.p50).toFixed(2)}×; set-up / first packet, p50: ${(stats(setup).p50 / a.p50).toFixed(1)}×`);
console.log(`server CPU: ${legs} agents idle ${(idle * 100).toFixed(1)} %, on ${legs} answered calls ${(busy * 100).toFixed(1)} % of a core`);
console.log(`  per active call (one WebRTC leg + one simulated customer): ${(((busy - idle) / legs) * 100).toFixed(2)} % of a core`);
await browser.close();
process.exit(0);
