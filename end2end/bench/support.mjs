// What the benchmarks share: a release server on a free port, headless
// Debian Chromium, and percentiles.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium } from '@playwright/test';

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts `../target/release/server` with `flags` on a free port; resolves
 * once `/healthz` answers. `stop()` ends it (also at exit). Without a
 * `--database` flag its database is in memory: nothing a benchmark writes
 * lands in the repository. */
export async function startServer(flags = [], { stderr = 'ignore' } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const database = flags.includes('--database') ? [] : ['--database', 'sqlite::memory:'];
  const server = spawn('../target/release/server', ['--addr', `127.0.0.1:${port}`, '--site-root', '../target/site', ...database, ...flags], {
    stdio: ['ignore', 'ignore', stderr],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const stop = () => server.kill();
  process.on('exit', stop);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('the server did not come up');
    await new Promise((r) => setTimeout(r, 50)); // polling a starting process
  }
  return { port, base, stop, pid: server.pid };
}

export const launchChromium = (extraArgs = []) =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });

/** n, p50, p95, p99 and max of `xs`. */
export const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.round((s.length - 1) * p))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1] };
};
