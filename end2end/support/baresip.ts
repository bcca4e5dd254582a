import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Debian's baresip as a desk phone, with the repository's configuration
 * (`end2end/sip/baresip`) pointed at a test server's SIP edge and driven
 * through its ctrl_tcp module (netstrings of JSON commands).
 */
export class Baresip {
  private child?: ChildProcess;

  constructor(
    readonly sip: number,
    readonly control: number,
    readonly answermode: 'auto' | 'manual',
  ) {}

  /** Starts it; resolves once the server accepted its REGISTER. */
  async start() {
    const dir = mkdtempSync(join(tmpdir(), 'ccp-baresip-'));
    const accounts = readFileSync('sip/baresip/accounts', 'utf8')
      .replace('127.0.0.1:5060', `127.0.0.1:${this.sip}`)
      .replaceAll('answermode=auto;', `answermode=${this.answermode};`);
    writeFileSync(join(dir, 'accounts'), accounts);
    const config = readFileSync('sip/baresip/config', 'utf8').replace('127.0.0.1:4444', `127.0.0.1:${this.control}`);
    writeFileSync(join(dir, 'config'), config);
    this.child = spawn('baresip', ['-f', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: this.child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('baresip did not register')), 10_000);
      lines.on('line', (line) => {
        if (line.includes('2005@') && line.includes('200 OK')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return this;
  }

  /** Sends a command (`accept`, `hangup`…) as a netstring of JSON. */
  command(command: string) {
    return new Promise<void>((resolve, reject) => {
      const json = JSON.stringify({ command, params: '', token: command });
      const socket = createConnection(this.control, '127.0.0.1', () => {
        socket.end(`${Buffer.byteLength(json)}:${json},`, () => resolve());
      });
      socket.on('error', reject);
    });
  }

  /** Stops it: SIGTERM (it unregisters first), SIGKILL if it lingers. */
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const lingering = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(lingering);
  }
}
