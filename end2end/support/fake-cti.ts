import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

/**
 * A small CTI server of a vendor's own kind ("Acme"), for the Pega adapter
 * tests: JSON over a WebSocket, requests `{req, op, …}` answered by
 * `{ack: req}` or `{nak: req, code, text}`, and native events `{evt, …}`.
 * The test drives the far end (offerCall) and can make it refuse or ignore
 * an operation.
 */
export class FakeCti {
  private server?: WebSocketServer;
  private client?: WebSocket;
  private agent = '';
  private station = '';
  /** Every request received, in order. */
  readonly requests: Record<string, unknown>[] = [];
  /** Operations answered with a nak: op → [code, text]. */
  readonly refuse = new Map<string, [string, string]>();
  /** Operations never answered. */
  readonly ignore = new Set<string>();

  async start() {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.server!.once('listening', () => resolve()));
    this.server.on('connection', (socket) => {
      this.client = socket;
      socket.on('message', (data) => this.onRequest(JSON.parse(String(data))));
    });
    return this;
  }

  get port() {
    return (this.server!.address() as AddressInfo).port;
  }

  async stop() {
    for (const client of this.server?.clients ?? []) client.terminate();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private send(message: Record<string, unknown>) {
    this.client?.send(JSON.stringify(message));
  }

  private onRequest(request: Record<string, unknown>) {
    this.requests.push(request);
    const op = String(request.op);
    if (this.ignore.has(op)) return;
    const refusal = this.refuse.get(op);
    if (refusal) return this.send({ nak: request.req, code: refusal[0], text: refusal[1] });
    switch (op) {
      case 'Login':
        this.agent = String(request.agent);
        this.station = String(request.station);
        this.send({ ack: request.req });
        this.send({ evt: 'Status', agent: this.agent, station: this.station, state: 'NOT_READY', reason: '' });
        return;
      case 'Logout':
        this.send({ ack: request.req });
        this.send({ evt: 'Status', agent: this.agent, station: this.station, state: 'LOGGED_OUT', reason: '' });
        return;
      case 'Ready':
        this.send({ ack: request.req });
        this.send({ evt: 'AgentState', state: 'READY' });
        return;
      case 'NotReady':
        this.send({ ack: request.req });
        this.send({ evt: 'AgentState', state: 'NOT_READY', reason: request.reason });
        return;
      case 'Answer':
        this.send({ ack: request.req });
        this.send({ evt: 'Connected', call: request.call });
        return;
      case 'Hold':
        this.send({ ack: request.req });
        this.send({ evt: 'Held', call: request.call });
        return;
      case 'Retrieve':
        this.send({ ack: request.req });
        this.send({ evt: 'Retrieved', call: request.call });
        return;
      case 'Release':
        this.send({ ack: request.req });
        this.send({ evt: 'Released', call: request.call });
        return;
      default:
        this.send({ nak: request.req, code: 'ACME_UNKNOWN_OP', text: `unknown operation ${op}` });
    }
  }

  /** A customer's call rings the logged-in agent's station. */
  offerCall(call: string, from: string, data: Record<string, string> = {}) {
    this.send({ evt: 'Offering', call, from, to: this.station, data });
  }

  /** Sends the adapter something that is no OpenCTI event once converted. */
  sendGarbage() {
    this.send({ evt: 'Garbage' });
  }
}
