import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * SIPp (Debian's sip-tester) running one of `end2end/sip/`'s scenarios for
 * one call. `done` resolves with its exit status once the call is over
 * (0: the scenario ran as written).
 */
export function sipp(scenario: string, args: string[]) {
  const child = spawn(
    'sipp',
    ['-sf', `sip/${scenario}`, '-i', '127.0.0.1', '-mi', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '60s', '-timeout_error', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

/** Whether something listens on UDP `port` (SIPp as a trunk, ready). */
export function udpBound(port: number) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/udp', '/proc/net/udp6'].some((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .some((line) => line.trim().split(/\s+/)[1]?.endsWith(`:${hex}`)),
  );
}
