// Panel benchmark (prints figures, asserts nothing): in headless Debian
// Chromium against a release server it starts on a free port,
//  - click → DOM: N Hold/Retrieve cycles on an answered call, from the click
//    to the DOM offering the other button, timed inside the page
//    (performance.now() around a MutationObserver);
//  - start-up: navigation → panel hydrated and interactive
//    (`data-hydrated="true"`, set once window.OpenCTI exists), M loads.
// Run: scripts/bench.sh panel  (or: node bench/panel.mjs [cycles] [loads])
import { launchChromium, startServer, stats } from './support.mjs';

const cycles = Number(process.argv[2] ?? 200);
const loads = Number(process.argv[3] ?? 20);

const { base, stop } = await startServer();
const browser = await launchChromium();
const page = await browser.newPage();

const fmt = (o) => `p50 ${o.p50.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms, max ${o.max.toFixed(2)} ms (n=${o.n})`;

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
const clicks = await page.evaluate(async (cycles) => {
  const button = (name) => [...document.querySelectorAll('.call-actions button')].find((b) => b.textContent === name && !b.disabled);
  const clickUntil = (from, to) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const observer = new MutationObserver(() => {
        if (button(to)) {
          observer.disconnect();
          resolve(performance.now() - t0);
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      button(from).click();
    });
  const times = [];
  for (let i = 0; i < cycles; i++) {
    times.push(await clickUntil('Hold', 'Retrieve'));
    times.push(await clickUntil('Retrieve', 'Hold'));
  }
  return times;
}, cycles);
await page.evaluate((id) => window.OpenCTI.hangUpCall(id), callId);

console.log(`panel: click → DOM (Hold/Retrieve, ${cycles} cycles): ${fmt(stats(clicks))}`);
console.log(`panel: navigation → interactive (${loads} loads): ${fmt(stats(startup))}`);
await browser.close();
stop();
