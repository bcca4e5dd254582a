import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A panel server of a test's own, with its own flags: for tests that need
 * short timers, a database file, or to stop and start the server. Resolves
 * once `/healthz` answers (polled: the process gives no other signal).
 * Without a `--database` flag its database is in memory: nothing a test
 * writes lands in the repository.
 */
export class OwnServer {
  private child?: ChildProcess;
  readonly url: string;

  constructor(readonly port: number, readonly flags: string[]) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start() {
    this.child = spawn(
      '../target/release/server',
      [
        '--addr', `127.0.0.1:${this.port}`, '--site-root', '../target/site',
        ...(this.flags.includes('--database') ? [] : ['--database', 'sqlite::memory:']),
        ...this.flags,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
    );
    let stderr = '';
    this.child.stderr?.on('data', (chunk) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return this;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the server as an operator would (SIGTERM) and waits for it. */
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }

  async placeCall(to: string, from = '+15551230001') {
    const res = await fetch(`${this.url}/api/sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, to }),
    });
    if (res.status !== 201) throw new Error(`place call: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { callId: string }).callId;
  }

  async hangUpAll() {
    const calls = (await (await fetch(`${this.url}/api/sim/calls`)).json()) as { callId: string }[];
    for (const call of calls) {
      await fetch(`${this.url}/api/sim/calls/${call.callId}/hangup`, { method: 'POST' });
    }
  }
}
