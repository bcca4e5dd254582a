// SIP load benchmark (prints figures, asserts nothing): a release server
// with the SIP edge, `agents` agents on auto-answer (WebSocket clients that
// answer every call that rings them), and SIPp placing calls into their
// queue at `rate` calls/s for `seconds` s; each caller talks `talk` ms with
// its audio echoed back (-rtp_echo), then hangs up.
// Figures: failed calls; call set-up (INVITE → 180: the switch took and
// queued the call) and answer (180 → 200: an agent answered) p50/p99,
// from SIPp's own response-time trace; server CPU during the run against
// the same agents idle. In-run baseline: the same calls placed through the
// simulator's HTTP API, POST → the agent's Delivered frame.
// Run: scripts/bench.sh sip  (or: node --experimental-websocket bench/sip.mjs [rate] [seconds] [talk] [agents])
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startServer, stats } from './support.mjs';

const rate = Number(process.argv[2] ?? 10);
const seconds = Number(process.argv[3] ?? 60);
const talk = Number(process.argv[4] ?? 3000);
const agents = Number(process.argv[5] ?? 50);
const CHEAP_HASH = '$argon2id$v=19$m=8,t=1,p=1$Vup0UCEc23kNK+uhl+1ebg$UoswLKa213LHT449cGRJg/1cQW5I01G8NgI96aUvuhs';

const ids = Array.from({ length: agents }, (_, i) => `${10000 + i}`);
const extensions = ids.map((_, i) => `${30000 + i}`);
const quoted = (xs) => xs.map((x) => `"${x}"`).join(', ');
const dir = mkdtempSync(join(tmpdir(), 'ccp-sip-bench-'));
writeFileSync(
  join(dir, 'center.toml'),
  [
    `extensions = [${quoted(extensions)}]`,
    'reason_codes = ["Break"]',
    'wrap_up_seconds = 0',
    'ring_timeout_seconds = 0',
    ...ids.map((id, i) => `[[agents]]\nid = "${id}"\npassword = "${CHEAP_HASH}"\nextension = "${extensions[i]}"\nname = "Agent ${id}"`),
    `[[queues]]\nnumber = "5000"\nname = "Load"\nagents = [${quoted(ids)}]`,
  ].join('\n'),
);

const sipPort = await freePort();
const { port, base, pid, stop: stopServer } = await startServer(
  ['--database', 'sqlite::memory:', '--config', join(dir, 'center.toml'), '--sip-addr', `127.0.0.1:${sipPort}`],
  { stderr: 'inherit' },
);
const stop = () => {
  stopServer();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

// The agents: logged in, Ready, answering whatever rings them at once.
const delivered = new Map(); // callId → when the Delivered frame arrived
const agent = (id, extension) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    let n = 0;
    const request = (request) => ws.send(JSON.stringify({ type: 'Request', id: `${id}-${n++}`, request }));
    ws.onopen = () => ws.send(JSON.stringify({ type: 'Login', id: 'login', agentId: id, password: 'demo' }));
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'Response' && frame.id === 'login') {
        if (!frame.ok) return reject(new Error(JSON.stringify(frame.error)));
        request({ type: 'SetAgentState', state: 'Ready' });
        resolve(ws);
      } else if (frame.type === 'Event' && frame.event.type === 'Delivered' && frame.event.device === extension) {
        delivered.set(frame.event.call.callId, performance.now());
        request({ type: 'AnswerCall', callId: frame.event.call.callId });
      }
    };
    ws.onerror = reject;
  });
await Promise.all(ids.map((id, i) => agent(id, extensions[i])));

/** The server's CPU time so far, in seconds (utime + stime). */
const cpu = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const busy = async (ms) => {
  const start = cpu();
  await new Promise((r) => setTimeout(r, ms)); // the measurement's window
  return ((cpu() - start) / (ms / 1000)) * 100;
};

// Baseline: calls placed through the simulator's API, POST → Delivered.
const baseline = [];
for (let i = 0; i < 100; i++) {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15551230001', to: '5000' }) });
  const { callId } = await res.json();
  while (!delivered.has(callId)) await new Promise((r) => setTimeout(r, 1)); // waits on the agent's frame
  baseline.push(delivered.get(callId) - t0);
  await fetch(`${base}/api/sim/calls/${callId}/hangup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await new Promise((r) => setTimeout(r, 1000 / rate)); // the same pace as the SIP run
}

const idle = await busy(10_000);


/** A probe caller beside SIPp, timed to the microsecond (SIPp's own
 * timings are whole milliseconds): INVITE → 180 → 200, ACK, BYE. */
async function probe(n) {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  const me = `127.0.0.1:${socket.address().port}`;
  const callId = `probe-${n}`;
  const head = (method, cseq, to, branch) =>
    `${method} sip:5000@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${me};branch=z9hG4bK-${callId}-${branch};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:+15550000000@${me}>;tag=${callId}\r\nTo: ${to}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n` +
    `Contact: <sip:probe@${me}>\r\n`;
  const sdp = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  const responses = [];
  let wake;
  socket.on('message', (m) => {
    responses.push({ text: m.toString(), at: performance.now() });
    wake?.();
  });
  const next = async (status) => {
    for (;;) {
      const i = responses.findIndex((r) => r.text.startsWith(`SIP/2.0 ${status}`));
      if (i >= 0) return responses.splice(i, 1)[0];
      await new Promise((r) => (wake = r)); // the next datagram
    }
  };
  const send = (text) => socket.send(text, sipPort, '127.0.0.1');
  const t0 = performance.now();
  send(head('INVITE', 1, `<sip:5000@127.0.0.1:${sipPort}>`, 'i') + `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
  const ringing = await next(180);
  const ok = await next(200);
  const to = ok.text.match(/^To: (.*)$/m)[1].trim();
  send(head('ACK', 1, to, 'a') + 'Content-Length: 0\r\n\r\n');
  send(head('BYE', 2, to, 'b') + 'Content-Length: 0\r\n\r\n');
  await next(200);
  socket.close();
  return { setup: ringing.at - t0, answer: ok.at - t0 };
}

// The SIP run.
const work = mkdtempSync(join(tmpdir(), 'ccp-sipp-'));
const calls = rate * seconds;
const sippArgs = [
  '-sf', resolve('sip/load-queue.xml'), '-s', '5000', `127.0.0.1:${sipPort}`,
  '-i', '127.0.0.1', '-p', String(await freePort()), '-mi', '127.0.0.1', '-mp', String(await freePort()), '-rtp_echo',
  '-r', String(rate), '-m', String(calls), '-d', String(talk), '-l', String(rate * 10),
  '-nostdin', '-trace_rtt', '-rtt_freq', '1', '-trace_stat', '-fd', '1', '-timeout', `${seconds + 60}s`,
];
const started = cpu();
const t0 = performance.now();
const sipp = spawn('sipp', sippArgs, { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
const exited = once(sipp, 'exit');
let running = true;
exited.then(() => (running = false));
const probes = [];
for (let n = 0; running && n < seconds * 2; n++) {
  probes.push(await probe(n));
  await new Promise((r) => setTimeout(r, 500)); // two probe calls a second, beside the load
}
const [code] = await exited;
const elapsed = (performance.now() - t0) / 1000;
const runCpu = ((cpu() - started) / elapsed) * 100;

const file = (suffix) => join(work, readdirSync(work).find((f) => f.endsWith(suffix)));
// Response times: one row per call and timing, "date_ms;response_ms;name"
// (whole milliseconds: SIPp's resolution).
const times = { setup: [], answer: [] };
for (const line of readFileSync(file('_rtt.csv'), 'utf8').trim().split('\n').slice(1)) {
  const cols = line.split(';');
  const name = cols[2]?.trim();
  if (name in times) times[name].push(Number(cols[1]));
}
const statRows = readFileSync(file('_.csv'), 'utf8').trim().split('\n');
const header = statRows[0].split(';');
const last = statRows.at(-1).split(';');
const column = (name) => Number(last[header.indexOf(name)]);

const fmt = (s) => `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms (n=${s.n})`;
const setup = stats(times.setup);
const base50 = stats(baseline).p50;
console.log(`SIP load: ${rate} calls/s for ${seconds} s, ${talk} ms each, ${agents} agents on auto-answer (SIPp exit ${code})`);
console.log(`  calls: ${column('SuccessfulCall(C)')} successful, ${column('FailedCall(C)')} failed of ${calls}`);
console.log(`  SIPp, whole ms: set-up INVITE → 180 ${fmt(setup)}`);
console.log(`  SIPp, whole ms: answer 180 → 200 (auto-answer) ${fmt(stats(times.answer))}`);
const probeSetup = stats(probes.map((p) => p.setup));
console.log(`  probe calls under the load, INVITE → 180: ${fmt(probeSetup)}; INVITE → 200: ${fmt(stats(probes.map((p) => p.answer)))}`);
console.log(`  baseline, simulator API POST → agent's Delivered (no SIP): ${fmt(stats(baseline))}; probe set-up p50 = ${(probeSetup.p50 / base50).toFixed(2)}× baseline`);
console.log(`  server CPU: ${runCpu.toFixed(1)} % of a core during the run, ${idle.toFixed(1)} % with the same agents idle`);
rmSync(work, { recursive: true, force: true });
process.exit(0);
