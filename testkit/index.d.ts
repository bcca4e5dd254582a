// Typings of ccp-testkit (index.js). See README.md.
import type { Browser, BrowserContext, BrowserContextOptions, Frame, Page } from '@playwright/test';

/** A page or a frame that shows the panel (or a host page around it). */
export type Target = Page | Frame;

/** An OpenCTI event as the panel applies it (DESIGN.md §3). */
export interface OpenCtiEvent {
  pyEventType: string;
  pyEventName: string;
  [field: string]: unknown;
}

export interface OpenCtiError {
  errCode: string;
  errMessage: string;
}

export type OpenCtiResult = { ok: true; value: unknown } | { ok: false; error: OpenCtiError; isError: boolean };

export interface ServerOptions {
  /** The `server` binary; default `$CCP_SERVER_BINARY`, else `target/release/server`. */
  binary?: string;
  /** The built site (`pkg/`); default `$CCP_SITE_ROOT`, else `target/site`. */
  siteRoot?: string;
  /** A switch configuration as TOML text (agents, queues…; README "Configuration"). */
  config?: string;
  /** Origins allowed to embed the panel (your host page's origin). */
  allowedOrigins?: string[];
  /** More command-line flags (`--ring-timeout-seconds`, `--database`…). */
  args?: string[];
  /** A fixed port; default a free one. */
  port?: number;
  /** The API key, when the server needs one for the simulator. */
  apiKey?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface SimParty {
  dn: string;
  state: 'initiated' | 'alerting' | 'queued' | 'connected' | 'held' | 'failed';
}

export interface SimCall {
  callId: string;
  from: string;
  to: string;
  /** The queue the call came through, if any. */
  queue?: string;
  parties: SimParty[];
  data: Record<string, string>;
  digits: string;
  /** When the call started (the switch's clock, in milliseconds). */
  startedAt: number;
  audio?: { sent: number; received: number; level: number };
}

export declare class SimulatorError extends Error {
  readonly status: number;
  readonly body: unknown;
}

/** The simulator API: the far end of calls. Refusals throw SimulatorError. */
export declare class Simulator {
  constructor(baseUrl: string, options?: { apiKey?: string });
  placeCall(to: string, options?: { from?: string; data?: Record<string, string | number | boolean> }): Promise<string>;
  calls(): Promise<SimCall[]>;
  call(callId: string): Promise<SimCall | undefined>;
  answer(callId: string): Promise<void>;
  hangUp(callId: string): Promise<void>;
  dtmf(callId: string, digits: string): Promise<void>;
  say(callId: string, text: string): Promise<{ callId: string; seconds: number }>;
  hangUpAll(): Promise<void>;
}

export declare class CcpServer {
  constructor(options?: ServerOptions);
  /** `http://127.0.0.1:<port>`, once started. */
  readonly url: string;
  readonly port: number;
  readonly sim: Simulator;
  start(): Promise<this>;
  stop(): Promise<void>;
  restart(): Promise<this>;
  logs(): string;
}

export function startServer(options?: ServerOptions): Promise<CcpServer>;

export interface PanelOptions {
  password?: string;
  extension?: string;
  /** `/` (default) or `/embed`, with query parameters if wanted (`/?lang=de`). */
  path?: string;
  contextOptions?: BrowserContextOptions;
  /** Runs in the page before its own scripts. */
  init?: () => void;
}

export interface AgentPanel {
  agentId: string;
  page: Page;
  context: BrowserContext;
  logOut(): Promise<void>;
  close(): Promise<void>;
}

export function panelReady(target: Target): Promise<void>;
export function panelFrame(page: Page, selector?: string): Promise<Frame>;
export function logIn(target: Target, agentId: string, options?: { password?: string; extension?: string }): Promise<void>;
export function logOut(target: Target): Promise<void>;
export function openAgentPanel(browser: Browser, baseUrl: string, agentId: string, options?: PanelOptions): Promise<AgentPanel>;
export function recordEvents(target: Target): Promise<void>;
export function waitForEvent(target: Target, match: Record<string, unknown>, options?: { timeout?: number }): Promise<OpenCtiEvent>;
export function events(target: Target, match?: Record<string, unknown>): Promise<OpenCtiEvent[]>;
export function callOpenCti(target: Target, fn: string, ...args: unknown[]): Promise<OpenCtiResult>;

export interface CcpTestFixtures {
  sim: Simulator;
  agentPanel: (agentId: string, options?: PanelOptions) => Promise<AgentPanel>;
}

export interface CcpWorkerFixtures {
  ccpServerOptions: ServerOptions;
  ccpServer: CcpServer;
}

/** For `test.extend<CcpTestFixtures, CcpWorkerFixtures>(ccpFixtures)`. */
export declare const ccpFixtures: import('@playwright/test').Fixtures<CcpTestFixtures, CcpWorkerFixtures>;
