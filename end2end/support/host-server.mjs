// A stand-in for an integrator's web app: serves host pages that embed the
// panel in an iframe, on ports (and so origins) other than the panel's.
// Usage: node host-server.mjs PORT [PORT…]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, dirname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Test host pages first, then the repository's public/ (demo CRM, host SDK).
const roots = [join(here, 'host-pages'), join(here, '..', '..', 'public')];

async function handle(req, res) {
  const path = new URL(req.url ?? '/', 'http://host').pathname;
  if (path === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  for (const root of roots) {
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root)) break;
    try {
      const body = await readFile(file);
      const type = file.endsWith('.js')
        ? 'text/javascript'
        : file.endsWith('.css')
          ? 'text/css'
          : 'text/html; charset=utf-8';
      res.writeHead(200, { 'content-type': type }).end(body);
      return;
    } catch {
      // try the next root
    }
  }
  res.writeHead(404).end('not found');
}

// "localhost" may resolve to either loopback address: listen on both.
for (const port of process.argv.slice(2).map(Number)) {
  for (const host of ['127.0.0.1', '::1']) {
    createServer(handle).on('error', (err) => console.error(`${host}:${port}: ${err.message}`)).listen(port, host);
  }
}
